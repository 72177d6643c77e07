"""The audit holds no raw caller string: a card number or an e-mail sent as a model name (404), a user agent, an
`X-Forwarded-For` address, a conversation id, a classification header, a record id in an admin URL and audit
filters never reach the audit store (the database file, a pg_dump) or `govproxy audit export`; unknown model names
are kept as a keyed hash and their length, catalogue aliases as they are. On SQLite and PostgreSQL, through the
official SDKs and raw HTTP against `govproxy serve`."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import httpx
import openai
import pytest

from tests.audit_db import create_pg_database, drop_pg_database, execute
from tests.conftest import Proxy, Upstreams, catalogue_for
from tests.harness import ProxyProcess, base_env, cli, create_key, write_policies

EMAIL = "ulla.canary.4471@example.net"
CARD = "4539 5787 6362 1486"
CANARIES = (EMAIL, CARD, CARD.replace(" ", ""), "ulla.canary")
DIGEST = re.compile(r"<hmac:[0-9a-f]{16}:len=(\d+)>")
REQUESTS = 12  # what send_everything sends: each request and each admin read gets one audit record


def send_everything(url: str, key: str, auditor_key: str) -> None:
    """Every way a caller can hand the proxy a string that might end up in an audit record."""
    headers = {"user-agent": f"crm-sync/1.0 ({EMAIL})", "x-forwarded-for": CARD,
               "x-govproxy-conversation-id": EMAIL}
    client = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, default_headers=headers)
    for model in (EMAIL, CARD):
        with pytest.raises(openai.NotFoundError) as refused:
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        assert leaked(refused.value.response.text) == []  # nor is it echoed in the error body
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model=CARD, input="hello")
    with pytest.raises(openai.NotFoundError):
        client.completions.create(model=EMAIL, prompt="hello")
    ok = client.chat.completions.create(model="onprem-chat", messages=[{"role": "user", "content": "hi"}])
    assert ok.choices[0].message.content
    with pytest.raises(openai.BadRequestError):  # an unknown classification level
        client.chat.completions.create(model="onprem-chat", messages=[{"role": "user", "content": "hi"}],
                                       extra_headers={"x-data-classification": EMAIL})
    claude = anthropic.Anthropic(base_url=url, api_key=key, max_retries=0, default_headers=headers)
    with pytest.raises(anthropic.NotFoundError):
        claude.messages.create(model=EMAIL, max_tokens=16, messages=[{"role": "user", "content": "hi"}])
    # Unauthenticated (a security record) and a body that is no JSON.
    r = httpx.post(url + "/v1/chat/completions", headers={**headers, "authorization": "Bearer gpk_nope_nope"},
                   json={"model": EMAIL, "messages": []})
    assert r.status_code == 401
    r = httpx.post(url + "/v1/chat/completions", headers={**headers, "authorization": f"Bearer {key}"},
                   content=b'{"model": "' + EMAIL.encode() + b'", ')
    assert r.status_code == 400
    # Admin reads: a record id and filters are strings an auditor typed.
    admin = {**headers, "authorization": f"Bearer {auditor_key}"}
    assert httpx.get(url + f"/admin/audit/{CARD}", headers=admin).status_code == 404
    assert httpx.get(url + "/admin/audit", headers=admin,
                     params={"team": EMAIL, "rule": CARD, "target": EMAIL, "entity": EMAIL}).status_code == 200
    assert httpx.get(url + "/admin/records/" + EMAIL, headers=admin).status_code == 404


def leaked(text: str) -> list[str]:
    return [c for c in CANARIES if c in text]


def last_seq(db_url: str) -> int:
    return int(execute(db_url, "SELECT coalesce(max(seq), 0) FROM audit_records")[0][0])


def check_records(db_url: str, after_seq: int) -> None:
    """The request records written after `after_seq` (this test's)."""
    rows = execute(db_url, "SELECT requested_model, client_addr FROM audit_records WHERE kind = 'request' "
                           "AND seq > :seq", seq=after_seq)
    models = [m for m, _ in rows if m is not None]
    assert "onprem-chat" in models  # a catalogue alias is kept as it is
    digests = [DIGEST.fullmatch(m) for m in models if m != "onprem-chat"]
    assert digests and all(digests), models
    # The hash keeps the length, so records can be told apart: the e-mail (28) and the card number (19).
    assert {int(d.group(1)) for d in digests if d} >= {len(EMAIL), len(CARD)}
    assert {a for _, a in rows} <= {"127.0.0.1"} | {a for _, a in rows if a and DIGEST.fullmatch(a)}
    assert any(a and DIGEST.fullmatch(a) for _, a in rows)  # the forwarded "address" was no IP address


def check_export(env: dict[str, str], tmp: Path) -> None:
    for fmt in ("jsonl", "csv"):
        out = tmp / f"export.{fmt}"
        cli("audit", "export", "--format", fmt, "--out", str(out), env=env)
        text = out.read_text()
        assert "onprem-chat" in text and leaked(text) == [], fmt


def wait_for_outcomes(db_url: str, at_least: int) -> None:
    """Outcomes are written just after each response."""
    deadline = time.time() + 10
    while execute(db_url, "SELECT count(*) FROM audit_outcomes")[0][0] < at_least:
        assert time.time() < deadline, "not every request was audited"
        time.sleep(0.1)


def test_no_caller_string_in_the_sqlite_audit_or_its_export(proxy: Proxy, upstreams: Upstreams,
                                                           tmp_path: Path) -> None:
    db_url = proxy.env["GOVPROXY_DATABASE_URL"]
    before, seq = execute(db_url, "SELECT count(*) FROM audit_outcomes")[0][0], last_seq(db_url)
    send_everything(proxy.url, proxy.key, proxy.auditor_key)
    wait_for_outcomes(db_url, before + REQUESTS)
    check_records(db_url, seq)
    db_file = Path(db_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))  # the file, its WAL and SHM
    assert leaked(raw.decode("utf-8", errors="replace")) == []
    check_export(proxy.env, tmp_path)
    assert leaked(proxy.process.logs()) == []


