"""Sending: compose, reply, retry, MMS pictures, pager groups, fax, SMS opt-out.

``init_app`` registers the blueprint, the template helpers the inbox page's thread and
bubbles use (reply box, Retry, call back, group members), and the receivers of
``message_ingested``: SMS opt-out, and a mixed group's answers shared with its members.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("compose", __name__, url_prefix="/widget/compose")


def init_app(app: Flask) -> None:
    """Register the views, the send tasks, the template helpers and the opt-out receiver."""
    from widget.compose import group_answers, optout, tasks, waiting  # noqa: F401 (send tasks)
    from widget.compose.presenters import TEMPLATE_GLOBALS
    from widget.inbox.ingest import message_ingested

    app.register_blueprint(bp)
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)
    # Every new message passes here inside the transaction that stores it (see optout.py);
    # connecting the same receiver again (another app in the process) is a no-op.
    message_ingested.connect(optout.record_keyword)
    message_ingested.connect(group_answers.share_group_answer)


from widget.compose import routes  # noqa: E402,F401
