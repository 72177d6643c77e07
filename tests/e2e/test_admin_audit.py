"""The admin audit API over real HTTP: roles (401/403), filters, pagination, one record, export, verify, stats,
and every access audited. Served by uvicorn from the admin routes with real key and audit stores (no detector, so
no spaCy load); the same routes are mounted in the proxy app."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from proxy.api.admin_audit import routes
from proxy.audit.store import AuditWriter
from proxy.auth.caller import Role
from proxy.auth.keys import KeyStore
from proxy.db import async_engine
from proxy.detection.findings import Finding
from proxy.migrate import upgrade
from proxy.policy.decision import Action
from proxy.request.context import Outcome
from proxy.settings import Settings
from proxy.web.pages import web_routes
from tests.audit_db import execute, make_ctx
from tests.harness import free_port


@dataclass
class AdminServer:
    url: str
    db_url: str
    caller_key: str
    auditor_key: str
    admin_key: str
    ids: list[str]


def admin_app(settings: Settings, keys_out: dict[str, str]) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = async_engine(settings.database_url)
        keys = KeyStore(engine, cache_ttl_s=0)
        for role in Role:
            keys_out[role.value] = (await keys.create("compliance", f"{role.value}-person", role)).key
        audit = await AuditWriter.open(settings)
        app.state.services = SimpleNamespace(keys=keys, audit=audit, settings=settings)
        try:
            yield
        finally:
            await audit.close()
            await engine.dispose()

    return Starlette(routes=[*routes(), *web_routes()], lifespan=lifespan)


def seed(db_url: str) -> list[str]:
    email = Finding(0, 0, 5, "EMAIL_ADDRESS", 1.0, "email")
    ctxs = [
        make_ctx(team="eng", user="alice", findings=[email], action=Action.REDACT, rule="mask-email",
                 target="onprem-chat", outcome=Outcome.REDACTED, strategies=(("EMAIL_ADDRESS", "mask"),),
                 shadow=("strict-email",)),
        make_ctx(team="eng", user="bob"),
        make_ctx(team="sales", user="carl", findings=[email, email], action=Action.BLOCK, rule="no-pii-external",
                 target=None, outcome=Outcome.BLOCKED),
    ] + [make_ctx(team="ops", user=f"op{i}") for i in range(5)]

    async def go() -> None:
        w = await AuditWriter.open(Settings(database_url=db_url))
        for c in ctxs:
            await w.record_outcome(c)
        await w.close()

    asyncio.run(go())
    return [str(c.audit_id) for c in ctxs]


class ServerThread:
    def __init__(self, app: Starlette) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error",
                                                    lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("admin test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve_admin(workdir: Path) -> Iterator[AdminServer]:
    """The admin routes and review pages over a seeded SQLite audit store in `workdir`, on a free port."""
    db_url = f"sqlite:///{workdir}/audit.db"
    upgrade(db_url)
    ids = seed(db_url)
    keys: dict[str, str] = {}
    server = ServerThread(admin_app(Settings(database_url=db_url), keys)).start()
    yield AdminServer(f"http://127.0.0.1:{server.port}", db_url, keys["caller"], keys["auditor"], keys["admin"],
                      ids)
    server.stop()


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminServer]:
    yield from serve_admin(tmp_path_factory.mktemp("admin"))


def get(s: AdminServer, path: str, key: str | None, **params: object) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key else {}
    return httpx.get(s.url + path, headers=headers, params=params, timeout=30)  # type: ignore[arg-type]


def admin_events(s: AdminServer) -> list[tuple[str, str, str | None, str]]:
    return [(r[0], r[1], r[2], r[3]) for r in execute(
        s.db_url, "SELECT r.endpoint, o.outcome, r.role, r.detail FROM audit_records r "
                  "JOIN audit_outcomes o ON o.record_id = r.id WHERE r.kind = 'admin' ORDER BY r.seq")]


PATHS = ["/admin/audit", "/admin/audit/stats", "/admin/audit/verify", "/admin/audit/export",
         "/admin/audit/0123456789abcdef"]


@pytest.mark.parametrize("path", PATHS)
def test_keys_without_the_auditor_role_are_refused(admin_server: AdminServer, path: str) -> None:
    missing = get(admin_server, path, None)
    assert missing.status_code == 401 and missing.json()["error"]["type"] == "authentication_error"
    bad = get(admin_server, path, "gpk_nothere_secret")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_api_key"
    caller = get(admin_server, path, admin_server.caller_key)
    assert caller.status_code == 403 and caller.json()["error"]["type"] == "permission_error"
    assert admin_server.caller_key not in caller.text


def test_list_with_filters_and_pagination(admin_server: AdminServer) -> None:
    r = get(admin_server, "/admin/audit", admin_server.auditor_key, kind="request")
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list" and len(body["data"]) == 8 and body["has_more"] is False
    assert [d["id"] for d in body["data"]] == admin_server.ids[::-1]

    def ids(**params: object) -> list[str]:
        resp = get(admin_server, "/admin/audit", admin_server.admin_key, kind="request", **params)
        assert resp.status_code == 200, resp.text
        return [d["id"] for d in resp.json()["data"]]

    assert ids(team="eng") == admin_server.ids[1::-1]
    assert ids(user="carl") == [admin_server.ids[2]]
    assert ids(decision="block") == [admin_server.ids[2]]
    assert ids(decision="redacted") == [admin_server.ids[0]]
    assert ids(entity="EMAIL_ADDRESS") == [admin_server.ids[2], admin_server.ids[0]]
    assert ids(target="onprem-chat") == [admin_server.ids[0]]
    assert ids(rule="strict-email") == [admin_server.ids[0]]
    assert ids(since="1h") == admin_server.ids[::-1]
    assert ids(until="2000-01-01T00:00:00") == []

    first = get(admin_server, "/admin/audit", admin_server.auditor_key, kind="request", limit=3).json()
    assert len(first["data"]) == 3 and first["has_more"]
    second = get(admin_server, "/admin/audit", admin_server.auditor_key, kind="request", limit=3,
                 before=first["next_cursor"]).json()
    assert [d["id"] for d in second["data"]] == admin_server.ids[4:1:-1]


def test_bad_query_parameters_are_400_without_echo(admin_server: AdminServer) -> None:
    r = get(admin_server, "/admin/audit", admin_server.auditor_key, limit="lots", since="<script>")
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "invalid_query" and "limit" in err["message"] and "since" in err["message"]
    assert "<script>" not in r.text and "lots" not in r.text
    assert get(admin_server, "/admin/audit", admin_server.auditor_key, colour="red").status_code == 400


def test_one_record(admin_server: AdminServer) -> None:
    rid = admin_server.ids[0]
    rec = get(admin_server, f"/admin/audit/{rid}", admin_server.auditor_key).json()
    assert rec["id"] == rid and rec["entities"] == {"EMAIL_ADDRESS": 1} and rec["shadow_rules"] == ["strict-email"]
    assert rec["outcome"]["outcome"] == "redacted" and rec["outcome"]["redactions"] == {"EMAIL_ADDRESS": "mask"}
    missing = get(admin_server, "/admin/audit/ffffffffffffffffffffffffffffffff", admin_server.auditor_key)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_export_jsonl_and_csv(admin_server: AdminServer) -> None:
    r = get(admin_server, "/admin/audit/export", admin_server.auditor_key, format="jsonl", kind="request")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(x) for x in r.text.splitlines()]
    assert [x["id"] for x in lines] == admin_server.ids
    r = get(admin_server, "/admin/audit/export", admin_server.auditor_key, format="csv", team="sales")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["id"] for row in rows] == [admin_server.ids[2]] and rows[0]["outcome"] == "blocked"
    assert get(admin_server, "/admin/audit/export", admin_server.auditor_key, format="xml").status_code == 400


def test_verify_and_stats(admin_server: AdminServer) -> None:
    report = get(admin_server, "/admin/audit/verify", admin_server.auditor_key).json()
    assert report["ok"] is True and report["problem"] is None and report["records"] >= 8
    stats = get(admin_server, "/admin/audit/stats", admin_server.auditor_key).json()
    assert stats["by_kind"]["request"] == 8 and stats["by_decision"]["block"] == 1
    assert stats["by_entity"] == {"EMAIL_ADDRESS": 3} and stats["by_target"]["onprem-chat"] == 1


def test_every_access_is_audited_and_the_chain_stays_valid(admin_server: AdminServer) -> None:
    before = len(admin_events(admin_server))
    get(admin_server, "/admin/audit", admin_server.auditor_key, team="eng", user="alice")
    get(admin_server, "/admin/audit", admin_server.caller_key)
    get(admin_server, "/admin/audit", None)
    events = admin_events(admin_server)[before:]
    assert [(e[0], e[1], e[2]) for e in events] == [("/admin/audit", "allowed", "auditor"),
                                                      ("/admin/audit", "rejected_auth", "caller"),
                                                      ("/admin/audit", "rejected_auth", None)]
    detail = json.loads(events[0][3])
    # A team is a string the auditor typed: kept as its keyed hash and length (proxy/audit/caller_strings.py).
    team = detail["filters"].pop("team")
    assert detail["filters"] == {"user": "(set)", "limit": 50} and detail["returned"] == 1
    assert re.fullmatch(r"<hmac:[0-9a-f]{16}:len=3>", team)
    assert "alice" not in events[0][3]  # whom an auditor looked up is not kept in hashed columns
    assert get(admin_server, "/admin/audit/verify", admin_server.admin_key).json()["ok"] is True


def test_reads_are_refused_when_the_access_cannot_be_audited(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/audit.db"
    upgrade(db_url)
    seed(db_url)
    keys: dict[str, str] = {}
    server = ServerThread(admin_app(Settings(database_url=db_url), keys)).start()
    try:
        execute(db_url, "DROP TABLE audit_chain")  # the writer can no longer append
        r = httpx.get(f"http://127.0.0.1:{server.port}/admin/audit",
                      headers={"authorization": f"Bearer {keys['auditor']}"}, timeout=30)
        assert r.status_code == 503 and r.json()["error"]["code"] == "audit_unavailable"
        assert "data" not in r.json()
    finally:
        server.stop()


def test_request_id_lookup_paging_both_ways_and_count(admin_server: AdminServer) -> None:
    rid = admin_server.ids[2]
    request_id = execute(admin_server.db_url, "SELECT request_id FROM audit_records WHERE id = :i", i=rid)[0][0]
    by_filter = get(admin_server, "/admin/audit", admin_server.auditor_key, request_id=request_id).json()
    assert [d["id"] for d in by_filter["data"]] == [rid] and by_filter["total"] == 1
    by_path = get(admin_server, f"/admin/audit/{request_id}", admin_server.auditor_key).json()
    assert by_path["id"] == rid and by_path["request_id"] == request_id

    pages = []
    body = get(admin_server, "/admin/audit", admin_server.auditor_key, kind="request", limit=3).json()
    assert body["total"] == 8 and body["prev_cursor"] is None
    while True:
        pages.append([d["id"] for d in body["data"]])
        if not body["has_more"]:
            break
        body = get(admin_server, "/admin/audit", admin_server.auditor_key, kind="request", limit=3,
                   before=body["next_cursor"]).json()
    assert [i for p in pages for i in p] == admin_server.ids[::-1] and len(pages) == 3
    back = []
    while body["prev_cursor"] is not None:  # from the oldest page back to the newest
        body = get(admin_server, "/admin/audit", admin_server.auditor_key, kind="request", limit=3,
                   after=body["prev_cursor"]).json()
        back.append([d["id"] for d in body["data"]])
    assert back == pages[-2::-1]
