"""A fake RingCentral over real HTTP, speaking the payloads of ``conformance/ringcentral``."""

from .server import FakeRingCentral

__all__ = ["FakeRingCentral"]
