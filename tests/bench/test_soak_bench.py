"""Smoke test of ``bench/soak.py``: a tiny soak; checks the output's shape, never the figures."""

from __future__ import annotations

import json
import shutil

import pytest

from bench.soak import main
from tests.conftest import ON_CI, POSTGRES_URL, require_server

pytestmark = [pytest.mark.processes, pytest.mark.postgres]


def test_soak_bench_runs_and_prints_its_figures_as_the_last_line(capsys, tmp_path):
    require_server("PostgreSQL", "127.0.0.1", 5432)
    if shutil.which("redis-server") is None:
        if ON_CI:
            pytest.fail("redis-server is not installed; CI must run the soak smoke test")
        pytest.skip("redis-server is not installed (the soak starts a private one)")
    main(
        ["--widgets", "6", "--rate", "4", "--minutes", "0.1", "--warmup-seconds", "2"]
        + ["--customers", "3", "--database-url", POSTGRES_URL]
        + ["--trace", str(tmp_path / "trace.txt")]
    )
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    keys = ["requests", "errors_5xx", "frames_expected", "frames_received", "push_p99_ms"]
    keys += ["rss_growth_pct", "crm_duplicates"]
    assert list(figures)[: len(keys)] == keys
    assert figures["requests"] >= figures["frames_expected"] > 0
    assert 0 <= figures["frames_received"] <= figures["frames_expected"]
    assert isinstance(figures["errors_5xx"], int) and isinstance(figures["crm_duplicates"], int)
    assert isinstance(figures["rss_growth_pct"], float)
    # The trace: one "seconds into the phase, push ms" line per frame received.
    trace = [line.split() for line in (tmp_path / "trace.txt").read_text().splitlines()]
    assert len(trace) == figures["frames_received"]
    assert all(float(seconds) >= 0 and float(ms) > 0 for seconds, ms in trace)
