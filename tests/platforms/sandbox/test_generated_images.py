"""Generated MMS pictures: real PNG, JPEG and animated GIF files."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageSequence

from widget.platforms.sandbox import generated

# --------------------------------------------------------------------------- MMS images


@pytest.mark.parametrize(("fmt", "pil_format"), [("png", "PNG"), ("jpeg", "JPEG"), ("gif", "GIF")])
@pytest.mark.parametrize("size", [(640, 480), (320, 200)])
def test_image_decodes_at_requested_size(fmt: str, pil_format: str, size: tuple[int, int]) -> None:
    data = generated.mms_image(fmt, "Photo from Dana", size=size)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == pil_format
        assert image.size == size
        image.load()
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "a picture, not a flat fill"
    assert generated.image_dimensions(data) == size


def test_gif_is_a_looping_four_frame_animation() -> None:
    data = generated.mms_image("gif", "Dog at the park")
    with Image.open(io.BytesIO(data)) as image:
        assert image.n_frames == 4
        assert image.is_animated
        assert image.info.get("loop") == 0
        frames = []
        for frame in ImageSequence.Iterator(image):
            assert frame.info.get("duration", 0) > 0
            frames.append(frame.convert("RGB").tobytes())
    assert len(set(frames)) == 4, "frames should differ (animation)"


def test_images_are_deterministic_per_label() -> None:
    for fmt in ("png", "jpeg", "gif"):
        first = generated.mms_image(fmt, "Kitchen remodel")
        assert generated.mms_image(fmt, "Kitchen remodel") == first
        assert generated.mms_image(fmt, "Kitchen remodel 2") != first


def test_image_label_with_unusual_characters() -> None:
    data = generated.mms_image("png", "Zoë — 東京 🐶 (\\)")
    assert generated.image_dimensions(data) == (640, 480)


@pytest.mark.parametrize("fmt", ["bmp", "webp", "", "svg"])
def test_unknown_image_format_raises(fmt: str) -> None:
    with pytest.raises(ValueError):
        generated.mms_image(fmt, "x")


@pytest.mark.parametrize("size", [(0, 10), (10, 480), (5000, 480)])
def test_bad_image_size_raises(size: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        generated.mms_image("png", "x", size=size)


@pytest.mark.parametrize("data", [b"", b"not an image", b"%PDF-1.4\n"])
def test_image_dimensions_rejects_non_images(data: bytes) -> None:
    with pytest.raises(ValueError):
        generated.image_dimensions(data)
