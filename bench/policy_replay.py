"""`govproxy policy replay` on a real audit log, and what it costs per 10,000 records.

    python -m bench.load --clients 8 --duration 20 --keep /tmp/load      # writes /tmp/load/g.db + policies/
    python -m bench.policy_replay /tmp/load [--block TYPE] [--records 10000]

1. The candidate: the log's own policies plus one rule that blocks one more entity type (`--block`, default: the
   type found in the most records that the current policy lets through). `govproxy policy replay` runs over the
   load log as a policy owner would run it; its output is printed as it is.
2. Speed: the load log's records, cycled (same callers, models, entity counts, decisions), are written through the
   proxy's own audit writer into a fresh SQLite database until it holds `--records`; the same command replays them.
   Printed: wall time of the command (process start, policy load, reading, deciding) and the command's own split
   into reading the log and deciding, each per 10,000 records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bench.common import pct  # noqa: F401 - also puts the repo on sys.path
from proxy.routing.catalogue import Catalogue, load_catalogue
from tests.harness import GOVPROXY, base_env

BLOCK_RULE = """apiVersion: govproxy/v1
rules:
  - name: block-{slug}
    match:
      entities: [{{type: {entity}}}]
    action: block
"""


def _records(db: Path) -> list[sqlite3.Row]:
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        return con.execute("SELECT r.*, o.location AS o_location, o.outcome AS o_outcome FROM audit_records r "
                           "LEFT JOIN audit_outcomes o ON o.record_id = r.id WHERE r.kind = 'request' "
                           "AND r.action IS NOT NULL ORDER BY r.seq").fetchall()
    finally:
        con.close()


def pick_type(rows: list[sqlite3.Row]) -> str:
    """The entity type in most records that were not blocked."""
    counts: Counter[str] = Counter()
    for row in rows:
        if row["action"] != "block":
            counts.update(json.loads(row["entities"] or "{}").keys())
    return counts.most_common(1)[0][0]


def replay(candidate: Path, db: Path, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.perf_counter()
    proc = subprocess.run([GOVPROXY, "policy", "replay", str(candidate), "--since", "3650d", "--database-url",
                           f"sqlite:///{db}"], env=env, capture_output=True, text=True, timeout=900)
    return proc, time.perf_counter() - t0


async def fill(db: Path, rows: list[sqlite3.Row], n: int, catalogue: Catalogue) -> float:
    """Write `n` records shaped like `rows` through the proxy's audit writer; returns seconds taken."""
    from proxy.audit.store import AuditWriter
    from proxy.detection.findings import Finding
    from proxy.migrate import upgrade
    from proxy.policy.decision import Action
    from proxy.request.context import Outcome
    from proxy.settings import Settings
    from tests.audit_db import make_ctx

    url = f"sqlite:///{db}"
    upgrade(url)
    writer = await AuditWriter.open(Settings(database_url=url))
    t0 = time.perf_counter()

    async def one(i: int) -> None:
        row = rows[i % len(rows)]
        findings = [Finding(0, 0, 1, t, 1.0, "bench") for t, c in json.loads(row["entities"] or "{}").items()
                    for _ in range(c)]
        targets = json.loads(row["targets"] or "[]")
        action = Action(row["action"])
        ctx = make_ctx(findings=findings, team=row["team"], user=row["user"], action=action,
                       rule=row["rule"], model=row["requested_model"] or "load-external", target=None,
                       outcome=Outcome.ALLOWED, strategies=tuple(json.loads(row["strategies"] or "{}").items()))
        assert ctx.decision is not None
        ctx.decision = replace(ctx.decision, targets=tuple(targets))
        ctx.target = catalogue.get(targets[0]) if targets else None
        await writer.record_decision(ctx)
        await writer.record_outcome(ctx)

    for start in range(0, n, 64):
        await asyncio.gather(*(one(i) for i in range(start, min(n, start + 64))))
    await writer.close()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kept", type=Path, help="the directory bench/load.py --keep wrote (g.db, policies/)")
    ap.add_argument("--block", default=None, help="the entity type the candidate also blocks")
    ap.add_argument("--records", type=int, default=10_000)
    a = ap.parse_args()
    rows = _records(a.kept / "g.db")
    entity = a.block or pick_type(rows)
    env = base_env(GOVPROXY_LOG_LEVEL="warning")
    with tempfile.TemporaryDirectory(prefix="govproxy-replay-") as tmp:
        work = Path(tmp)
        candidate = work / "candidate"
        shutil.copytree(a.kept / "policies", candidate)
        (candidate / "rules" / "15-bench-block.yaml").write_text(
            BLOCK_RULE.format(slug=entity.lower().replace("_", "-"), entity=entity))
        print(f"load log: {len(rows)} request records ({a.kept / 'g.db'}); candidate also blocks {entity}")
        print(f"$ govproxy policy replay <candidate> --since 3650d --database-url sqlite:///{a.kept / 'g.db'}")
        proc, wall = replay(candidate, a.kept / "g.db", env)
        print(proc.stdout.rstrip())
        print(f"(exit {proc.returncode}; {wall:.2f} s wall)")

        big = work / "big.db"
        write_s = asyncio.run(fill(big, rows, a.records, load_catalogue(a.kept / "policies")))
        proc, wall = replay(candidate, big, env)
        first = proc.stdout.splitlines()[:2]
        print(f"\n{a.records} records (the load log's {len(rows)} cycled, written through the audit writer in "
              f"{write_s:.1f} s); replay exit {proc.returncode}")
        print("\n".join(first))
        split = first[1].split()  # "read X s, decided Y s"
        read_s, decide_s = float(split[1]), float(split[4])
        per = 10_000 / a.records
        print(f"per 10,000 records: {wall * per:.2f} s wall for the command, of which reading the log "
              f"{read_s * per:.2f} s and deciding {decide_s * per:.2f} s")


if __name__ == "__main__":
    main()
