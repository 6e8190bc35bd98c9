"""Local storage for message media (MMS images, voicemail audio, fax documents).

Files are content-addressed (SHA-256) under ``MEDIA_DIR``: storing the same bytes twice
is one file, and a path never reveals which extension or message it belongs to.
Access control lives in the views that serve them, never in the file name.

File names come from outside (an upload, a platform record): they are cleaned before
they are stored (no path, no control or bidi characters, no quotes: a NUL once reached
a ``Content-Disposition`` header), and a download is named after the type the file is
served as, never the extension a sender chose ("invoice.html" for a PNG).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from flask import Flask, current_app

# A platform that keeps its media in this store (the embedded sandbox) points at a file
# with this prefix and its path, so the store can tell which files its records still use.
STORE_URI_PREFIX = "sandbox://media/"


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


_EXTENSION_OF_TYPE = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/mpeg": ".mp3",
    "audio/ogg": ".ogg",
    "text/plain": ".txt",
}
# Controls, bidi overrides and isolates, path and quoting characters.
_UNSAFE_IN_NAME = re.compile('[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069/\\\\:*?"<>|;]+')
# Blanks (any Unicode space), dots and underscores at either end: " .bashrc", "a\u00a0".
_EDGES = re.compile(r"^[\s._]+|[\s._]+$")
MAX_NAME_LENGTH = 100


def clean_filename(name: str | None) -> str | None:
    """Return the last path part of ``name`` with unsafe characters replaced; None when
    nothing usable is left."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _EDGES.sub("", _UNSAFE_IN_NAME.sub("_", base))
    return _EDGES.sub("", base[:MAX_NAME_LENGTH]) or None


def download_name(name: str | None, content_type: str, fallback: str) -> str:
    """Return the name a download is saved as: the cleaned stem of ``name`` (or
    ``fallback``) with the extension of ``content_type``."""
    stem = clean_filename(name) or fallback
    if "." in stem:
        stem = stem.rsplit(".", 1)[0] or fallback
    return stem + _EXTENSION_OF_TYPE.get(content_type.split(";")[0].strip().lower(), ".bin")
