"""The review pages on a large audit log: time to serve the statistics page and the records list on N records.

    python -m bench.stats_page [--records 100000] [--database postgres|sqlite] [--runs 5]

Generates N request records with outcomes in one SQL statement each (PostgreSQL: generate_series; SQLite: a
recursive CTE) into a fresh database: 20 teams, 500 users, 30 days, about 10 % blocked, 20 % redacted with two
entity types, a shadow rule on 1 in 7, on-prem / external routes with token counts. The hash columns are filler
(the chain is not what is measured; the head is moved past them so the page's own audit records still append).
The app is served in-process (httpx over ASGI) with the real key store and audit writer; each page is fetched
`--runs` times after one warm-up and the median and max are printed, beside the JSON stats API
(/admin/audit/stats) over the same period as the baseline in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from proxy.auth.caller import Role
from proxy.migrate import upgrade
from proxy.settings import Settings
from tests.audit_db import create_pg_database, drop_pg_database, execute
from tests.e2e.test_admin_audit import admin_app

PG_SQL = """
INSERT INTO audit_records (id, seq, kind, time, request_id, key_id, team, "user", role, client_addr, endpoint,
  dialect, requested_model, stream, policy_version, classification, action, rule, rules, matches, entities,
  strategies, targets, personal_hash, content_hash, prev_hash, entry_hash)
SELECT md5('r' || g), g * 2 - 1, 'request', now() - ((g * 7919) % 43200) * interval '1 minute', 'req_' || md5('q' || g),
  'k' || (g % 700), 'team' || (g % 20), 'user' || (g % 500), 'caller', '10.0.0.1', '/v1/chat/completions', 'openai',
  CASE WHEN g % 3 = 0 THEN 'onprem-chat' ELSE 'external-chat' END, false, 'v1', 'internal',
  CASE WHEN g % 10 = 0 THEN 'block' WHEN g % 5 = 0 THEN 'redact' ELSE 'allow' END,
  CASE WHEN g % 10 = 0 THEN 'block-secrets' WHEN g % 5 = 0 THEN 'pseudonymise-for-external' ELSE 'default-allow' END,
  '', CASE WHEN g % 7 = 0 THEN json_build_array(json_build_object('rule', 'default-allow', 'action', 'allow',
        'mode', 'enforce'), json_build_object('rule', 'trial-block-cards', 'action', 'block', 'mode', 'shadow'))
      ELSE json_build_array(json_build_object('rule', CASE WHEN g % 10 = 0 THEN 'block-secrets' WHEN g % 5 = 0
        THEN 'pseudonymise-for-external' ELSE 'default-allow' END, 'action', 'allow', 'mode', 'enforce')) END,
  CASE WHEN g % 10 = 0 THEN '{"AWS_ACCESS_KEY_ID": 1}'::json WHEN g % 5 = 0
       THEN '{"EMAIL_ADDRESS": 1, "PERSON": 2}'::json ELSE '{}'::json END,
  '{}'::json, '[]'::json, 'x', 'x', 'x', 'x'
FROM generate_series(1, :n) AS g;
INSERT INTO audit_outcomes (record_id, seq, time, outcome, target, location, attempted, redactions, upstream_status,
  prompt_tokens, completion_tokens, total_tokens, timings, content_hash, prev_hash, entry_hash)
SELECT md5('r' || g), g * 2, now(), CASE WHEN g % 10 = 0 THEN 'blocked' WHEN g % 5 = 0 THEN 'redacted'
  ELSE 'allowed' END, CASE WHEN g % 10 = 0 THEN NULL WHEN g % 3 = 0 THEN 'onprem-chat' ELSE 'external-chat' END,
  CASE WHEN g % 10 = 0 THEN NULL WHEN g % 3 = 0 THEN 'onprem' ELSE 'external' END, '[]'::json, '{}'::json, 200,
  100 + g % 50, 40, 140 + g % 50, '{}'::json, 'x', 'x', 'x'
FROM generate_series(1, :n) AS g;
UPDATE audit_chain SET seq = :n * 2 + 1 WHERE id = 1;
"""


async def measure(db_url: str, runs: int) -> dict[str, list[float]]:
    keys: dict[str, str] = {}
    app = admin_app(Settings(database_url=db_url), keys)
    pages = {"statistics 30d/day": "/admin/stats?since=30d&bucket=day",
             "statistics 7d/hour": "/admin/stats?since=7d&bucket=hour",
             "records list (50, count)": "/admin/",
             "records filtered (team, page 2)": "/admin/?team=team3&limit=50&before=150000",
             "baseline: JSON stats API 30d": "/admin/audit/stats?since=30d"}
    times: dict[str, list[float]] = {name: [] for name in pages}
    async with app.router.lifespan_context(app):
        key = keys[Role.AUDITOR.value]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench",
                                     headers={"authorization": f"Bearer {key}"}, timeout=120) as client:
            for name, path in pages.items():
                for i in range(runs + 1):
                    t0 = time.perf_counter()
                    r = await client.get(path)
                    elapsed = time.perf_counter() - t0
                    assert r.status_code == 200, (path, r.status_code, r.text[:300])
                    if i:  # the first is a warm-up
                        times[name].append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="govproxy-stats-")
    db_url = create_pg_database("govproxy_bench_stats_") if args.database == "postgres" \
        else f"sqlite:///{Path(tmp) / 'audit.db'}"
    try:
        upgrade(db_url)
        t0 = time.perf_counter()
        sql = PG_SQL if args.database == "postgres" else sqlite_sql()
        for statement in filter(str.strip, sql.split(";")):
            execute(db_url, statement, n=args.records)
        if args.database == "postgres":
            execute(db_url, "ANALYZE")
        print(f"generated {args.records:,} records on {args.database} in {time.perf_counter() - t0:.1f} s")
        times = asyncio.run(measure(db_url, args.runs))
        base = statistics.median(times["baseline: JSON stats API 30d"])
        for name, values in times.items():
            med = statistics.median(values)
            print(f"{name:<34} median {med * 1000:8.1f} ms   max {max(values) * 1000:8.1f} ms   "
                  f"x{med / base:5.2f} of the JSON stats API")
    finally:
        if args.database == "postgres":
            drop_pg_database(db_url)


def sqlite_sql() -> str:
    """The PostgreSQL generator, rewritten for SQLite (a recursive CTE for generate_series, json() for casts)."""
    sql = PG_SQL.replace("FROM generate_series(1, :n) AS g", "FROM s")
    sql = sql.replace("SELECT md5(", "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < :n) "
                      "SELECT md5(")
    sql = sql.replace("now() - ((g * 7919) % 43200) * interval '1 minute'",
                      "strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || ((g * 7919) % 43200) || ' minutes')")
    sql = sql.replace("now()", "strftime('%Y-%m-%d %H:%M:%f', 'now')").replace("json_build_array", "json_array")
    sql = sql.replace("json_build_object", "json_object").replace("'::json", "'").replace("md5(", "hex(")
    return sql.replace("false", "0")


if __name__ == "__main__":
    main()
