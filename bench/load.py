"""govproxy under load: many concurrent clients, a realistic mix, a slow upstream; and every request audited.

    python -m bench.load [--clients 200] [--duration 60] [--direct-duration 20] [--database sqlite|postgres]
                         [--workers 2] [--detection-processes 1] [--delay-ms 200] [--jitter-ms 600]
                         [--chunk-delay-ms 20] [--chunk-size 48] [--replicas 1] [--redis]

`--replicas N` (N > 1) runs N `govproxy serve` replicas on one PostgreSQL database and a private redis-server
(GOVPROXY_REDIS_URL: shared rate limits, budgets, revocation and pseudonym maps) behind a round-robin loopback
balancer (tests/replicas.py); `--redis` gives a single replica the same Redis, for a like-for-like baseline.

A fake upstream runs as its own process (tests/fakes/serve.py: OpenAI and Anthropic APIs) and answers after
200-800 ms (uniform), streaming its answer in chunks spaced `--chunk-delay-ms` apart. govproxy runs as
`govproxy serve` on SQLite or on a fresh PostgreSQL database (dropped after). Each client sends one request at a
time, drawn from the mix (bench/load_mix.py): plain and streamed chat, embeddings, Anthropic messages (plain and
streamed), some with personal data (pseudonymised for external models), a few with a secret (blocked: 403 is
their expected answer), each with a unique user message (so detection runs for real) after a shared system prompt.

Added latency is measured per request: the fake upstream times every request it serves (by the `Request <n>:`
number in its text), and what govproxy added is the client's time minus the upstream's own time for that same
request, to the last byte and, for streams, to the first byte. The same mix is first sent straight to the fake
for `--direct-duration` s: the same measure there is the harness's own floor (client, loopback, event loops).
Printed: throughput, p50/p99 latency per kind, p50/p99 added latency, errors by status, the cores govproxy
used, and the audit check: request records in the audit tables == requests sent (0 lost, every record with its
outcome), and `govproxy audit verify`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.common import fake_upstream as common_fake_upstream
from bench.common import pct  # also puts the repo on sys.path
from bench.load_mix import KINDS, Sample, drive
from tests.audit_db import create_pg_database, drop_pg_database, execute
from tests.harness import ProxyProcess, base_env, cli, create_key, write_policies
from tests.replicas import RedisServer, RoundRobinBalancer

LOG_COPY = str(Path(tempfile.gettempdir()) / "govproxy-load-{database}.log")  # the proxy's log, kept


@dataclass
class LoadConfig:
    clients: int = 200
    duration_s: float = 60.0
    direct_duration_s: float = 20.0
    database: str = "sqlite"
    workers: int = 2
    detection_processes: int = 1  # per worker; with 2 workers the best of the settings tried here
    delay_ms: float = 200.0
    jitter_ms: float = 600.0
    chunk_delay_ms: float = 20.0
    chunk_size: int = 48
    keep: str | None = None  # SQLite only: copy the audit database and the policies here (for bench/policy_replay)
    replicas: int = 1
    redis: bool = False


@dataclass
class LoadResult:
    direct: list[Sample]
    proxied: list[Sample]
    direct_s: float
    proxied_s: float
    # The fake upstream's own time per request (sequence number -> [ms to first byte, ms to last byte]).
    direct_upstream: dict[int, list[float]]
    proxied_upstream: dict[int, list[float]]
    cpu_cores: float               # govproxy processes' CPU seconds / wall seconds during the proxied phase
    requests: int                  # sent to govproxy in the measured phase
    records: int                   # new request records in the audit tables
    outcomes: int                  # of those, records with their outcome
    verify_ok: bool
    verify_output: str = ""
    stages: dict[str, list[float]] = field(default_factory=dict)  # stage -> ms per request, from the audit
    errors: Counter[str] = field(default_factory=Counter)       # unexpected: status or exception class
    expected: Counter[str] = field(default_factory=Counter)     # expected non-200 answers (policy blocks)


def fake_upstream(cfg: LoadConfig) -> AbstractContextManager[str]:
    return common_fake_upstream(cfg.delay_ms, jitter_ms=cfg.jitter_ms, chunk_delay_ms=cfg.chunk_delay_ms,
                                chunk_size=cfg.chunk_size)


def catalogue(upstream: str) -> list[dict[str, object]]:
    caps = ["chat", "completions", "embeddings"]
    return [{"alias": "load-onprem", "model": "openai/fake-onprem", "api_base": upstream + "/v1",
             "location": "onprem", "clearance": "restricted", "capabilities": caps},
            {"alias": "load-external", "model": "openai/fake-external", "api_base": upstream + "/v1",
             "location": "external", "clearance": "internal", "capabilities": caps},
            {"alias": "load-claude", "model": "anthropic/claude-fake", "api_base": upstream,
             "location": "external", "clearance": "internal", "capabilities": ["chat"]}]


@dataclass
class Deployment:
    """The replicas (one or more), the URL clients use (the balancer's, or the one replica's) and the shared env."""

    procs: list[ProxyProcess]
    url: str
    env: dict[str, str]

    @property
    def pids(self) -> list[int]:
        return [p.proc.pid for p in self.procs if p.proc is not None]


@contextmanager
def govproxy(cfg: LoadConfig, upstream: str) -> Iterator[tuple[Deployment, str]]:
    """Yields the running proxy (or replicas) and a caller key; the database is fresh and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="govproxy-load-") as tmp:
        work = Path(tmp)
        db_url = create_pg_database("govproxy_load_") if cfg.database == "postgres" else f"sqlite:///{work}/g.db"
        procs: list[ProxyProcess] = []
        redis_server = RedisServer(work).start() if cfg.redis or cfg.replicas > 1 else None
        balancer = None
        try:
            policies = write_policies(work / "policies", catalogue(upstream))
            extra = {"GOVPROXY_REDIS_URL": redis_server.url, "GOVPROXY_REDACTION_KEY": "load-bench-" + "x" * 32} \
                if redis_server is not None else {}
            env = base_env(GOVPROXY_DATABASE_URL=db_url, GOVPROXY_POLICIES_DIR=str(policies),
                           GOVPROXY_TEST_CWD=str(work), GOVPROXY_LOG_LEVEL="warning",
                           GOVPROXY_DETECTION_PROCESSES=str(cfg.detection_processes), **extra)
            cli("db", "upgrade", env=env)
            key = create_key(env, "load", "bench")
            procs = [ProxyProcess(work, env, workers=cfg.workers) for _ in range(cfg.replicas)]
            with ThreadPoolExecutor(len(procs)) as pool:  # start together (each loads spaCy and litellm)
                list(pool.map(lambda p: p.start(timeout=300), procs))
            url = procs[0].url
            if len(procs) > 1:
                balancer = RoundRobinBalancer([p.port for p in procs]).start()
                url = balancer.url
            yield Deployment(procs, url, env), key
        finally:
            if balancer is not None:
                balancer.stop()
            for p in procs:
                p.stop()
            if procs:
                shutil.copy(procs[0].log_path, LOG_COPY.format(database=cfg.database))
            if redis_server is not None:
                redis_server.stop()
            if cfg.keep and cfg.database == "sqlite":
                keep = Path(cfg.keep)
                keep.mkdir(parents=True, exist_ok=True)
                for f in work.glob("g.db*"):
                    shutil.copy(f, keep / f.name)
                shutil.copytree(work / "policies", keep / "policies", dirs_exist_ok=True)
            if cfg.database == "postgres":
                drop_pg_database(db_url)


