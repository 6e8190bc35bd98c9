"""MMS pictures: sniffed types, the ~600 KB bound, animated GIFs, bombs and oversize files."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from tests.compose.conftest import noisy_png, small_png
from widget.compose.images import ImageRejected, prepare_image, sniff_image_type

LIMIT = 600 * 1024
UPLOAD = 10 * 1024 * 1024
PIXELS = 40_000_000


def prepare(data: bytes, name: str = "picture.png"):
    return prepare_image(data, name, LIMIT, UPLOAD, PIXELS)


def test_large_noisy_png_is_resized_under_the_bound_keeping_aspect_ratio():
    original = noisy_png(4000, 3000)
    assert len(original) > 5 * LIMIT  # random blocks barely compress
    prepared = prepare(original, "scan.png")
    assert len(prepared.data) <= LIMIT
    assert prepared.resized
    with Image.open(io.BytesIO(prepared.data)) as image:
        assert image.size == (prepared.width, prepared.height)
        assert abs(image.width / image.height - 4 / 3) < 0.01
    assert sniff_image_type(prepared.data) == prepared.content_type
    assert prepared.filename.startswith("scan.")


def _animated_gif(frames: int = 6, size=(800, 600)) -> bytes:
    """Random palette frames: GIF's LZW cannot shrink them (deterministic)."""
    rng = random.Random(3)
    palette = list(rng.randbytes(256 * 3))
    images = []
    for _ in range(frames):
        frame = Image.frombytes("P", size, rng.randbytes(size[0] * size[1]))
        frame.putpalette(palette)
        images.append(frame)
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    return out.getvalue()


def test_large_animated_gif_is_flattened_and_fits():
    original = _animated_gif()
    with Image.open(io.BytesIO(original)) as image:
        assert image.n_frames == 6
    assert len(original) > LIMIT
    prepared = prepare(original, "party.gif")
    assert len(prepared.data) <= LIMIT
    assert prepared.flattened
    with Image.open(io.BytesIO(prepared.data)) as image:
        assert getattr(image, "n_frames", 1) == 1
        assert abs(image.width / image.height - 800 / 600) < 0.01


def test_small_animated_gif_is_sent_untouched():
    original = _animated_gif(frames=3, size=(60, 40))
    assert len(original) <= LIMIT
    prepared = prepare(original, "wave.gif")
    assert prepared.data == original
    assert not prepared.flattened and not prepared.resized


def test_small_picture_is_kept_as_is():
    data = small_png()
    prepared = prepare(data)
    assert prepared.data == data and prepared.content_type == "image/png"


def test_type_is_sniffed_from_bytes_not_the_name():
    png = small_png()
    assert prepare(png, "looks-like.jpg").content_type == "image/png"
    with pytest.raises(ImageRejected, match="not a JPEG, PNG or GIF"):
        prepare(b"%PDF-1.4 not a picture", "photo.png")
    bmp = io.BytesIO()
    Image.new("RGB", (10, 10)).save(bmp, "BMP")
    with pytest.raises(ImageRejected, match="not a JPEG, PNG or GIF"):
        prepare(bmp.getvalue(), "photo.jpg")


def test_file_over_the_upload_limit_is_refused_before_decoding():
    # Not even a picture: the size check comes first, so nothing is decoded.
    with pytest.raises(ImageRejected, match="up to 10 MB"):
        prepare(b"\x89PNG\r\n\x1a\n" + b"\0" * UPLOAD, "huge.png")


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares an enormous size: a decompression bomb's header."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [8_000, 12_000, 20_000])  # 64 MP, 144 MP (Pillow warns), 400 MP
def test_decompression_bombs_are_refused_with_a_clear_error(side):
    with pytest.raises(ImageRejected, match="pixels"):
        prepare(_png_header_only(side, side), "bomb.png")


def test_damaged_picture_is_refused():
    with pytest.raises(ImageRejected, match="damaged"):
        prepare(small_png()[:60], "cut.png")


MEMORY_CHECK = """
import io, resource, sys
from PIL import Image
from widget.compose.images import ImageRejected, prepare_image
data = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    prepared = prepare_image(data, "big", 600 * 1024, 10 * 1024 * 1024, 40_000_000)
    print(prepared.width, prepared.height, end=" ")
except ImageRejected as exc:
    print("refused", end=" ")
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def _peak_megabytes(data: bytes) -> tuple[str, int]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", MEMORY_CHECK], input=data, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    *outcome, megabytes = done.stdout.decode().split()
    return " ".join(outcome), int(megabytes)


def test_a_40_megapixel_jpeg_is_decoded_with_bounded_memory():
    """Review: a 154 kB picture under the 40-megapixel limit took the server to 300 MB."""
    out = io.BytesIO()
    Image.new("RGB", (8000, 5000), (200, 120, 40)).save(out, "JPEG", quality=50)
    data = out.getvalue()
    assert len(data) < 2 * 1024 * 1024  # a small upload

    outcome, megabytes = _peak_megabytes(data)

    assert outcome == "8000 5000" or outcome.startswith("1600")
    assert megabytes < 80, megabytes  # whole at full scale it would be 120 MB per copy


def test_a_huge_png_is_refused_before_it_is_decoded():
    out = io.BytesIO()
    Image.new("1", (6000, 6000)).save(out, "PNG")  # 36 MP, a few kB of file

    outcome, megabytes = _peak_megabytes(out.getvalue())

    assert outcome == "refused"
    assert megabytes < 40, megabytes
