"""The Open CTI call-center definition Sidetalk serves for Salesforce Setup → Call Centers.

Facts from Salesforce's documentation (``conformance/salesforce/SOURCES.md``, fact 13):
``reqAdapterUrl`` must be https for Lightning; ``reqSoftphoneHeight`` 240-2560 and
``reqSoftphoneWidth`` 200-1920 px in Lightning; ``reqSalesforceCompatibilityMode`` must
be ``Lightning`` (or ``Classic_and_Lightning``) to work in Lightning Experience;
``reqInternalName`` is at most 40 alphanumerics starting with a letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

INTERNAL_NAME = "SidetalkMessaging"
DISPLAY_NAME = "Sidetalk"
SOFTPHONE_WIDTH = 360  # the sidebar's width; Lightning allows 200-1920
SOFTPHONE_HEIGHT = 640  # Lightning allows 240-2560
WIDGET_PATH = "/widget/"


@dataclass(frozen=True)
class CallCenter:
    """The values of the definition file."""

    internal_name: str
    display_name: str
    adapter_url: str
    width: int
    height: int
    compatibility_mode: str = "Lightning"


def adapter_url(public_url: str) -> str:
    """Return the widget's address over HTTPS (Lightning refuses plain http adapters)."""
    parts = urlsplit(public_url)
    path = parts.path.rstrip("/") + WIDGET_PATH
    return urlunsplit(("https", parts.netloc, path, "", ""))


def call_center(public_url: str) -> CallCenter:
    """Return the definition for the server reachable at ``public_url``."""
    return CallCenter(
        internal_name=INTERNAL_NAME,
        display_name=DISPLAY_NAME,
        adapter_url=adapter_url(public_url),
        width=SOFTPHONE_WIDTH,
        height=SOFTPHONE_HEIGHT,
    )
