"""Smoke test of ``bench/inbox_list.py``: it runs end to end and reports its figures.

Tiny sizes and SQLite only; this checks the bench works, never how fast anything is.
"""

from __future__ import annotations

import json

from bench.inbox_list import CASES, main


def test_bench_runs_and_prints_its_figures_as_the_last_line(capsys):
    exit_code = main(
        [
            "--messages", "2000",
            "--conversations", "100",
            "--requests", "5",
            "--warmup", "1",
            "--skip-postgres",
        ]
    )  # fmt: skip

    assert exit_code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert set(figures) >= {"sqlite", "postgresql"}
    assert figures["postgresql"] is None
    assert "skip-postgres" in figures["postgresql_reason"]
    first = figures["sqlite"]["first_page"]
    pages = [case for case in CASES if case != "search"]
    for case in CASES:
        result = figures["sqlite"][case]
        assert {"median_ms", "p95_ms", "statements"} <= set(result)
        assert result["median_ms"] > 0 and result["p95_ms"] >= result["median_ms"]
        assert result["rows"] == first["rows"] > 0, "every case renders a full page"
    assert figures["sqlite"]["deep_page"]["page"] > figures["sqlite"]["mid_page"]["page"] > 1
    # A page's statement count is fixed: names and media come in one batch per page.
    counts = {figures["sqlite"][case]["statements"] for case in pages}
    assert len(counts) == 1
    # The search lists the Support queue's matching conversations too, marked.
    assert figures["sqlite"]["search_queue_rows"] > 0
