"""Jinja filters and globals shared by every template (times in the user's zone, numbers)."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

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


class ProcessBytecodeCache(BytecodeCache):
    """Compiled templates kept for the whole process, shared by every app in it.

    A server builds one app, but the test suite builds one per test: without this, each
    app compiles every template again (a fifth of the suite's time). Jinja checks each
    entry against its template's source checksum, so an edited template is recompiled.
    """

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        compiled = bucket.bytecode_to_string()
        with self._lock:
            self._compiled[bucket.key] = compiled


_BYTECODE_CACHE = ProcessBytecodeCache()


def init_app(app: Flask) -> None:
    # Before anything touches app.jinja_env: its options are read when it is created.
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _BYTECODE_CACHE}
    app.jinja_env.filters["display_number"] = lambda a: display(
        a, current_app.config["DEFAULT_REGION"]
    )
    app.jinja_env.globals["user_time"] = user_time

    @app.context_processor
    def _security_context():
        return {
            "csrf_token": security.csrf_token,
            "hx_headers": lambda: htmx_support.request_headers_json(
                security.widget_token(), security.csrf_token()
            ),
            "token_refresh_header": htmx_support.TOKEN_REFRESH_HEADER,
            # A page rendered for a sign-in or hand-over POST: the address bar should
            # show the page (sidetalk.js rewrites it), not the POST's URL.
            "handed_over_location": (
                request.full_path.rstrip("?") if request.environ.get(security.HANDED_OVER) else None
            ),
        }
