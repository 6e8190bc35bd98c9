"""MMS pictures: a landscape "photo" with a caption, drawn with Pillow.

PNG, JPEG or animated GIF; output is deterministic per argument set.
"""

from __future__ import annotations

import hashlib
import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont, UnidentifiedImageError

__all__ = ["IMAGE_FORMATS", "image_dimensions", "mms_image"]


def _seed(*parts: str) -> int:
    """Return a stable 64-bit seed for ``parts`` (``hash()`` is salted per process)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big")


#: Image formats :func:`mms_image` can produce.
IMAGE_FORMATS = frozenset({"png", "jpeg", "gif"})

# Sky/ground palettes: (top of sky, horizon, sun, near hills, far hills).
_PALETTES: tuple[tuple[tuple[int, int, int], ...], ...] = (
    ((37, 64, 143), (250, 176, 120), (255, 236, 170), (46, 82, 64), (92, 112, 140)),
    ((20, 30, 70), (230, 110, 90), (255, 210, 140), (40, 40, 70), (90, 70, 110)),
    ((90, 160, 220), (200, 230, 250), (255, 250, 220), (70, 130, 70), (120, 160, 190)),
    ((60, 40, 110), (245, 150, 160), (255, 230, 200), (70, 50, 90), (130, 100, 150)),
    ((15, 90, 120), (120, 210, 200), (250, 250, 210), (20, 90, 90), (80, 150, 160)),
)


# Typographic punctuation the caption font may lack, mapped to plain equivalents.
_CAPTION_ASCII = {
    "\u2013": "-",
    "\u2014": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
}


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    """Linear blend of two RGB colours (``t`` = 0 gives ``a``)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _hills(
    rng: random.Random, width: int, height: int, base: float, amp: float, shift: float
) -> list[tuple[float, float]]:
    """Polygon points of a rolling hill line closed along the bottom edge."""
    waves = [(rng.uniform(0.5, 2.5), rng.uniform(0, math.tau), rng.uniform(0.3, 1.0))]
    waves.append((rng.uniform(2.5, 6.0), rng.uniform(0, math.tau), rng.uniform(0.1, 0.35)))
    points = [(0.0, float(height))]
    steps = 48
    for i in range(steps + 1):
        x = width * i / steps
        u = i / steps + shift
        y = base - amp * sum(a * math.sin(f * math.tau * u + p) for f, p, a in waves)
        points.append((x, y))
    points.append((float(width), float(height)))
    return points


def _scene(label: str, size: tuple[int, int], frame: int, frames: int) -> Image.Image:
    """Draw one RGB frame of the landscape "photo" seeded by ``label``."""
    width, height = size
    rng = random.Random(_seed("mms", label))
    sky_top, horizon, sun_colour, near, far = _PALETTES[rng.randrange(len(_PALETTES))]
    horizon_y = height * rng.uniform(0.55, 0.68)

    # Vertical gradient sky, drawn on a 1-pixel-wide strip and stretched.
    strip = Image.new("RGB", (1, height))
    for y in range(height):
        t = min(1.0, y / horizon_y)
        strip.putpixel((0, y), _mix(sky_top, horizon, t**1.4))
    image = strip.resize((width, height), Image.Resampling.NEAREST)

    # Sun glow: a radial gradient used as a blending mask.
    t = frame / max(1, frames)
    sun_r = min(width, height) * rng.uniform(0.07, 0.11)
    sun_x = width * rng.uniform(0.2, 0.8) + width * 0.04 * t
    sun_y = horizon_y * rng.uniform(0.35, 0.7) - height * 0.03 * t
    glow_size = round(sun_r * 7)
    glow = Image.radial_gradient("L").resize((glow_size, glow_size), Image.Resampling.BILINEAR)
    # radial_gradient() holds the distance from the centre (128 at the inscribed circle).
    glow = glow.point(lambda v: round(190 * max(0.0, 1.0 - v / 128) ** 2))
    mask = Image.new("L", size, 0)
    mask.paste(glow, (round(sun_x - glow_size / 2), round(sun_y - glow_size / 2)))
    image = Image.composite(Image.new("RGB", size, sun_colour), image, mask)

    draw = ImageDraw.Draw(image, "RGBA")
    draw.ellipse(
        (sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r),
        fill=(*sun_colour, 255),
    )
    # A few soft "bokeh" circles drifting with the frame index.
    for _ in range(5):
        r = min(width, height) * rng.uniform(0.02, 0.06)
        x = width * rng.uniform(0.05, 0.95) + width * 0.02 * t
        y = horizon_y * rng.uniform(0.1, 0.8)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, rng.randrange(25, 60)))

    draw.polygon(_hills(rng, width, height, horizon_y, height * 0.08, shift=0.0), fill=(*far, 255))
    draw.polygon(
        _hills(rng, width, height, horizon_y + height * 0.14, height * 0.06, shift=0.05 * t),
        fill=(*near, 255),
    )
    image = image.filter(ImageFilter.SMOOTH)

    # Caption bar with the label, as a phone would overlay a sender's note.
    text = "".join(_CAPTION_ASCII.get(ch, ch) for ch in label)
    text = "".join(ch if 0x20 <= ord(ch) <= 0xFF else "?" for ch in text) or "MMS"
    font_size = max(10, height // 18)
    font = ImageFont.load_default(size=font_size)
    draw = ImageDraw.Draw(image, "RGBA")
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = max(4, font_size // 2)
    bar_top = height - (bottom - top) - 2 * pad
    draw.rectangle((0, bar_top, width, height), fill=(0, 0, 0, 110))
    draw.text((pad - left, bar_top + pad - top), text, font=font, fill=(255, 255, 255, 255))
    return image


def mms_image(fmt: str, label: str, size: tuple[int, int] = (640, 480)) -> bytes:
    """Draw an MMS "photo" stand-in: a landscape scene seeded by ``label`` with a caption.

    ``fmt`` is ``"png"``, ``"jpeg"`` or ``"gif"``; a GIF is a 4-frame animation
    (250 ms per frame, looping forever).  Returns the encoded image bytes, at
    exactly ``size`` pixels; the same arguments always give the same bytes.
    Raises ``ValueError`` for an unknown format or a size outside 16-4096 px.
    """
    fmt = fmt.lower()
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"unsupported image format {fmt!r}; expected one of png, jpeg, gif")
    width, height = (int(v) for v in size)
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        raise ValueError("image size must be between 16 and 4096 pixels per side")

    out = io.BytesIO()
    if fmt == "gif":
        frames = [
            _scene(label, (width, height), i, 4).quantize(
                colors=256,
                method=Image.Quantize.MEDIANCUT,
                dither=Image.Dither.FLOYDSTEINBERG,
            )
            for i in range(4)
        ]
        frames[0].save(
            out,
            format="GIF",
            save_all=True,
            append_images=frames[1:],
            duration=250,
            loop=0,
            optimize=False,
        )
    elif fmt == "jpeg":
        _scene(label, (width, height), 0, 1).save(out, format="JPEG", quality=85)
    else:
        _scene(label, (width, height), 0, 1).save(out, format="PNG")
    return out.getvalue()


def image_dimensions(data: bytes) -> tuple[int, int]:
    """Return ``(width, height)`` in pixels of the encoded image ``data``.

    Raises ``ValueError("not an image")`` when Pillow cannot identify ``data``.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except UnidentifiedImageError as exc:
        raise ValueError("not an image") from exc
    return int(width), int(height)
