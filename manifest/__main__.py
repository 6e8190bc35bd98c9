"""``python -m manifest validate PATH...``: see :mod:`manifest.cli`."""

from manifest.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
