"""widget/templates/macros/manifest_fields.html rendered alone and read back as HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from jinja2 import Environment, FileSystemLoader

from manifest import FormField, build_form

TEMPLATES = Path(__file__).resolve().parents[2] / "widget/templates"
HOSTILE = "<script>alert(1)</script>"
PAGE = (
    '{% from "macros/manifest_fields.html" import manifest_fields %}'
    "<form>{{ manifest_fields(fields, values, errors, **extra) }}</form>"
)


@pytest.fixture
def render() -> Any:
    environment = Environment(autoescape=True, loader=FileSystemLoader(str(TEMPLATES)))
    template = environment.from_string(PAGE)

    def _render(
        fields: list[FormField],
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        **extra: Any,
    ) -> BeautifulSoup:
        html = template.render(fields=fields, values=values or {}, errors=errors or {}, extra=extra)
        return BeautifulSoup(html, "html.parser")

    return _render


def _tag(soup: BeautifulSoup, selector: str) -> Tag:
    found = soup.select_one(selector)
    assert isinstance(found, Tag), f"nothing matches {selector}"
    return found


def _label_text(soup: BeautifulSoup, control_id: str) -> str:
    return _tag(soup, f'label[for="{control_id}"]').get_text(" ", strip=True)


FIELDS = [
    {"const": "deals", "title": "Deal", "type": "selection", "contactDependent": True},
    {
        "const": "priority",
        "title": "Priority",
        "type": "selection",
        "required": True,
        "includeNoneOption": True,
        "options": [{"const": "low", "title": "Low"}, {"const": "high", "title": "High"}],
        "defaultValue": "high",
    },
    {"const": "w", "title": "Lead warning", "type": "warning", "description": "Deal wins"},
    {"const": "address", "title": "Address", "type": "inputField", "placeholder": "Street"},
    {"const": "copy", "title": "Copy to comments", "type": "checkbox", "defaultValue": True},
    {"const": "due", "title": "Due", "type": "date", "description": "Follow-up date"},
    {
        "const": "action",
        "title": "Note action",
        "type": "selection",
        "allowCustomValue": True,
        "options": [{"const": "Call", "title": "Phone call"}],
    },
]
CONTACT = {"deals": [{"const": "d1", "title": "Renewal"}, {"const": "d2", "title": "Upsell"}]}


def test_every_control_has_a_visible_label_and_a_prefixed_name(render: Any) -> None:
    soup = render(build_form(FIELDS, CONTACT))
    controls = soup.select("input, select")
    assert [c["name"] for c in controls] == [
        "field_deals",
        "field_priority",
        "field_address",
        "field_copy",
        "field_due",
        "field_action",
    ]
    for control in controls:
        assert control["id"] == control["name"]
        assert _label_text(soup, str(control["id"]))
    assert _label_text(soup, "field_copy") == "Copy to comments"


def test_control_kinds(render: Any) -> None:
    soup = render(build_form(FIELDS, CONTACT))
    assert _tag(soup, "#field_deals").name == "select"
    assert _tag(soup, "#field_address")["type"] == "text"
    assert _tag(soup, "#field_address")["placeholder"] == "Street"
    assert _tag(soup, "#field_copy")["type"] == "checkbox"
    assert _tag(soup, "#field_copy").has_attr("checked")
    assert _tag(soup, "#field_due")["type"] == "date"
    custom = _tag(soup, "#field_action")
    assert custom.name == "input"
    datalist = _tag(soup, f"datalist#{custom['list']}")
    assert [(o["value"], o.get_text()) for o in datalist.select("option")] == [
        ("Call", "Phone call")
    ]


def test_selection_options_defaults_and_none_option(render: Any) -> None:
    soup = render(build_form(FIELDS, CONTACT))
    deals = _tag(soup, "#field_deals")
    assert [(o["value"], o.has_attr("selected")) for o in deals.select("option")] == [
        ("d1", True),
        ("d2", False),
    ]
    priority = _tag(soup, "#field_priority")
    assert priority.has_attr("required")
    assert [
        (o["value"], o.get_text(), o.has_attr("selected")) for o in priority.select("option")
    ] == [
        ("", "None", False),
        ("low", "Low", False),
        ("high", "High", True),
    ]


def test_selection_without_default_starts_on_an_empty_choice(render: Any) -> None:
    form = build_form([{**FIELDS[1], "includeNoneOption": False, "defaultValue": None}])
    options = _tag(render(form), "#field_priority").select("option")
    assert [(o["value"], o.has_attr("selected")) for o in options] == [
        ("", True),
        ("low", False),
        ("high", False),
    ]


def test_values_override_defaults(render: Any) -> None:
    soup = render(
        build_form(FIELDS, CONTACT),
        values={"deals": "d2", "address": "1 Main St", "copy": False, "due": "2025-01-02"},
    )
    assert _tag(soup, '#field_deals option[value="d2"]').has_attr("selected")
    assert _tag(soup, "#field_address")["value"] == "1 Main St"
    assert not _tag(soup, "#field_copy").has_attr("checked")
    assert _tag(soup, "#field_due")["value"] == "2025-01-02"


def test_warning_is_a_note_and_not_a_control(render: Any) -> None:
    soup = render(build_form(FIELDS, CONTACT))
    note = _tag(soup, "p.field-warning")
    assert note["role"] == "note"
    assert note.get_text(" ", strip=True) == "Lead warning: Deal wins"
    assert soup.select('[name="field_w"]') == []


def test_errors_are_shown_next_to_their_field_and_described(render: Any) -> None:
    soup = render(
        build_form(FIELDS, CONTACT),
        errors={"priority": "Required", "due": "Not a date (YYYY-MM-DD)"},
    )
    priority = _tag(soup, "#field_priority")
    assert priority["aria-invalid"] == "true"
    error = _tag(soup, f"#{priority['aria-describedby']}")
    assert "field-error" in error["class"]
    assert error.get_text() == "Required"
    assert error.parent is priority.parent

    due = _tag(soup, "#field_due")
    described = str(due["aria-describedby"]).split()
    assert [_tag(soup, f"#{i}").get_text() for i in described] == [
        "Follow-up date",
        "Not a date (YYYY-MM-DD)",
    ]
    assert not _tag(soup, "#field_address").has_attr("aria-invalid")
    assert len(soup.select("p.field-error")) == 2


def test_custom_prefix(render: Any) -> None:
    soup = render(build_form(FIELDS[3:4]), prefix="extra-")
    assert _tag(soup, "#extra-address")["name"] == "extra-address"
    assert _label_text(soup, "extra-address") == "Address"


def test_hostile_text_is_escaped_everywhere(render: Any) -> None:
    hostile_fields = [
        {"const": "deals", "title": HOSTILE, "type": "selection", "contactDependent": True},
        {"const": "w", "title": HOSTILE, "type": "warning", "description": HOSTILE},
        {"const": "q", "title": "Q", "type": "inputField", "placeholder": '"><script>x</script>'},
    ]
    contact = {"deals": [{"const": '"><b>', "title": HOSTILE}]}
    soup = render(
        build_form(hostile_fields, contact),
        values={"q": '"onfocus="alert(1)'},
        errors={"deals": HOSTILE},
    )
    assert soup.find("script") is None
    assert soup.find("b") is None
    assert _label_text(soup, "field_deals") == HOSTILE
    option = _tag(soup, "#field_deals option")
    assert (option["value"], option.get_text()) == ('"><b>', HOSTILE)
    assert _tag(soup, "p.field-error").get_text() == HOSTILE
    assert HOSTILE in _tag(soup, "p.field-warning").get_text()
    query = _tag(soup, "#field_q")
    assert query["value"] == '"onfocus="alert(1)'
    assert not query.has_attr("onfocus")


def test_empty_field_list_renders_nothing(render: Any) -> None:
    assert render([]).get_text(strip=True) == ""


def test_template_never_marks_values_safe() -> None:
    source = (TEMPLATES / "macros/manifest_fields.html").read_text(encoding="utf-8")
    assert "|safe" not in source.replace(" ", "")
    assert source.count("{% macro ") == 1
