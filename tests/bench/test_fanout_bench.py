"""Smoke test of ``bench/fanout.py``: a tiny run; checks the output's shape, never the figures."""

from __future__ import annotations

import json

import pytest

from bench.fanout import main
from tests.conftest import require_server

pytestmark = [pytest.mark.processes, pytest.mark.postgres]


def test_fanout_bench_runs_and_prints_its_figures_as_the_last_line(capsys):
    require_server("PostgreSQL", "127.0.0.1", 5432)
    main(["--clients", "3", "--messages", "5", "--rounds", "1"])
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(figures["alone"]) == {"msgs_per_s", "cpu_ms_per_message"}
    watched = figures["with_3_clients"]
    assert watched["missed"] == 0  # 5 messages, each to 3 sockets
    assert watched["msgs_per_s"] > 0 and watched["cpu_ms_per_message"] > 0
    assert 0 < watched["push_p50_ms"] <= watched["push_p99_ms"]
