"""MMS pictures: accept JPEG, PNG or GIF by their bytes, and shrink them to fit an MMS.

Carriers drop large MMS, so a picture is re-encoded until it fits ``MMS_MAX_BYTES``
(about 600 KB), keeping its aspect ratio: first a smaller size, then a lower JPEG quality.
The type is decided by the file's first bytes, never by its name or the browser's claim.
Pillow's decompression-bomb guard is turned into an error a user can read, and a file
over the upload limit is refused before Pillow sees it. Memory is bounded before
decoding: a JPEG is decoded at a reduced scale (``draft``), a PNG or GIF whose pixels
would exceed ``DECODE_BUDGET_BYTES`` is refused. An animated GIF that has to be
shrunk is sent as its first frame (the compose form says so).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"GIF87a", "image/gif", "GIF"),
    (b"GIF89a", "image/gif", "GIF"),
)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}
LONGEST_SIDE = 1600  # more than any phone screen shows in a message
SMALLEST_SIDE = 64
STEP = 0.75  # each retry shrinks both sides by this much
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}
# The most memory one picture's pixels may take while it is prepared (16 MP as RGBA).
DECODE_BUDGET_BYTES = 64 * 1024 * 1024


class ImageRejected(ValueError):
    """The file cannot be sent as an MMS picture; the message says why, for the user."""


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    content_type: str
    filename: str
    width: int
    height: int
    resized: bool
    flattened: bool  # an animation was reduced to its first frame


def sniff_image_type(data: bytes) -> str | None:
    """Return the MIME type the bytes really are (JPEG, PNG, GIF), or None."""
    for magic, content_type, _ in SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


def _megabytes(size: int) -> str:
    shown = f"{size / (1024 * 1024):.1f}".removesuffix(".0")
    return f"{shown} MB"


def _open(data: bytes, max_pixels: int) -> tuple[Image.Image, tuple[int, int]]:
    """Return the decoded picture (a JPEG possibly at a reduced scale) and its real size."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice that; either is a bomb here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected(
            "The picture declares more pixels than can safely be opened; it was refused."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRejected("The picture is damaged and cannot be read.") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageRejected(
            f"The picture is {width}×{height} pixels; pictures of more than "
            f"{max_pixels // 1_000_000} megapixels are refused."
        )
    if image.format == "JPEG":
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale directly: no more pixels than the
        # largest size ever sent, so a 40-megapixel photo costs megabytes, not hundreds.
        image.draft(image.mode, (LONGEST_SIDE, LONGEST_SIDE))
    elif width * height * 4 > DECODE_BUDGET_BYTES:
        # PNG and GIF decode whole (as RGBA when resized): bounded before decoding.
        raise ImageRejected(
            f"The picture is {width}×{height} pixels, too large to open as a PNG or GIF; "
            "send it as a JPEG or smaller."
        )
    try:
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise ImageRejected("The picture is damaged and cannot be read.") from None
    return image, (width, height)


def _encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "GIF", optimize=True)
    return out.getvalue()


def prepare_image(
    data: bytes,
    filename: str,
    max_bytes: int,
    upload_limit: int,
    max_pixels: int,
    size: int | None = None,
) -> PreparedImage:
    """Return the picture ready to send (at most ``max_bytes``); ``ImageRejected`` otherwise.

    ``size`` is the whole upload's size when only its first ``upload_limit + 1`` bytes
    were read (enough to refuse it, and the refusal names the real size).
    """
    if len(data) > upload_limit:
        raise ImageRejected(
            f"“{filename}” is {_megabytes(max(size or 0, len(data)))}; pictures up to "
            f"{_megabytes(upload_limit)} can be attached."
        )
    content_type = sniff_image_type(data)
    if content_type is None:
        raise ImageRejected(f"“{filename}” is not a JPEG, PNG or GIF picture.")
    fmt = next(f for _, t, f in SIGNATURES if t == content_type)
    stem = (filename.rsplit(".", 1)[0] or "picture")[:80]
    image, (width, height) = _open(data, max_pixels)
    animated = getattr(image, "n_frames", 1) > 1
    if len(data) <= max_bytes:
        # Small enough already: sent untouched, animation included.
        return PreparedImage(data, content_type, filename, width, height, False, False)
    image.seek(0)
    frame = ImageOps.exif_transpose(
        image.convert("RGBA" if image.mode in ("P", "LA") else image.mode)
    )
    scale = min(1.0, LONGEST_SIDE / max(frame.size))
    # Keep PNG/GIF (sharp graphics, transparency) while they can fit; photos go to JPEG.
    formats = ["JPEG"] if fmt == "JPEG" else [fmt, "JPEG"]
    while True:
        size = (max(1, round(frame.width * scale)), max(1, round(frame.height * scale)))
        resized = (
            frame.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0) if scale < 1 else frame
        )
        for target in list(formats):
            for quality in (85, 75, 65) if target == "JPEG" else (0,):
                encoded = _encode(resized, target, quality)
                if len(encoded) <= max_bytes:
                    return PreparedImage(
                        encoded,
                        MIME_TYPES[target],
                        f"{stem}.{EXTENSIONS[MIME_TYPES[target]]}",
                        size[0],
                        size[1],
                        True,
                        animated,
                    )
            if target != "JPEG" and len(encoded) * STEP**2 > max_bytes:
                formats.remove(target)  # lossless cannot fit even one step smaller: stop trying
        if min(size) <= SMALLEST_SIDE:
            raise ImageRejected(f"“{filename}” cannot be made small enough to send.")
        scale *= STEP
