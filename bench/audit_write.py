"""What the audit log costs: sustained records per second, and the latency the audit writes add to a request.

    python -m bench.audit_write [--records 3000] [--concurrency 64] [--requests 300] [--upstream-ms 5]
                                [--databases sqlite,postgres] [--processes 2] [--govproxy-tree PATH]

For each database (a temporary SQLite file; a fresh PostgreSQL database on 127.0.0.1:5432, dropped after):
- throughput: `--concurrency` tasks write `--records` complete records as the proxy does (record_decision awaited,
  then record_outcome in a task of its own, as the pipeline writes it after the answer: two chain entries per
  record), until every outcome is in. Prints records/s, transactions and the mean batch size.
- latency: a simulated request (decision write, `--upstream-ms` of upstream wait; the outcome written in a task of
  its own, as after the answer) at 1 and 32 concurrent clients, against the same request with no audit, in the
  same run (rounds alternate). Prints p50/p99 for both, what the audit adds, and the ratio.
- processes (`--processes N`, N > 1): N processes (as N workers would) each write `--requests` records one after
  the other into the same database, all starting at once; prints each one's p50/p90/p99/max of the decision write
  (what a request waits for before it is forwarded): how fairly appenders take turns at the chain's lock.
  `--govproxy-tree PATH` runs those writers with the govproxy code of another checkout, for before/after figures.
The writer is the proxy's own (proxy.audit.store.AuditWriter), with the proxy's durability settings (SQLite:
WAL, synchronous=FULL; PostgreSQL: synchronous_commit on).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.common import REPO, pct  # also puts the repo on sys.path
from proxy.audit.store import AuditWriter
from proxy.detection.findings import Finding
from proxy.migrate import upgrade
from proxy.policy.decision import Action
from proxy.request.context import Outcome
from proxy.settings import Settings
from tests.audit_db import create_pg_database, drop_pg_database, make_ctx

FINDINGS = [Finding(0, 0, 5, "EMAIL_ADDRESS", 1.0, "email"), Finding(0, 6, 9, "PERSON", 0.85, "spacy")]


def _ctx(i: int):  # type: ignore[no-untyped-def]
    return make_ctx(user=f"user{i % 50}", findings=FINDINGS, action=Action.REDACT, rule="pseudonymise",
                    strategies=(("EMAIL_ADDRESS", "pseudonymize"), ("PERSON", "pseudonymize")),
                    outcome=Outcome.REDACTED, shadow=("strict",))


async def throughput(url: str, records: int, concurrency: int) -> dict[str, float]:
    writer = await AuditWriter.open(Settings(database_url=url))
    counter = iter(range(records))

    outcomes: list[asyncio.Task[None]] = []

    async def worker() -> None:
        for i in counter:
            ctx = _ctx(i)
            await writer.record_decision(ctx)
            outcomes.append(asyncio.create_task(writer.record_outcome(ctx)))

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    await asyncio.gather(*outcomes)
    elapsed = time.perf_counter() - t0
    await writer.close()
    assert writer.failures == 0, "audit writes failed"
    return {"records_per_s": records / elapsed, "entries_per_s": writer.entries_written / elapsed,
            "transactions": writer.batches, "mean_batch": writer.entries_written / max(writer.batches, 1)}


async def latency(url: str, requests: int, clients: int, upstream_ms: float) -> dict[str, list[float]]:
    writer = await AuditWriter.open(Settings(database_url=url))
    results: dict[str, list[float]] = {"audit": [], "none": []}
    outcomes: list[asyncio.Task[None]] = []

    async def request(i: int, audited: bool) -> float:
        ctx = _ctx(i)
        t0 = time.perf_counter()
        if audited:
            await writer.record_decision(ctx)  # before forwarding, as the pipeline does
        await asyncio.sleep(upstream_ms / 1000.0)  # the upstream call
        elapsed = (time.perf_counter() - t0) * 1000.0
        if audited:  # written after the answer, as the pipeline's finish() does
            outcomes.append(asyncio.create_task(writer.record_outcome(ctx)))
        return elapsed

    async def round_(audited: bool, n: int) -> None:
        queue = iter(range(n))

        async def client() -> None:
            for i in queue:
                results["audit" if audited else "none"].append(await request(i, audited))

        await asyncio.gather(*(client() for _ in range(clients)))

    await round_(True, min(20, requests))  # warm-up: connections, statement caches
    results["audit"].clear()
    per_round = max(requests // 5, clients)
    for _ in range(5):  # alternate, so drift on a shared machine hits both paths alike
        await round_(False, per_round)
        await round_(True, per_round)
    await asyncio.gather(*outcomes)
    await writer.close()
    assert writer.failures == 0, "audit writes failed"
    return results


def _print_latency(name: str, clients: int, res: dict[str, list[float]]) -> None:
    a50, a99 = pct(res["audit"], 50), pct(res["audit"], 99)
    n50, n99 = pct(res["none"], 50), pct(res["none"], 99)
    print(f"  {name:<9} clients={clients:<3} no audit p50 {n50:7.2f} ms p99 {n99:7.2f} ms | "
          f"audit p50 {a50:7.2f} ms p99 {a99:7.2f} ms | added p50 {a50 - n50:6.2f} ms p99 {a99 - n99:6.2f} ms | "
          f"ratio p50 {a50 / n50:4.2f}x")


async def run_db(name: str, url: str, args: argparse.Namespace) -> None:
    tp = await throughput(url, args.records, args.concurrency)
    print(f"  {name:<9} {args.records} records, {args.concurrency} writers: {tp['records_per_s']:8.0f} records/s "
          f"({tp['entries_per_s']:.0f} chain entries/s) in {tp['transactions']:.0f} transactions, "
          f"{tp['mean_batch']:.1f} entries per transaction")
    for clients in (1, 32):
        _print_latency(name, clients, await latency(url, args.requests, clients, args.upstream_ms))


# One contending writer process: `python -c WRITER URL N START_AT TREE`; prints its decision-write latencies.
WRITER = """
import asyncio, sys, time
url, n, start_at, tree = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
sys.path.insert(0, tree)
from proxy.audit.store import AuditWriter
from proxy.settings import Settings
from tests.audit_db import make_ctx

