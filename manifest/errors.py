"""Error values shared by the manifest loader, validator and CLI.

Every problem is reported as a :class:`ManifestError`: an RFC 6901 JSON pointer to
the offending value plus a sentence a manifest author can act on. The pointer ``/``
stands for the whole document (unreadable file, not JSON, not a manifest at all).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DOCUMENT_POINTER = "/"


@dataclass(frozen=True, slots=True)
class ManifestError:
    """One problem in a manifest: where (``pointer``) and what (``message``)."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer}: {self.message}"


class ManifestInvalid(Exception):
    """Raised when a manifest cannot be used; ``errors`` lists every problem found."""

    def __init__(self, errors: Sequence[ManifestError]) -> None:
        self.errors: list[ManifestError] = sort_errors(errors)
        summary = "; ".join(str(error) for error in self.errors[:3])
        more = len(self.errors) - 3
        if more > 0:
            summary += f"; and {more} more"
        super().__init__(f"invalid manifest: {summary}")


def escape_token(token: str | int) -> str:
    """Return one path segment escaped for a JSON pointer (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def to_pointer(path: Iterable[str | int]) -> str:
    """Return the JSON pointer for ``path``; the empty path is the document, ``/``."""
    tokens = [escape_token(token) for token in path]
    if not tokens:
        return DOCUMENT_POINTER
    return "/" + "/".join(tokens)


def _pointer_sort_key(pointer: str) -> tuple[tuple[int, int, str], ...]:
    # Numeric segments sort as numbers so additionalFields/10 comes after /2.
    key: list[tuple[int, int, str]] = []
    for token in pointer.split("/")[1:]:
        if token.isdigit():
            key.append((0, int(token), ""))
        else:
            key.append((1, 0, token))
    return tuple(key)


def sort_errors(errors: Iterable[ManifestError]) -> list[ManifestError]:
    """Return ``errors`` without duplicates, ordered by pointer (numerically) then message."""
    unique = set(errors)
    return sorted(unique, key=lambda error: (_pointer_sort_key(error.pointer), error.message))
