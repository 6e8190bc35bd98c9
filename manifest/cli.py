"""Command-line validation of manifest files (``sidetalk manifest validate PATH...``).

Output is one line per problem, ``FILE: POINTER: MESSAGE``, so editors and CI logs
can point at it; nothing is printed for a valid file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from manifest.errors import ManifestInvalid
from manifest.loader import load_manifest


def validate_paths(paths: Sequence[str]) -> tuple[int, list[str]]:
    """Return ``(exit_code, lines)`` for validating every manifest in ``paths``.

    The exit code is 0 when every file is a valid manifest (legacy shapes are
    upgraded first) and 1 otherwise; ``lines`` holds one ``FILE: POINTER: MESSAGE``
    line per problem, including missing files and invalid JSON (pointer ``/``).
    """
    lines: list[str] = []
    for path in paths:
        try:
            load_manifest(path)
        except ManifestInvalid as invalid:
            lines.extend(f"{path}: {error.pointer}: {error.message}" for error in invalid.errors)
    return (1 if lines else 0), lines


def add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``PATH...`` argument of ``manifest validate`` to ``parser``."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="manifest JSON file(s)")


def build_parser() -> argparse.ArgumentParser:
    """Return the ``python -m manifest`` argument parser (one ``validate`` command)."""
    parser = argparse.ArgumentParser(
        prog="python -m manifest", description="Check App Connect compatible manifests."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser(
        "validate", help="validate manifest files; exit 1 and one line per error"
    )
    add_validate_arguments(validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line in ``argv`` and return the process exit code."""
    args = build_parser().parse_args(argv)
    exit_code, lines = validate_paths(args.paths)
    for line in lines:
        print(line, file=sys.stdout)
    return exit_code