def _cpu_seconds(root: int) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = 100.0  # USER_HZ
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(entry.name)
            children.setdefault(int(fields[1]), []).append(pid)
            times[pid] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


def _audit_counts(db_url: str) -> tuple[int, int]:
    rows = execute(db_url, "SELECT count(*), count(o.record_id) FROM audit_records r "
                           "LEFT JOIN audit_outcomes o ON o.record_id = r.id WHERE r.kind = 'request'")
    return int(rows[0][0]), int(rows[0][1])


def _stage_times(db_url: str, n: int) -> dict[str, list[float]]:
    """Stage -> milliseconds, from the timings of the last `n` request records' outcomes (what the proxy spent
    where: `detect` includes the wait for a free detector)."""
    rows = execute(db_url, "SELECT o.timings FROM audit_outcomes o JOIN audit_records r ON o.record_id = r.id "
                           f"WHERE r.kind = 'request' ORDER BY r.seq DESC LIMIT {int(n)}")
    out: dict[str, list[float]] = {}
    for (timings,) in rows:
        for stage, ms in (json.loads(timings) if isinstance(timings, str) else timings).items():
            out.setdefault(stage, []).append(float(ms))
    return out


def _upstream_times(upstream: str) -> dict[int, list[float]]:
    """What the fake timed since the last call (and forget it)."""
    return {int(k): v for k, v in httpx.get(upstream + "/stats", timeout=30).json().items()}


