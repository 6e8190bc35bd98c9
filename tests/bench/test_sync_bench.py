"""Smoke test of ``bench/sync.py``: tiny sizes, SQLite only; never checks how fast."""

from __future__ import annotations

import json

from bench.sync import main


def test_sync_bench_runs_and_prints_its_figures_as_the_last_line(capsys):
    main(["--messages", "60", "--customers", "10", "--skip-postgres"])
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["messages"] == 60
    assert figures["records_per_s"]["sqlite"] > 0
    assert figures["records_per_s"]["postgresql"] is None
    assert figures["statements_per_record"]["sqlite"] > 0
