"""The demo account's people, numbers and conversation scripts (data only)."""

from __future__ import annotations

ACCOUNT = {
    "platform_account_id": "sandbox-demo",
    "name": "Sidetalk Demo Co",
    "main": "+16505550100",
}

# extension number, name, email, time zone, admin, SMS numbers
EXTENSIONS = [
    ("101", "Alice Chen", "alice@demo.sidetalk.test", "America/New_York", True, ["+16505550101"]),
    ("102", "Bob Martinez", "bob@demo.sidetalk.test", "America/Chicago", False, ["+16505550102"]),
    (
        "103",
        "Carol Nguyen",
        "carol@demo.sidetalk.test",
        "Europe/London",
        False,
        ["+16505550103", "+16505550113"],
    ),
    ("104", "Dev Patel", "dev@demo.sidetalk.test", "America/Los_Angeles", False, ["+16505550104"]),
    ("105", "Erin Walsh", "erin@demo.sidetalk.test", "Asia/Tokyo", False, ["+16505550105"]),
]

# first, last, company, number: the shared company directory
DIRECTORY_CONTACTS = [
    ("Jane", "Roe", "Roe Logistics", "+14155550123"),
    ("Sam", "Okafor", "Okafor Dental", "+12125550187"),
    ("Priya", "Shah", "Shah & Co", "+13125550144"),
    ("", "", "Acme Corp front desk", "+16175550199"),
    ("Oliver", "Brooks", "Brooks Plumbing", "+442079460123"),
]

# owner extension, first, last, number: personal contacts
PERSONAL_CONTACTS = [
    ("101", "Marco", "Rossi", "+15035550177"),
    ("102", "Hannah", "Lee", "+17735550166"),
]

UNKNOWN_NUMBERS = ["+19175550112", "+12065550131", "+13055550148"]

# (direction, text) pairs; "in" is the outside party, "out" the extension
SMS_SCRIPTS = [
    [
        ("in", "Hi, is my order #4821 shipping today?"),
        ("out", "Hi! Checking now, one moment."),
        ("out", "Yes, it leaves the warehouse at 4 pm. Tracking follows by SMS."),
        ("in", "Perfect, thank you!"),
    ],
    [
        ("in", "Can we move Thursday's appointment to 10:30?"),
        ("out", "10:30 works. I've updated the calendar."),
        ("in", "Great, see you then"),
    ],
    [
        ("out", "Reminder: your service visit is tomorrow between 9 and 11 am."),
        ("in", "Thanks. Please call when the tech is 15 min away."),
        ("out", "Will do."),
    ],
    [
        ("in", "Do you have the quote for the 3-year plan?"),
        ("out", "Sending it over email in a few minutes."),
        ("in", "Got it. Can you do 8% off if we sign this week?"),
        ("out", "Let me check with my manager and get back to you today."),
    ],
    [("in", "Running 10 minutes late, sorry!")],
    [
        ("out", "Your invoice INV-2207 is ready. Reply STOP to opt out of texts."),
        ("in", "Paid just now."),
        ("out", "Received, thank you!"),
    ],
    [
        ("in", "Is the <b>premium</b> tier & support 24/7? \"Yes\" or 'no'?"),
        ("out", "Yes: premium includes 24/7 phone and SMS support."),
    ],
    [
        ("in", "Hello, who is this?"),
        ("out", "This is the support team at Sidetalk Demo Co. You texted us about a refund."),
        ("in", "Oh right. Any update?"),
    ],
]

PAGER_SCRIPTS = [
    [
        ("out", "Can you cover the 2 pm demo?"),
        ("in", "Sure, send me the deck."),
        ("out", "Shared it in the drive. Thanks!"),
    ],
    [("in", "Customer on line 2 asking for you"), ("out", "Taking it now")],
    [("out", "Lunch order going in at noon, want anything?"), ("in", "Pad thai please 🙏")],
]

VOICEMAILS = [
    "Hi, this is Jane from Roe Logistics calling about the delivery window for next week. "
    "Please call me back when you get a chance. Thanks.",
    "Hello, it's Sam Okafor. I'd like to reschedule my appointment on Friday. "
    "You can reach me on this number any time after three.",
    "Hey, quick question about the invoice you sent. It looks like the tax was added twice. "
    "Give me a call back. Bye.",
]

FAXES = [
    (
        "Purchase order PO-7781",
        "Please supply the following items:\n"
        "12 x Model S headsets\n4 x Desk phone DP-200\nDelivery to 500 Harbor Blvd, Suite 12.\n"
        "Payment terms: net 30.\nAuthorized by: Priya Shah",
    ),
    (
        "Signed service agreement",
        "Service agreement between Okafor Dental and Sidetalk Demo Co.\n"
        "Term: 24 months from the date of signature.\nMonthly fee: $480.\n"
        "Signed: Sam Okafor\nDate: see header",
    ),
]

MMS = [
    ("jpeg", "Delivery at loading dock", "Here's the photo of the delivered pallet"),
    ("png", "Damaged box", "The box arrived damaged, see picture"),
    ("gif", "Thank you", ""),
]
