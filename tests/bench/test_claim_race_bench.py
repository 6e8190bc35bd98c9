"""Smoke test of ``bench/claim_race.py``: it runs and every round has one winner.

Tiny sizes; this checks the bench works and its guarantee, never the timings.
"""

from __future__ import annotations

import json

from bench.claim_race import main
from tests.conftest import require_server


def test_claim_race_bench_prints_single_winner_rounds(capsys):
    require_server("PostgreSQL", "127.0.0.1", 5432)
    main(["--rounds", "2", "--agents", "5"])

    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["rounds"] == 2
    assert figures["single_winner_rounds"] == 2
    assert figures["claim_p99_ms"] >= figures["claim_p50_ms"] > 0
