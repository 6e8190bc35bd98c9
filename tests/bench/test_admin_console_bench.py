"""Smoke test of ``bench/admin_console.py``: it runs and statements do not grow with history.

Tiny sizes; this checks the bench works and the statement counts, never the timings.
"""

from __future__ import annotations

import json

from bench.admin_console import main


def test_admin_bench_prints_figures_and_statements_stay_flat(capsys):
    exit_code = main(["--small", "2", "--large", "60", "--requests", "2"])

    assert exit_code == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["statements_grow"] is False
    for case, result in figures["large"].items():
        assert result["statements"] == figures["small"][case]["statements"] > 0, case
        assert result["p95_ms"] >= result["median_ms"] > 0
