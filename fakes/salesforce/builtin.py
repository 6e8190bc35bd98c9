"""Built-in copies of the conformance payloads the fake uses.

Used only when ``../shared/conformance/salesforce/`` is not available, so the fake keeps
working from a lone checkout. Values match the conformance files; ``TRIMMED`` ones keep
only the fields the fake uses.
"""

from __future__ import annotations

from typing import Any

TRIMMED = frozenset(
    {"identity-response.json", "limits-response.json", "soql-query-contacts-response.json"}
)

BUILTIN: dict[str, Any] = {
    "error-invalid-session-401.json": [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ],
    "error-invalid-auth-header-401.json": [
        {"message": "INVALID_HEADER_TYPE", "errorCode": "INVALID_AUTH_HEADER"}
    ],
    "error-request-limit-exceeded-403.json": [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ],
    "error-not-found-404.json": [
        {"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}
    ],
    "error-entity-is-deleted.json": [
        {"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}
    ],
    "error-malformed-whatid-task-400.json": [
        {
            "message": "Related To ID: id value of incorrect type: 006B000002nBrQ",
            "errorCode": "MALFORMED_ID",
            "fields": ["WhatId"],
        }
    ],
    "error-required-field-missing-400.json": [
        {
            "message": "Required fields are missing: [Name]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["Name"],
        }
    ],
    "error-string-too-long-400.json": [
        {
            "message": "Topic Name: data value too large: NOWELLPOINT_OPPORTUNITY_PUSH_TOPIC "
            "(max length=25)",
            "errorCode": "STRING_TOO_LONG",
            "fields": ["Name"],
        }
    ],
    "error-invalid-field-400.json": [
        {
            "message": "The Id field should not be specified in the sobject data.",
            "errorCode": "INVALID_FIELD",
        }
    ],
    "oauth-error-expired-refresh-token-400.json": {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    },
    "oauth-error-authentication-failure-400.json": {
        "error": "invalid_grant",
        "error_description": "authentication failure",
    },
    "versions-response.json": [
        {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"},
        {"label": "Winter '15", "url": "/services/data/v32.0", "version": "32.0"},
        {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"},
        {"label": "Spring '24", "url": "/services/data/v60.0", "version": "60.0"},
        {"label": "Summer '24", "url": "/services/data/v61.0", "version": "61.0"},
    ],
    "identity-response.json": {
        "id": "https://MyDomainName.my.salesforce.com/id/00Dx000.../005x000...",
        "asserted_user": True,
        "user_id": "005x000...",
        "organization_id": "00Dx000...",
        "nick_name": "admin1.2777578168398293E12...",
        "display_name": "Alan Van",
        "email": "admin@mycompany.com",
        "status": {"created_date": None, "body": None},
        "urls": {
            "rest": "https://MyDomainName.my.salesforce.com/services/data/v{version}/",
            "sobjects": "https://MyDomainName.my.salesforce.com/services/data/v{version}/sobjects/",
            "search": "https://MyDomainName.my.salesforce.com/services/data/v{version}/search/",
            "query": "https://MyDomainName.my.salesforce.com/services/data/v{version}/query/",
        },
        "active": True,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28800000,
        "last_modified_date": "2021-04-28T20:54:09.000+0000",
    },
    "sosl-search-phone-response.json": {
        "searchRecords": [
            {
                "attributes": {
                    "type": "Contact",
                    "url": "/services/data/v34.0/sobjects/Contact/00361000005wzoeAAA",
                },
                "Id": "00361000005wzoeAAA",
                "Name": "Edna Frank",
                "Phone": "(650) 867-3450",
            },
            {
                "attributes": {
                    "type": "Account",
                    "url": "/services/data/v34.0/sobjects/Account/00161000007To3XAAS",
                },
                "Id": "00161000007To3XAAS",
                "Name": "GenePoint",
                "Phone": "(650) 867-3450",
            },
        ]
    },
    "soql-query-contacts-response.json": {
        "totalSize": 3,
        "done": True,
        "records": [
            {
                "attributes": {"type": "Account"},
                "Id": "00161000007To3XAAS",
                "Name": "GenePoint",
                "Website": "www.genepoint.com",
                "AccountNumber": "CC978213",
                "Contacts": {
                    "records": [
                        {
                            "Id": "00361000005wzoeAAA",
                            "Name": "Edna Frank",
                            "Title": "VP, Technology",
                            "Phone": "(650) 867-3450",
                            "Department": "Technology",
                            "Email": "efrank@genepoint.com",
                        }
                    ]
                },
            },
            {
                "attributes": {"type": "Account"},
                "Id": "00161000007To3VAAS",
                "Name": "United Oil & Gas, UK",
                "Website": "http://www.uos.com",
                "AccountNumber": "CD355119-A",
                "Contacts": {
                    "records": [
                        {
                            "Id": "00361000005wzobAAA",
                            "Name": "Ashley James",
                            "Title": "VP, Finance",
                            "Phone": "+44 191 4956203",
                            "Department": "Finance",
                            "Email": "ajames@uog.com",
                        }
                    ]
                },
            },
            {
                "attributes": {"type": "Account"},
                "Id": "00161000007To3YAAS",
                "Name": "sForce",
                "Website": "www.sforce.com",
                "AccountNumber": None,
                "Contacts": {
                    "records": [
                        {"Id": "00361000005wzohAAA", "Name": "Jake Llorrac", "Phone": None},
                        {"Id": "00361000005wzogAAA", "Name": "Siddartha Nedaerk", "Phone": None},
                    ]
                },
            },
        ],
    },
    "sosl-search-empty-response.json": {"searchRecords": []},
    "sobject-create-task-response.json": {
        "id": "00TB0000003LgMzMAK",
        "success": True,
        "errors": [],
    },
    "oauth-token-response-with-refresh-token.json": {
        "id": "https://login.salesforce.com/id/00Dx0000000BV7z/005x00000012Q9P",
        "issued_at": "1278448101416",
        "refresh_token": "5Aep8614iLM.Dq661ePDmPEgaAW9Oh_L3JKkDpB4xReb54_pZebnUG0h6Sb4KUVDpNt"
        "WEofWM39yg==",
        "instance_url": "https://yourInstance.salesforce.com/",
        "signature": "CMJ4l+CCaPQiKjoOEwEig9H4wqhpuLSk4J2urAe+fVg=",
        "access_token": "00Dx0000000BV7z!AR8AQP0jITN80ESEsj5EbaZTFG0RNBaT1cyWk7TrqoDjoNIWQ2ME_"
        "sTZzBjfmOE6zMHq6y8PIW4eWze9JksNEkWUl.Cju7m4",
        "token_type": "Bearer",
        "scope": "id api refresh_token",
    },
    "limits-response.json": {
        "DailyApiRequests": {"Max": 15000, "Remaining": 15000},
        "DataStorageMB": {"Max": 1024, "Remaining": 1024},
        "FileStorageMB": {"Max": 1024, "Remaining": 1024},
    },
}