@pytest.fixture()
def pg_url() -> Iterator[str]:
    url = create_pg_database()
    yield url
    drop_pg_database(url)


@pytest.mark.postgres
def test_no_caller_string_in_the_postgres_audit_or_its_export(upstreams: Upstreams, tmp_path: Path,
                                                             pg_url: str) -> None:
    policies = write_policies(tmp_path / "policies", catalogue_for(upstreams))
    env = base_env(GOVPROXY_DATABASE_URL=pg_url, GOVPROXY_POLICIES_DIR=str(policies),
                   GOVPROXY_TEST_CWD=str(tmp_path), GOVPROXY_REDACTION_KEY="test-redaction-key-0123456789")
    cli("db", "upgrade", env=env)
    key = create_key(env, "eng", "ulla")
    auditor = create_key(env, "compliance", "carol", "auditor")
    p = ProxyProcess(tmp_path, env).start()
    try:
        send_everything(p.url, key, auditor)
        wait_for_outcomes(pg_url, REQUESTS)
        check_records(pg_url, 0)
        dump = subprocess.run(["pg_dump", "-h", "127.0.0.1", "-U", "postgres", pg_url.rsplit("/", 1)[1]],
                              capture_output=True, text=True, check=True).stdout
        assert "audit_records" in dump and leaked(dump) == []
        check_export(env, tmp_path)
        assert leaked(p.logs()) == []
        # With a configured key the hash is stable: both 404s for the e-mail as model name carry one value.
        exported = [json.loads(x) for x in cli("audit", "export", "--format", "jsonl", env=env).stdout.splitlines()]
        email_models = {r["requested_model"] for r in exported
                        if (m := DIGEST.fullmatch(r.get("requested_model") or "")) and int(m.group(1)) == len(EMAIL)}
        assert len(email_models) == 1
    finally:
        p.stop()
