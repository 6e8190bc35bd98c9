"""Default data of the fake org, taken from the conformance payloads where they have it.

Accounts and Contacts (with phones stored as entered: "(650) 867-3450", "+44 191 4956203",
null) come from the recorded Developer Edition query response; GenePoint's phone from the
assembled phone-search payload. Opportunities, Cases and Leads are built in (no recorded
payload has them); the Lead "Jeff Glimpse" has a digits-only phone, "1231231234".
"""

from __future__ import annotations

from . import payloads
from .store import Store


def _split(name: str) -> tuple[str | None, str]:
    parts = name.split()
    return (" ".join(parts[:-1]) or None, parts[-1]) if parts else (None, "")


def seed_default(store: Store) -> dict[str, str]:
    """Fill ``store`` with the default org data; return ``{label: id}`` of notable records."""
    notable: dict[str, str] = {}
    account_phones = {
        rec["Id"]: rec.get("Phone")
        for rec in payloads.load("sosl-search-phone-response.json")["searchRecords"]
        if rec["attributes"]["type"] == "Account"
    }
    for account in payloads.load("soql-query-contacts-response.json")["records"]:
        phone = account_phones.get(account["Id"])
        if account["Name"].startswith("United Oil"):
            phone = "+44 191 4956203"  # the Developer Edition sample account's phone
        account_id = store.insert(
            "Account",
            {
                "Name": account["Name"],
                "Phone": phone,
                "Website": account.get("Website"),
                "AccountNumber": account.get("AccountNumber"),
            },
            record_id=account["Id"],
        )
        notable[account["Name"]] = account_id
        for contact in (account.get("Contacts") or {}).get("records") or []:
            first, last = _split(contact["Name"])
            notable[contact["Name"]] = store.insert(
                "Contact",
                {
                    "FirstName": first,
                    "LastName": last,
                    "Phone": contact.get("Phone"),
                    "Email": contact.get("Email"),
                    "Title": contact.get("Title"),
                    "Department": contact.get("Department"),
                    "AccountId": account_id,
                },
                record_id=contact["Id"],
            )
    genepoint = notable["GenePoint"]
    notable["GenePoint Lab Generators"] = store.insert(
        "Opportunity",
        {
            "Name": "GenePoint Lab Generators",
            "AccountId": genepoint,
            "StageName": "Id. Decision Makers",
            "CloseDate": "2026-12-15",
            "Amount": 60000.0,
        },
    )
    notable["GenePoint Standby Generator"] = store.insert(
        "Opportunity",
        {
            "Name": "GenePoint Standby Generator",
            "AccountId": genepoint,
            "StageName": "Closed Won",
            "CloseDate": "2026-03-01",
            "Amount": 85000.0,
        },
    )
    notable["Generator making noise"] = store.insert(
        "Case",
        {
            "Subject": "Generator making noise",
            "Status": "New",
            "AccountId": genepoint,
            "ContactId": notable["Edna Frank"],
            "Priority": "High",
        },
    )
    notable["Installation question"] = store.insert(
        "Case",
        {
            "Subject": "Installation question",
            "Status": "Closed",
            "AccountId": genepoint,
            "ContactId": notable["Edna Frank"],
            "Priority": "Low",
        },
    )
    uog = notable["United Oil & Gas, UK"]
    notable["United Oil Emergency Generators"] = store.insert(
        "Opportunity",
        {
            "Name": "United Oil Emergency Generators",
            "AccountId": uog,
            "StageName": "Prospecting",
            "CloseDate": "2027-01-31",
            "Amount": 270000.0,
        },
    )
    notable["Jeff Glimpse"] = store.insert(
        "Lead",
        {
            "FirstName": "Jeff",
            "LastName": "Glimpse",
            "Company": "Jackson Controls",
            "Phone": "1231231234",
            "Status": "Open - Not Contacted",
            "IsConverted": False,
        },
    )
    notable["Bertha Boxer"] = store.insert(
        "Lead",
        {
            "FirstName": "Bertha",
            "LastName": "Boxer",
            "Company": "Farmers Coop. of Florida",
            "Phone": "(850) 644-4200",
            "MobilePhone": "+1 650-555-0188",
            "Status": "Working - Contacted",
            "IsConverted": False,
        },
    )
    return notable
