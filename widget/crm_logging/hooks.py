"""What other capabilities call to hand over to CRM logging."""

from __future__ import annotations

from flask import Response, url_for

from widget import htmx_support
from widget.crm_logging import engine
from widget.models import Extension, Message

OPEN_LOG_EVENT = "sidetalk:open-log"


def open_log_page_trigger(response: Response, extension: Extension, message: Message) -> Response:
    """Ask the widget to open the Log panel after the user's first message of the day.

    Call it on the response of a send view. When "Open SMS logging page after message"
    is on and ``message`` is the first the user sent that day in its conversation, the
    response fires ``sidetalk:open-log`` (``HX-Trigger``) with the conversation id and the
    panel's URL; ``crm.js`` loads the panel into ``#thread``.
    """
    if engine.should_open_log_page(extension, message):
        conversation_id = message.conversation_id
        detail = {
            "conversationId": conversation_id,
            "url": url_for("crm_logging.log_panel", conversation_id=conversation_id),
        }
        htmx_support.trigger(response, OPEN_LOG_EVENT, detail)
    return response