def run_load(cfg: LoadConfig) -> LoadResult:
    """Direct baseline, then the same mix through govproxy; counts the audit records afterwards."""
    with fake_upstream(cfg) as upstream, govproxy(cfg, upstream) as (proc, key):  # proc: the deployment
        db_url = proc.env["GOVPROXY_DATABASE_URL"]
        asyncio.run(drive(upstream, None, cfg.clients, 3.0))  # warm-up, not measured
        _upstream_times(upstream)
        t0 = time.perf_counter()
        direct = asyncio.run(drive(upstream, None, cfg.clients, cfg.direct_duration_s))
        direct_s = time.perf_counter() - t0
        direct_upstream = _upstream_times(upstream)
        asyncio.run(drive(proc.url, key, min(cfg.clients, 20), 3.0))  # warm-up: models, caches, connections
        _upstream_times(upstream)
        before, _ = _audit_counts(db_url)
        cpu0, t0 = sum(map(_cpu_seconds, proc.pids)), time.perf_counter()
        proxied = asyncio.run(drive(proc.url, key, cfg.clients, cfg.duration_s))
        proxied_s = time.perf_counter() - t0
        cpu = (sum(map(_cpu_seconds, proc.pids)) - cpu0) / proxied_s
        proxied_upstream = _upstream_times(upstream)
        deadline = time.time() + 60  # stream records complete just after their stream ends
        while True:
            records, outcomes = _audit_counts(db_url)
            if (records - before >= len(proxied) and outcomes == records) or time.time() > deadline:
                break
            time.sleep(0.5)
        verify = cli("audit", "verify", env=proc.env, check=False, timeout=600)
        stages = _stage_times(db_url, len(proxied))
    result = LoadResult(direct, proxied, direct_s, proxied_s, direct_upstream, proxied_upstream, cpu,
                        len(proxied), records - before, outcomes - before, verify.returncode == 0,
                        (verify.stdout + verify.stderr).strip(), stages)
    for s in proxied:
        if s.ok:
            continue
        (result.expected if s.expected_status == s.status and s.error is None else result.errors)[s.label] += 1
    return result


def added(samples: list[Sample], upstream: dict[int, list[float]], *, first_byte: bool = False) -> list[float]:
    """Per request: what the client waited minus what the upstream itself took for that same request."""
    out = []
    for s in samples:
        times = upstream.get(s.seq)
        if s.ok and times is not None:
            out.append((s.ttfb_ms if first_byte and s.ttfb_ms is not None else s.ms) - times[1 - first_byte])
    return out


def _p(values: list[float]) -> str:
    return f"{pct(values, 50):8.1f} {pct(values, 99):8.1f}" if values else f"{'-':>8} {'-':>8}"


def _row(name: str, via: list[Sample], direct: list[Sample], r: LoadResult, first_byte: bool = False) -> str:
    lat = [(s.ttfb_ms if first_byte else s.ms) or 0.0 for s in via if s.ok]
    up = [r.proxied_upstream[s.seq][1 - first_byte] for s in via if s.ok and s.seq in r.proxied_upstream]
    return (f"{name:<28} {len(lat):6d} {_p(lat)} {_p(up)} {_p(added(via, r.proxied_upstream, first_byte=first_byte))}"
            f" {_p(added(direct, r.direct_upstream, first_byte=first_byte))}")


