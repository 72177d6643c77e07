"""The load benchmark's workload, small (20 clients, 10 s), as a test: no error except the expected policy blocks,
and exactly one complete audit record per request, on SQLite and on PostgreSQL. Slow (two server processes, a
fake upstream process with 200-800 ms answers): run with `pytest -m slow tests/e2e/test_load.py`.

The figures (throughput, latency) are printed by `python -m bench.load`; nothing here asserts on time.
"""

from __future__ import annotations

import pytest

from bench.load import LoadConfig, report, run_load
from bench.load_mix import KINDS


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_small_load_every_request_answered_and_audited(database: str) -> None:
    cfg = LoadConfig(clients=20, duration_s=10, direct_duration_s=3, database=database)
    result = run_load(cfg)
    print(report(cfg, result))
    assert {s.kind for s in result.proxied} == set(KINDS)  # the whole mix was exercised
    assert result.errors == {}, report(cfg, result)
    assert set(result.expected) <= {"403"}  # policy blocks of the requests carrying a secret, and nothing else
    assert result.expected["403"] == sum(1 for s in result.proxied if s.kind == "blocked")
    assert result.records == result.requests == len(result.proxied)  # 0 lost
    assert result.outcomes == result.records  # every record complete
    assert result.verify_ok, result.verify_output
