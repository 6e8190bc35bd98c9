"""Jinja filters and globals shared by every template (times in the user's zone, numbers)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app

from widget import htmx_support, security
from widget.phone import display


def user_time(moment: datetime, timezone: str, style: str = "list") -> str:
    """Format ``moment`` in ``timezone``: a clock time today, a weekday this week, else a date."""
    local = moment.astimezone(ZoneInfo(timezone))
    if style == "full":
        return local.strftime("%a %b %-d, %Y %-I:%M %p")
    if style == "clock":
        return local.strftime("%-I:%M %p")
    now = datetime.now(ZoneInfo(timezone))
    if local.date() == now.date():
        return local.strftime("%-I:%M %p")
    if (now.date() - local.date()).days < 7:
        return local.strftime("%a")
    if local.year == now.year:
        return local.strftime("%b %-d")
    return local.strftime("%b %-d, %Y")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["display_number"] = lambda a: display(
        a, current_app.config["DEFAULT_REGION"]
    )
    app.jinja_env.globals["user_time"] = user_time
    from widget.inbox.presenters import media_url

    app.jinja_env.globals["media_url"] = media_url

    @app.context_processor
    def _security_context():
        return {
            "csrf_token": security.csrf_token,
            "hx_headers": lambda: htmx_support.request_headers_json(
                security.widget_token(), security.csrf_token()
            ),
            "token_refresh_header": htmx_support.TOKEN_REFRESH_HEADER,
        }
