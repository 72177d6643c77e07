"""`govproxy db …` and `govproxy audit …` as subprocesses (/work/main/.venv/bin/govproxy), on SQLite and
PostgreSQL: migrations, search/show/export/stats, verify (0 / 1 naming the first bad entry), purge, erase and
the audited reveal."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from proxy.audit.store import AuditWriter
from proxy.detection.findings import Finding
from proxy.policy.decision import Action
from proxy.request.context import Outcome
from proxy.settings import Settings
from tests.audit_db import create_pg_database, drop_pg_database, execute, make_ctx
from tests.harness import base_env, cli

KEY = "cli-test-audit-key-0123456789"
SECRET_TEXT = "Card 5425 2334 3010 9903 for Margaret Thornton"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    url = f"sqlite:///{tmp_path}/cli.db" if request.param == "sqlite" else create_pg_database("govproxy_test_cli_")
    env = base_env(GOVPROXY_DATABASE_URL=url, GOVPROXY_TEST_CWD=str(tmp_path))
    yield url, env
    if request.param == "postgres":
        drop_pg_database(url)


def seed(url: str) -> list[str]:
    card, person = SECRET_TEXT.index("5425"), SECRET_TEXT.index("Margaret")
    findings = [Finding(0, card, card + 19, "CREDIT_CARD", 1.0, "cc"),
                Finding(0, person, person + 17, "PERSON", 0.9, "spacy")]
    now = datetime.now(UTC)
    ctxs = [
        make_ctx(team="eng", user="alice", text_=SECRET_TEXT, findings=findings, action=Action.REDACT,
                 rule="pseudonymise", target="external-chat", outcome=Outcome.REDACTED,
                 received_at=now - timedelta(days=120)),
        make_ctx(team="eng", user="bob", received_at=now - timedelta(days=100)),
        make_ctx(team="sales", user="carl", action=Action.BLOCK, rule="block-secrets", target=None,
                 outcome=Outcome.BLOCKED, received_at=now - timedelta(days=1)),
        make_ctx(team="sales", user="alice", text_=SECRET_TEXT, findings=findings, target="onprem-chat",
                 received_at=now - timedelta(hours=1)),
    ]

    async def go() -> None:
        w = await AuditWriter.open(Settings(database_url=url, audit_store_prompts=True,
                                            audit_encryption_key=KEY))  # type: ignore[arg-type]
        for c in ctxs:
            await w.record_decision(c)
            await w.record_outcome(c)
        await w.close()

    asyncio.run(go())
    return [str(c.audit_id) for c in ctxs]


@pytest.fixture
def sqlite_db(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """The review commands are thin over query.py (tested on both databases): SQLite is enough here."""
    url = f"sqlite:///{tmp_path}/cli.db"
    return url, base_env(GOVPROXY_DATABASE_URL=url, GOVPROXY_TEST_CWD=str(tmp_path))


def search(env: dict[str, str], *args: str) -> list[dict[str, object]]:
    out = cli("audit", "search", "--json", "--kind", "request", *args, env=env).stdout
    return [json.loads(line) for line in out.splitlines()]


def test_db_upgrade_current_downgrade(db: tuple[str, dict[str, str]]) -> None:
    _, env = db
    assert cli("db", "upgrade", "0001", env=env).stdout.strip() == "database at revision 0001"
    assert cli("db", "current", env=env).stdout.strip() == "0001"
    assert cli("db", "upgrade", env=env).stdout.strip() == "database at revision 0003_audit_request_id"
    assert cli("db", "downgrade", "0001", env=env).stdout.strip() == "database at revision 0001"
    assert cli("db", "downgrade", "base", env=env).stdout.strip() == "database at revision base"
    assert cli("db", "current", env=env).stdout.strip() == "base"


def test_review_commands(sqlite_db: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    url, env = sqlite_db
    cli("db", "upgrade", env=env)
    ids = seed(url)

    assert [r["id"] for r in search(env)] == ids[::-1]
    assert [r["id"] for r in search(env, "--team", "sales")] == [ids[3], ids[2]]
    assert [r["id"] for r in search(env, "--user", "alice", "--entity", "CREDIT_CARD")] == [ids[3], ids[0]]
    assert [r["id"] for r in search(env, "--decision", "blocked")] == [ids[2]]
    assert [r["id"] for r in search(env, "--target", "onprem-chat")] == [ids[3]]
    assert [r["id"] for r in search(env, "--rule", "pseudonymise")] == [ids[0]]
    assert [r["id"] for r in search(env, "--since", "7d")] == [ids[3], ids[2]]
    assert [r["id"] for r in search(env, "--until", "110d")] == [ids[0]]
    page = cli("audit", "search", "--kind", "request", "--limit", "2", env=env)
    assert len(page.stdout.splitlines()) == 2 and "more: --before" in page.stderr
    text_lines = cli("audit", "search", "--team", "sales", env=env).stdout.splitlines()
    assert len(text_lines) == 2 and "block-secrets" in text_lines[1] and "blocked" in text_lines[1]

    shown = json.loads(cli("audit", "show", ids[0], env=env).stdout)
    assert shown["entities"] == {"CREDIT_CARD": 1, "PERSON": 1} and shown["has_original"] is True
    assert shown["prompt_redacted"][0]["text"] == "Card <CREDIT_CARD> for <PERSON>"
    missing = cli("audit", "show", "nope", env=env, check=False)
    assert missing.returncode == 1 and "No audit record" in missing.stderr

    out = tmp_path / "audit.jsonl"
    result = cli("audit", "export", "--format", "jsonl", "--out", str(out), env=env)
    assert "exported" in result.stderr
    exported = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in exported] == ids
    rows = list(csv.DictReader(io.StringIO(cli("audit", "export", "--format", "csv", "--team", "eng",
                                               env=env).stdout)))
    assert [r["id"] for r in rows] == ids[:2] and rows[0]["outcome"] == "redacted"
    assert cli("audit", "export", "--format", "xml", env=env, check=False).returncode == 2

    stats = json.loads(cli("audit", "stats", "--json", env=env).stdout)
    assert stats["by_decision"] == {"redact": 1, "allow": 2, "block": 1}
    assert stats["by_entity"] == {"CREDIT_CARD": 2, "PERSON": 2}
    assert "by outcome:" in cli("audit", "stats", "--since", "2d", env=env).stdout

    for blob in (out.read_text(), json.dumps(shown), json.dumps(stats)):
        # The card's digit groups, not "5425" alone: a timestamp's or hash's digits may hold any four digits.
        assert not any(v in blob for v in ("5425 2334", "3010 9903", "5425233430109903", "Margaret", "Thornton"))


def test_verify_purge_erase_and_reveal(db: tuple[str, dict[str, str]]) -> None:
    url, env = db
    cli("db", "upgrade", env=env)
    ids = seed(url)
    ok = cli("audit", "verify", env=env)
    assert ok.stdout.startswith("OK: 8 entries (4 records, 4 outcomes")

    denied = cli("audit", "reveal", ids[0], env=env, check=False)
    assert denied.returncode == 1 and "No audit encryption key" in denied.stderr
    revealed = cli("audit", "reveal", ids[0], env={**env, "GOVPROXY_AUDIT_ENCRYPTION_KEY": KEY})
    assert json.loads(revealed.stdout)[0]["text"] == SECRET_TEXT and "audited as record" in revealed.stderr
    reveals = [json.loads(x) for x in cli("audit", "search", "--json", "--kind", "reveal", env=env).stdout.split("\n")
               if x]
    assert sorted(r["detail"]["result"] for r in reveals) == ["failed", "revealed"]  # type: ignore[index]
    assert all(r["detail"]["record_id"] == ids[0] for r in reveals)  # type: ignore[index]

    purged = cli("audit", "purge", "--older-than", "90d", env=env)
    assert "purged 2 records" in purged.stdout and "checkpoint at entry 4" in purged.stdout
    assert cli("audit", "verify", env=env).returncode == 0
    assert [r["id"] for r in search(env)] == [ids[3], ids[2]]
    assert cli("audit", "purge", "--older-than", "ninety", env=env, check=False).returncode == 2

    erased = cli("audit", "erase", "--user", "alice", "--reference", "DSR-7", env=env)
    assert "erased personal fields of 1 records" in erased.stdout
    assert search(env, "--user", "alice") == []
    assert cli("audit", "verify", env=env).returncode == 0
    gone = cli("audit", "reveal", ids[3], env={**env, "GOVPROXY_AUDIT_ENCRYPTION_KEY": KEY}, check=False)
    assert gone.returncode == 1 and "no stored original" in gone.stderr

    execute(url, "UPDATE audit_records SET rule = 'default-allow' WHERE id = :i", i=ids[2])
    bad = cli("audit", "verify", env=env, check=False)
    assert bad.returncode == 1
    assert bad.stdout.startswith("TAMPERED (altered)") and ids[2] in bad.stdout
    report = json.loads(cli("audit", "verify", "--json", env=env, check=False).stdout)
    assert report["ok"] is False and report["problem"]["record_id"] == ids[2]


def test_request_id_lookup_usage_and_recorded_verify(db: tuple[str, dict[str, str]]) -> None:
    url, env = db
    cli("db", "upgrade", env=env)
    ids = seed(url)
    request_id = execute(url, "SELECT request_id FROM audit_records WHERE id = :i", i=ids[2])[0][0]
    shown = json.loads(cli("audit", "show", request_id, env=env).stdout)
    assert shown["id"] == ids[2] and shown["request_id"] == request_id
    assert [r["id"] for r in search(env, "--request-id", request_id)] == [ids[2]]
    exported = cli("audit", "export", "--request-id", request_id, env=env).stdout.splitlines()
    assert [json.loads(x)["id"] for x in exported] == [ids[2]]

    # Usage over 30 days: the three newer requests (the two older than 30 days are out).
    teams = json.loads(cli("usage", "--since", "30d", "--by", "team", "--json", env=env).stdout)
    assert {r["key"]: (r["requests"], r["total_tokens"]) for r in teams["rows"]} == {"sales": (2, 17)}
    everything = json.loads(cli("usage", "--since", "365d", "--by", "model", "--json", env=env).stdout)
    assert {r["key"]: r["requests"] for r in everything["rows"]} == {"external-chat": 3, "onprem-chat": 1}
    assert everything["totals"] == {"key": "total", "requests": 4, "prompt_tokens": 36, "completion_tokens": 15,
                                    "total_tokens": 51}
    by_location = json.loads(cli("usage", "--since", "365d", "--by", "location", "--json", env=env).stdout)
    assert {r["key"]: r["requests"] for r in by_location["rows"]} == {"external": 2, "onprem": 1, "none": 1}
    table = cli("usage", "--since", "365d", "--by", "user", env=env).stdout.splitlines()
    assert table[0].split()[:2] == ["user", "requests"] and table[1].split()[:2] == ["alice", "2"]
    assert table[-1].split() == ["total", "4", "36", "15", "51"]
    assert cli("usage", "--by", "colour", env=env, check=False).returncode == 2

    assert cli("audit", "verify", env=env).returncode == 0
    verified = [json.loads(x) for x in cli("audit", "search", "--json", "--kind", "admin", env=env).stdout.splitlines()
                if x]
    assert verified[0]["endpoint"] == "cli:audit verify" and verified[0]["detail"]["ok"] is True