def report(cfg: LoadConfig, r: LoadResult) -> str:
    lines = [f"govproxy load: {cfg.clients} clients, {cfg.duration_s:.0f} s through govproxy "
             f"({cfg.direct_duration_s:.0f} s direct baseline), database {cfg.database}, "
             f"GOVPROXY_WORKERS={cfg.workers}, GOVPROXY_DETECTION_PROCESSES={cfg.detection_processes}, "
             f"replicas {cfg.replicas}{' (round-robin balancer)' if cfg.replicas > 1 else ''}, "
             f"redis {'on' if cfg.redis or cfg.replicas > 1 else 'off'}",
             f"fake upstream: {cfg.delay_ms:.0f}-{cfg.delay_ms + cfg.jitter_ms:.0f} ms per answer, streamed "
             f"{cfg.chunk_size} chars per chunk every {cfg.chunk_delay_ms:.0f} ms",
             f"throughput: govproxy {len(r.proxied) / r.proxied_s:.1f} req/s ({len(r.proxied)} in {r.proxied_s:.1f}"
             f" s); direct {len(r.direct) / r.direct_s:.1f} req/s ({len(r.direct)} in {r.direct_s:.1f} s)",
             f"govproxy CPU: {r.cpu_cores:.2f} cores busy on average (all its processes)",
             "added = the client's time minus the fake upstream's own time for the same request (p50, p99); "
             "the last pair is the same measure sent direct (the harness's own floor)",
             "",
             f"{'ms':<28} {'n':>6} {'p50':>8} {'p99':>8} {'up p50':>8} {'up p99':>8} {'added50':>8} "
             f"{'added99':>8} {'floor50':>8} {'floor99':>8}"]
    for kind in KINDS:
        via = [s for s in r.proxied if s.kind == kind]
        direct = [s for s in r.direct if s.kind == kind]
        if kind == "blocked":  # answered by govproxy itself: its whole time is added
            lat = [s.ms for s in via if s.status == 403]
            lines.append(f"{'blocked (403 by govproxy)':<28} {len(lat):6d} {_p(lat)}")
            continue
        lines.append(_row(kind, via, direct, r))
        if kind.endswith("stream"):
            lines.append(_row(f"  {kind} first byte", via, direct, r, first_byte=True))
    lines.append(_row("all forwarded", [s for s in r.proxied if s.kind != "blocked"],
                      [s for s in r.direct if s.kind != "blocked"], r))
    lines += ["", "govproxy stages (ms, from the audit records' timings): " + ", ".join(
        f"{stage} p50 {pct(ms, 50):.1f} p99 {pct(ms, 99):.1f}" for stage, ms in r.stages.items() if stage != "total")]
    lines += ["",
              f"errors: {dict(r.errors) or 'none'}; expected answers: {dict(r.expected) or 'none'}; "
              f"direct errors: {sum(1 for s in r.direct if not s.ok)}",
              *[f"  error: {s.kind} #{s.seq} {s.label} after {s.ms:.0f} ms (status {s.status})"
                for s in r.proxied if not s.ok and s.label in r.errors][:10],
              f"audit: {r.requests} requests sent, {r.records} request records, {r.outcomes} with outcome -> "
              f"lost {r.requests - r.records}, incomplete {r.records - r.outcomes}",
              f"audit verify ({'passed' if r.verify_ok else 'FAILED'}): {(r.verify_output or '-').splitlines()[0]}",
              f"govproxy log: {LOG_COPY.format(database=cfg.database)}"]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = LoadConfig()
    ap.add_argument("--clients", type=int, default=d.clients)
    ap.add_argument("--duration", type=float, default=d.duration_s)
    ap.add_argument("--direct-duration", type=float, default=d.direct_duration_s)
    ap.add_argument("--database", choices=("sqlite", "postgres"), default=d.database)
    ap.add_argument("--workers", type=int, default=d.workers)
    ap.add_argument("--detection-processes", type=int, default=d.detection_processes)
    ap.add_argument("--delay-ms", type=float, default=d.delay_ms)
    ap.add_argument("--jitter-ms", type=float, default=d.jitter_ms)
    ap.add_argument("--chunk-delay-ms", type=float, default=d.chunk_delay_ms)
    ap.add_argument("--chunk-size", type=int, default=d.chunk_size)
    ap.add_argument("--keep", default=None, help="SQLite: keep the audit database (g.db) and the policies in this "
                    "directory (input for bench/policy_replay.py)")
    ap.add_argument("--replicas", type=int, default=d.replicas)
    ap.add_argument("--redis", action="store_true", help="give one replica the shared Redis too")
    a = ap.parse_args()
    if a.replicas > 1 and a.database != "postgres":
        ap.error("--replicas > 1 needs --database postgres (replicas share the database)")
    cfg = LoadConfig(a.clients, a.duration, a.direct_duration, a.database, a.workers, a.detection_processes,
                     a.delay_ms, a.jitter_ms, a.chunk_delay_ms, a.chunk_size, a.keep, a.replicas, a.redis)
    print(report(cfg, run_load(cfg)))


if __name__ == "__main__":
    main()
