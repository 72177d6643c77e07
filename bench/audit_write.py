"""What the audit log costs: sustained records per second, and the latency the audit writes add to a request.

    python -m bench.audit_write [--records 3000] [--concurrency 64] [--requests 300] [--upstream-ms 5]
                                [--databases sqlite,postgres]

For each database (a temporary SQLite file; a fresh PostgreSQL database on 127.0.0.1:5432, dropped after):
- throughput: `--concurrency` tasks write `--records` complete records as the proxy does (record_decision, then
  record_outcome: two chain entries per record). Prints records/s, transactions and the mean batch size.
- latency: a simulated request (decision write, `--upstream-ms` of upstream wait, outcome write) at 1 and 32
  concurrent clients, against the same request with no audit, in the same run (rounds alternate). Prints p50/p99
  for both, what the audit adds, and the ratio.
The writer is the proxy's own (proxy.audit.store.AuditWriter), with the proxy's durability settings (SQLite:
WAL, synchronous=FULL; PostgreSQL: synchronous_commit on).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.common import pct  # also puts the repo on sys.path
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

    async def worker() -> None:
        for i in counter:
            ctx = _ctx(i)
            await writer.record_decision(ctx)
            await writer.record_outcome(ctx)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t0
    await writer.close()
    assert writer.failures == 0, "audit writes failed"
    return {"records_per_s": records / elapsed, "entries_per_s": writer.entries_written / elapsed,
            "transactions": writer.batches, "mean_batch": writer.entries_written / max(writer.batches, 1)}


async def latency(url: str, requests: int, clients: int, upstream_ms: float) -> dict[str, list[float]]:
    writer = await AuditWriter.open(Settings(database_url=url))
    results: dict[str, list[float]] = {"audit": [], "none": []}

    async def request(i: int, audited: bool) -> float:
        ctx = _ctx(i)
        t0 = time.perf_counter()
        if audited:
            await writer.record_decision(ctx)  # before forwarding, as the pipeline does
        await asyncio.sleep(upstream_ms / 1000.0)  # the upstream call
        if audited:
            await writer.record_outcome(ctx)  # awaited before the response is returned
        return (time.perf_counter() - t0) * 1000.0

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
    args = ap.parse_args()
    print(f"audit write benchmark (records={args.records}, concurrency={args.concurrency}, "
          f"requests={args.requests}, upstream={args.upstream_ms} ms)")
    for name in args.databases.split(","):
        with_database(name, lambda url, n=name: run_db(n, url, args))


if __name__ == "__main__":
    main()
