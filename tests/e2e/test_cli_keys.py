"""`govproxy keys …` through the CLI, checked against the running proxy."""

from __future__ import annotations

import json
import sqlite3

import httpx

from tests.conftest import Proxy
from tests.harness import cli, create_key


def test_create_list_revoke(proxy: Proxy) -> None:
    key = create_key(proxy.env, "sales", "bob", "caller", "pilot", "eu")
    assert key.startswith("gpk_")
    key_id = key.split("_")[1]
    listed = json.loads(cli("keys", "list", "--json", env=proxy.env).stdout)
    mine = [k for k in listed if k["key_id"] == key_id]
    assert mine and mine[0]["team"] == "sales" and mine[0]["labels"] == ["eu", "pilot"]
    assert key not in json.dumps(listed)  # secrets are never listed

    # Only the hash is stored.
    db = proxy.env["GOVPROXY_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT secret_hash FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
    assert stored != key.split("_", 2)[2] and len(stored) == 64

    cli("keys", "revoke", key_id, env=proxy.env)
    r = httpx.post(proxy.v1 + "/chat/completions", headers={"authorization": f"Bearer {key}"},
                   json={"model": "onprem-chat", "messages": [{"role": "user", "content": "x"}]})
    assert r.status_code == 401
    assert key_id not in {k["key_id"] for k in json.loads(cli("keys", "list", "--json", env=proxy.env).stdout)}
    again = cli("keys", "revoke", key_id, env=proxy.env, check=False)
    assert again.returncode == 1 and "No active key" in again.stderr


def test_keys_work_over_x_api_key_header(proxy: Proxy) -> None:
    r = httpx.get(proxy.v1 + "/models", headers={"x-api-key": proxy.key})
    assert r.status_code == 200 and r.json()["object"] == "list"
