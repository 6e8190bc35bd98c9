"""Fitting a composed log body into a CRM's length limit, never refusing it.

Digests list messages oldest first after a header, so a body that is too long keeps its
header and its newest messages and says, in the body's own format, how many earlier lines
were left out. HTML bodies stay well formed: whole ``<li>`` items are dropped, never cut.
"""

from __future__ import annotations

import html

_ELLIPSIS = "…"


def _marker(omitted: int, limit: int, crm_name: str) -> str:
    what = f"{omitted} earlier line(s) omitted" if omitted else "shortened"
    return f"[… {what}: {crm_name} keeps at most {limit} characters …]"


def _header_count(lines: list[str], log_format: str) -> int:
    """Return how many leading lines are the digest's header."""
    if log_format == "text/html":
        for index, line in enumerate(lines):
            if line.strip() == "<ul>":
                return index + 1
        return 0
    for index, line in enumerate(lines[:40]):
        if not line.strip():
            return index + 1
    return 1 if lines else 0


def _footer_count(lines: list[str], log_format: str) -> int:
    if log_format == "text/html" and lines and lines[-1].strip() == "</ul>":
        return 1
    return 0


def fit_body(body: str, limit: int, log_format: str, crm_name: str) -> str:
    """Return ``body`` when it fits ``limit`` characters, else a shortened body that does,
    with a marker line saying what was left out (see the module docstring)."""
    if len(body) <= limit:
        return body
    lines = body.splitlines(keepends=True)
    head_n = _header_count(lines, log_format)
    foot_n = _footer_count(lines[head_n:], log_format)
    head = "".join(lines[:head_n])
    foot = "".join(lines[len(lines) - foot_n :]) if foot_n else ""
    rest = lines[head_n : len(lines) - foot_n]
    if len(head) + len(foot) > limit // 2:
        head, foot = "", ""  # an absurd header: keep messages rather than the header

    def marker_line(omitted: int) -> str:
        text = _marker(omitted, limit, crm_name)
        if log_format == "text/html":
            return f"<li><em>{html.escape(text)}</em></li>\n"
        return text + "\n"

    budget = limit - len(head) - len(foot) - len(marker_line(len(rest)))
    kept: list[str] = []
    used = 0
    for line in reversed(rest):
        if used + len(line) > budget:
            if not kept and log_format != "text/html":
                # One enormous line: keep its beginning (plain text and Markdown only; an
                # HTML item cut in the middle could leave a tag or entity open).
                kept.append(line[: max(budget - len(_ELLIPSIS) - 1, 0)] + _ELLIPSIS + "\n")
            break
        kept.append(line)
        used += len(line)
    kept.reverse()
    fitted = head + marker_line(len(rest) - len(kept)) + "".join(kept) + foot
    return fitted if len(fitted) <= limit else fitted[: limit - 1] + _ELLIPSIS
