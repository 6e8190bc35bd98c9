"""Local storage for message media (MMS images, voicemail audio, fax documents).

Files are content-addressed (SHA-256) under ``MEDIA_DIR``: storing the same bytes twice
is one file, and a path never reveals which extension or message it belongs to.
Access control lives in the views that serve them, never in the file name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from flask import Flask, current_app


def init_app(app: Flask) -> None:
    Path(app.config["MEDIA_DIR"]).mkdir(parents=True, exist_ok=True)


def _root() -> Path:
    return Path(current_app.config["MEDIA_DIR"])


def store_bytes(data: bytes) -> str:
    """Write ``data`` (atomically, once) and return its path relative to the media root."""
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{digest[:2]}/{digest}"
    target = _root() / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    return relative


def path_of(relative: str) -> Path:
    """Return the absolute path of a stored file; refuses paths leaving the media root."""
    root = _root().resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise ValueError("media path outside the media root")
    return path


def read_bytes(relative: str) -> bytes:
    return path_of(relative).read_bytes()


def remove(relative: str) -> None:
    path_of(relative).unlink(missing_ok=True)
