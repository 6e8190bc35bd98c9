"""The sandbox platform: a demo telephony account that lives in Sidetalk's own database.

Registered as the ``sandbox`` entry point of ``sidetalk.platforms``; see ``platform``.
"""

from widget.platforms.sandbox.platform import SandboxPlatform

__all__ = ["SandboxPlatform"]