async def main():
    w = await AuditWriter.open(Settings(database_url=url))
    await w.record_decision(make_ctx())  # connected and warm before the start
    await asyncio.sleep(max(0.0, start_at - time.time()))
    lat, outcomes = [], []
    for _ in range(n):
        ctx = make_ctx()
        t0 = time.perf_counter()
        await w.record_decision(ctx)
        lat.append((time.perf_counter() - t0) * 1000)
        outcomes.append(asyncio.create_task(w.record_outcome(ctx)))  # after the answer, as the pipeline does
    await asyncio.gather(*outcomes)
    await w.close()
    print(" ".join(f"{x:.3f}" for x in lat))

asyncio.run(main())
"""


def contending(url: str, processes: int, requests: int, tree: Path) -> list[list[float]]:
    start_at = time.time() + 5.0  # after every interpreter has imported and connected
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, url, str(requests), str(start_at), str(tree)],
                              stdout=subprocess.PIPE, text=True, cwd=str(tree)) for _ in range(processes)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError("a contending writer failed")
    return [[float(x) for x in out.split()] for out in outs]


def _print_contending(name: str, latencies: list[list[float]]) -> None:
    for i, lat in enumerate(latencies):
        print(f"  {name:<9} process {i + 1}/{len(latencies)}: decision write p50 {pct(lat, 50):6.2f} ms  "
              f"p90 {pct(lat, 90):6.2f} ms  p99 {pct(lat, 99):7.2f} ms  max {max(lat):7.2f} ms")


def with_database(name: str, fn: Callable[[str], Awaitable[None]]) -> None:
    if name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="govproxy-bench-audit-") as tmp:
            url = f"sqlite:///{Path(tmp)}/audit.db"
            upgrade(url)
            asyncio.run(fn(url))
        return
    url = create_pg_database("govproxy_bench_")
    try:
        upgrade(url)
        asyncio.run(fn(url))
    finally:
        drop_pg_database(url)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--requests", type=int, default=300, help="per client count, for the latency rounds")
    ap.add_argument("--upstream-ms", type=float, default=5.0)
    ap.add_argument("--databases", default="sqlite,postgres")
    ap.add_argument("--processes", type=int, default=1, help="> 1: also that many contending writer processes")
    ap.add_argument("--govproxy-tree", type=Path, default=REPO, help="the checkout the contending writers run")
    args = ap.parse_args()
    print(f"audit write benchmark (records={args.records}, concurrency={args.concurrency}, "
          f"requests={args.requests}, upstream={args.upstream_ms} ms)")
    for name in args.databases.split(","):
        with_database(name, lambda url, n=name: run_db(n, url, args))
        if args.processes > 1:
            with_database(name, lambda url, n=name: _contend(n, url, args))


async def _contend(name: str, url: str, args: argparse.Namespace) -> None:
    tree = args.govproxy_tree.resolve()
    latencies = await asyncio.to_thread(contending, url, args.processes, args.requests, tree)
    print(f"  {name:<9} {args.processes} processes writing at once ({tree}):")
    _print_contending(name, latencies)


if __name__ == "__main__":
    main()
