"""The builder's live preview: the real Log panel, rendered from a draft for a sample contact.

The panel template is the one users get (``crm_logging/log_panel.html``), so the preview
cannot drift from what they will see; only the data is made up: one matched contact whose
``additional_info`` offers sample options for every contact-dependent field the
connector fills.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template
from jinja2_fragments.flask import render_block
from markupsafe import Markup

from connectors.records import RELATED_TO, MatchedRecord
from connectors.registry import get_connector
from manifest import build_form
from widget.crm_logging import panel

SAMPLE_PHONE = "+14155550123"
SAMPLE_NAME = "Jane Roe (sample)"
SAMPLE_BODY = (
    "Conversation with Jane Roe (sample)\n\n"
    "[09:14] Jane Roe: Can the delivery move to Friday?\n"
    "[09:16] You: Yes, Friday works. See you then."
)


@dataclass(frozen=True)
class SampleConversation:
    """Stands in for a conversation: the panel only reads its id and members."""

    id: int
    addresses: list[str]


def _sample_options(const: str) -> list[dict[str, str]]:
    if const == RELATED_TO:
        return [
            {"const": "sample-account", "title": "Account: Roe Logistics (sample)"},
            {"const": "sample-deal", "title": "Opportunity: Fleet renewal (sample)"},
        ]
    return [
        {"const": f"{const}-1", "title": "Sample option 1"},
        {"const": f"{const}-2", "title": "Sample option 2"},
    ]


def sample_contact(connector_id: str, platform: dict[str, Any]) -> MatchedRecord:
    """Return the matched contact the preview shows, as the connector would return it."""
    types = [t.get("value") for t in platform.get("contactTypes") or [] if isinstance(t, dict)]
    supplied = get_connector(connector_id).contact_info_keys
    return MatchedRecord(
        id="sample-contact",
        name=SAMPLE_NAME,
        type=str(types[0]) if types and types[0] else "Contact",
        phone=SAMPLE_PHONE,
        additional_info={const: _sample_options(const) for const in supplied},
    )


def render_preview(connector_id: str, document: dict[str, Any], base_url: str) -> str:
    """Return the HTML document of the preview frame for a valid ``document``."""
    platform = document["platforms"][connector_id]
    connector = get_connector(connector_id)
    crm = panel.CrmView(None, connector, platform, base_url)  # type: ignore[arg-type]
    contact = sample_contact(connector_id, platform)
    choice = panel.RecordChoice(contact, SAMPLE_PHONE, None)
    log_panel = panel.LogPanel(
        conversation=SampleConversation(0, [SAMPLE_PHONE]),  # type: ignore[arg-type]
        crm=crm,
        choices=[choice],
        chosen=choice,
        fields=build_form(crm.fields_of("messageLog"), contact.additional_info),
    )
    context = {
        "panel": log_panel,
        "framed": panel.framed,
        "title": SAMPLE_PHONE,
        "known_names": {},
        "values": {},
        "errors": {},
        "record_error": None,
        "preview": SAMPLE_BODY,
        "status": None,
        "oob_preview": False,
    }
    if crm.log_format == "text/html":
        context["preview"] = "<p>" + SAMPLE_BODY.replace("\n", "<br>") + "</p>"
    html = render_block("crm_logging/log_panel.html", "log_panel", **context)
    # The block was rendered with autoescaping on: it is markup, not text to escape again.
    return render_template("admin/preview_frame.html", panel_html=Markup(html))  # noqa: S704
