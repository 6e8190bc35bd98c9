"""A picture the phone simulator sends as an MMS: checked like a carrier would take it."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from widget.errors import Invalid
from widget.platforms.sandbox.messages import MediaPart

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}


def picture_part(data: bytes, filename: str, limit: int, max_pixels: int) -> MediaPart:
    """Return the MMS part for ``data``; ``Invalid`` (field ``picture``) says what is wrong."""
    if len(data) > limit:
        raise Invalid(f"The picture is larger than {limit // (1024 * 1024)} MB.", "picture")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = FORMATS.get(image.format or "")
            too_big = image.width * image.height > max_pixels
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        kind, too_big = None, False
    if kind is None:
        raise Invalid(f"“{filename}” is not a JPEG, PNG or GIF picture.", "picture")
    if too_big:
        raise Invalid(f"“{filename}” has too many pixels to send.", "picture")
    return MediaPart("MmsAttachment", kind, data, filename)
