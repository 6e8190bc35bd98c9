"""The org's full list of REST API versions (``GET /services/data/``).

Salesforce answers every version from v31.0 (Summer '14) to the current release, each
labelled with its release: three releases a year, Spring, Summer and Winter, where
Winter '15 (v32.0) came out in autumn 2014. The conformance file holds 5 of the 31
entries of its docs copy (v31.0 to v61.0); the fake serves the whole list through
v67.0 (Summer '26), so the labels it makes are checked against that file in tests.
"""

from __future__ import annotations

FIRST_VERSION = 31  # Summer '14: the oldest version Salesforce still lists
CURRENT_VERSION = 67  # Summer '26
_SEASONS = ("Summer", "Winter", "Spring")


def release_label(major: int) -> str:
    """Return the release name of API version ``major``.0 (e.g. 59 -> "Winter '24")."""
    step = major - FIRST_VERSION
    season = _SEASONS[step % 3]
    year = 14 + (step + 2) // 3
    return f"{season} '{year:02d}"


def version_list(latest: int = CURRENT_VERSION) -> list[dict[str, str]]:
    """Return ``[{label, url, version}]`` from v31.0 to ``latest``.0, oldest first."""
    return [
        {
            "label": release_label(major),
            "url": f"/services/data/v{major}.0",
            "version": f"{major}.0",
        }
        for major in range(FIRST_VERSION, latest + 1)
    ]
