"""The strict ``{{ name.attr }}`` substitution and the values it takes from contacts."""

from __future__ import annotations

import pytest

from widget.extensions import db
from widget.models import Contact, ContactPhone, ContactSource
from widget.sms_templates.variables import (
    RecipientValues,
    fill,
    recipient_values,
    variable_errors,
)

JANE = "+14155550123"  # directory contact Jane Roe
ACME = "+16175550199"  # directory contact with only a company name
MARCO = "+15035550177"  # personal contact of 101
UNKNOWN = "+19175550112"


def values(**extra) -> RecipientValues:
    base = {
        "user.name": "Alice Chen",
        "user.first_name": "Alice",
        "user.extension": "101",
        "company.name": "Demo Co",
    }
    return RecipientValues({**base, **extra}, None)


@pytest.mark.parametrize(
    "body",
    [
        "Hi {{contact.first_name}}",
        "Hi {{ contact.first_name }}, {{user.name}} of {{company.name}} (ext {{user.extension}})",
        "No variables at all",
        "Braces alone are text: { } }} and a lone } too",
    ],
)
def test_known_variables_are_accepted(body):
    assert variable_errors(body) == []


def test_unknown_variable_is_named_in_the_error():
    errors = variable_errors("Hi {{contact.shoe_size}}, size {{ shoe }}")
    assert len(errors) == 2
    assert "{{contact.shoe_size}}" in errors[0]
    assert "{{contact.first_name}}" in errors[0]  # says what is allowed
    assert "{{ shoe }}" in errors[1]


@pytest.mark.parametrize(
    "body",
    ["Hi {{contact.first_name", "{{user.name}} and {{", "{{ contact.name}} {{Contact.name}}"],
)
def test_unclosed_or_miscased_variables_are_rejected(body):
    assert variable_errors(body)


def test_jinja_syntax_is_not_a_variable():
    assert variable_errors("{{ 7*7 }}")
    assert variable_errors("{{ config.SECRET_KEY }}")
    assert variable_errors("{{ ''.__class__ }}")


def test_fill_replaces_every_occurrence():
    filled = fill(
        "Hi {{contact.first_name}} {{ contact.last_name }}, {{contact.first_name}}! {{user.name}}",
        values(**{"contact.first_name": "Jane", "contact.last_name": "Roe"}),
    )
    assert filled.text == "Hi Jane Roe, Jane! Alice Chen"
    assert filled.warnings == []


def test_values_are_inserted_once_and_never_reinterpreted():
    hostile = values(
        **{
            "contact.first_name": "{{user.name}}",
            "contact.last_name": "<script>alert(1)</script>",
            "contact.name": "{{ 7*7 }}",
        }
    )
    filled = fill("{{contact.first_name}}|{{contact.last_name}}|{{contact.name}}", hostile)
    assert filled.text == "{{user.name}}|<script>alert(1)</script>|{{ 7*7 }}"


def test_a_missing_value_leaves_the_variable_empty_with_a_warning():
    filled = fill("Hi {{contact.first_name}}, {{contact.first_name}}.", values())
    assert filled.text == "Hi , ."
    assert filled.warnings == ["No first name for this contact: {{contact.first_name}} left empty."]


def test_the_missing_contact_reason_replaces_the_generic_one():
    context = RecipientValues(values().values, "No recipient chosen yet")
    filled = fill("Hi {{contact.name}} from {{user.first_name}}", context)
    assert filled.text == "Hi  from Alice"
    assert filled.warnings == ["No recipient chosen yet: {{contact.name}} left empty."]


def test_an_unknown_variable_in_an_old_template_stays_as_written():
    filled = fill("Size {{contact.shoe_size}}", values())
    assert filled.text == "Size {{contact.shoe_size}}"
    assert "{{contact.shoe_size}}" in filled.warnings[0]


def test_directory_contact_values(ext):
    alice = ext("101")
    context = recipient_values(alice, [JANE], "US")
    assert context.contact_missing_reason is None
    assert context.values["contact.first_name"] == "Jane"
    assert context.values["contact.last_name"] == "Roe"
    assert context.values["contact.name"] == "Jane Roe"
    assert context.values["user.name"] == "Alice Chen"
    assert context.values["user.first_name"] == "Alice"
    assert context.values["user.extension"] == "101"
    assert context.values["company.name"] == "Sidetalk Demo Co"


def test_company_only_contact_has_a_name_but_no_first_name(ext):
    context = recipient_values(ext("101"), [ACME], "US")
    assert context.values["contact.name"] == "Acme Corp front desk"
    filled = fill("Hi {{contact.first_name}}", context)
    assert filled.warnings == ["No first name for this contact: {{contact.first_name}} left empty."]


def test_personal_contacts_are_their_owners_only(ext):
    assert recipient_values(ext("101"), [MARCO], "US").values["contact.first_name"] == "Marco"
    bob = recipient_values(ext("102"), [MARCO], "US")
    assert "contact.first_name" not in bob.values
    assert bob.contact_missing_reason == "No contact matches (503) 555-0177"


def test_colleagues_by_extension_number_and_by_phone_number(ext):
    by_extension = recipient_values(ext("101"), ["102"], "US")
    assert by_extension.values["contact.first_name"] == "Bob"
    assert by_extension.values["contact.last_name"] == "Martinez"
    by_phone = recipient_values(ext("101"), ["+16505550113"], "US")  # Carol's second number
    assert by_phone.values["contact.name"] == "Carol Nguyen"


def test_unknown_number_and_no_recipient(ext):
    unknown = recipient_values(ext("101"), [UNKNOWN], "US")
    assert unknown.contact_missing_reason == "No contact matches (917) 555-0112"
    nobody = recipient_values(ext("101"), [], "US")
    assert nobody.contact_missing_reason == "No recipient chosen yet"
    assert nobody.values["user.extension"] == "101"


def test_several_recipients_fill_contact_values_only_when_they_agree(ext):
    alice = ext("101")
    differing = recipient_values(alice, [JANE, "+12125550187"], "US")
    assert differing.contact_missing_reason == "2 recipients with different names"
    assert "contact.name" not in differing.values
    # The same person twice (repeated in the list) is one recipient.
    assert recipient_values(alice, [JANE, JANE], "US").values["contact.name"] == "Jane Roe"


def test_directory_contact_wins_over_a_personal_one_for_the_same_number(ext):
    alice = ext("101")
    personal = Contact(
        account_id=alice.account_id,
        owner_extension_id=alice.id,
        source=ContactSource.PERSONAL,
        first_name="Janie",
        last_name="Personal",
    )
    personal.phones.append(ContactPhone(e164=JANE))
    db.session.add(personal)
    db.session.commit()
    assert recipient_values(alice, [JANE], "US").values["contact.first_name"] == "Jane"
