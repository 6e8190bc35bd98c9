"""RingCentral as Sidetalk's telephony platform (``SIDETALK_PLATFORM=ringcentral``)."""

from widget.platforms.ringcentral import tasks  # noqa: F401 (registers the periodic work)
from widget.platforms.ringcentral.platform import RingCentralPlatform

__all__ = ["RingCentralPlatform"]
