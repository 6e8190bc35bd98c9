"""The ``log_status`` block (logged mark, Logging…, failed with Retry) and its one owner.

The view answers it when a thread opens; when a background write finishes, the real-time
capability pushes it out of band (see ``outcomes``). Two views show the block under one
id, the thread's actions and the open Log panel, and each needs its own markup (only the
thread offers "Choose record"): a push carries one copy per view, each aimed at its view,
and the widget swaps the one whose view is on the page.
"""

from __future__ import annotations

from jinja2_fragments.flask import render_block

from widget.crm_logging import panel
from widget.models import Conversation, Extension

LOG_PAGE = "crm_logging/log_panel.html"
# The views that show the block: the thread's actions, and the Log panel open in its place.
THREAD_VIEW = "thread"
PANEL_VIEW = "panel"


def status_context(
    extension: Extension,
    conversation: Conversation,
    local_base_url: str,
    oob: bool = False,
    view: str = THREAD_VIEW,
) -> dict:
    """Context of ``log_status`` as ``view`` shows it (an unknown view is the thread's);
    ``oob`` replaces that view's block."""
    crm = panel.crm_view(extension, local_base_url)
    return {
        "panel": None,
        "conversation": conversation,
        "status": panel.log_status(extension, conversation, crm),
        "oob": oob,
        "status_view": PANEL_VIEW if view == PANEL_VIEW else THREAD_VIEW,
    }


def render_pushed_status(
    extension: Extension, conversation: Conversation, local_base_url: str
) -> str:
    """One out-of-band copy per view; the widget swaps only the one whose view is open."""
    context = status_context(extension, conversation, local_base_url, oob=True)
    return "".join(
        render_block(LOG_PAGE, "log_status", **{**context, "status_view": view})
        for view in (THREAD_VIEW, PANEL_VIEW)
    )
