"""Sending: compose, reply, retry, MMS pictures, pager groups, fax, SMS opt-out.

Registers the blueprint, the template helpers the inbox page's slots use (reply box,
Retry, call back, group members), and the opt-out receiver of ``message_ingested``.
"""

from __future__ import annotations

from flask import Blueprint

from widget.compose import optout
from widget.compose.presenters import TEMPLATE_GLOBALS
from widget.inbox.ingest import message_ingested

bp = Blueprint("compose", __name__, url_prefix="/widget/compose")

# Every new message passes here inside the transaction that stores it (see optout.py).
message_ingested.connect(optout.record_keyword)


@bp.record_once
def _register_template_helpers(state) -> None:
    state.app.jinja_env.globals.update(TEMPLATE_GLOBALS)


from widget.compose import routes, tasks  # noqa: E402,F401
