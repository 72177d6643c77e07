"""Shared-state pieces on the real Redis at 127.0.0.1:6379 (a random key prefix per test): the pseudonym map's
state round-trips, the shared store keeps it encrypted and refuses a wrong key, the token bucket is one bucket for
many limiters, a dead Redis falls back at once; budgets.yaml validation and the per-replica ledger."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from proxy.budgets.ledger import BudgetExceeded, Ledger
from proxy.budgets.loader import BudgetHolder, BudgetLoadError, load_budgets
from proxy.budgets.schema import Budget, Period, window
from proxy.errors import RateLimited
from proxy.redaction.pseudonyms import PseudonymMap
from proxy.shared.connection import SharedRedis
from proxy.shared.pseudonyms import SharedPseudonymStore, map_key
from proxy.shared.ratelimit import Limiter

pytestmark = pytest.mark.redis
URL = "redis://127.0.0.1:6379/0"


@pytest.fixture()
def prefix() -> str:
    p = f"govproxy-unit-{secrets.token_hex(4)}:"
    yield p
    with redis.Redis.from_url(URL) as r:
        for key in r.scan_iter(p + "*"):
            r.delete(key)


def _map() -> PseudonymMap:
    pmap = PseudonymMap()
    pmap.reserve_lookalikes("pasted <PERSON_1> here")
    pmap.placeholder_for("PERSON", "Margaret Thornton")
    pmap.identifier_for("PERSON", "lookup_thornton")
    pmap.register("<enc:abc>", "IBAN_CODE", "DE89370400440532013000")
    return pmap


def test_map_state_round_trips() -> None:
    pmap = _map()
    copy = PseudonymMap.from_state(pmap.state())
    assert copy.tokens == pmap.tokens == frozenset({"<PERSON_2>", "gp_person_1", "<enc:abc>"})
    assert copy.placeholder_for("PERSON", "Margaret Thornton") == "<PERSON_2>"
    assert copy.placeholder_for("PERSON", "Otto Normal") == "<PERSON_3>"  # numbering and reservation kept
    assert copy.restore("hi <PERSON_2> <PERSON_1>") == "hi Margaret Thornton <PERSON_1>"
    assert copy.restore_identifier("gp_person_1") == "lookup_thornton"


def test_shared_store_encrypts_and_refuses_a_wrong_key(prefix: str) -> None:
    async def go() -> None:
        shared = SharedRedis(URL, prefix)
        store = SharedPseudonymStore(shared, map_key("secret-one"), ttl_s=60)
        await store.save("conv", _map())
        got = await store.for_conversation("conv")
        assert got.restore("<PERSON_2>") == "Margaret Thornton"
        raw = await shared.client.get(prefix + "pmap:conv")
        ttl = await shared.client.ttl(prefix + "pmap:conv")
        assert b"Thornton" not in raw and b"DE89" not in raw and 0 < ttl <= 60
        other = SharedPseudonymStore(shared, map_key("secret-two"), ttl_s=60)
        assert len(await other.for_conversation("conv")) == 0  # unreadable: starts over, never fails the request
        await shared.close()

    asyncio.run(go())
    with pytest.raises(ValueError, match="GOVPROXY_REDACTION_KEY"):
        map_key("")


def test_one_bucket_for_every_limiter_and_fallback_when_down(prefix: str) -> None:
    async def go() -> None:
        a, b = SharedRedis(URL, prefix), SharedRedis(URL, prefix)
        la, lb = Limiter(3, a), Limiter(3, b)
        for lim in (la, lb, la):
            await lim.check("k1")
        with pytest.raises(RateLimited) as exc:
            await lb.check("k1")
        assert int(exc.value.headers["retry-after"]) >= 1
        dead = SharedRedis("redis://127.0.0.1:1/0", prefix, timeout_s=0.1, retry_after_s=60)
        local = Limiter(2, dead)
        await local.check("k1")  # Redis refused: the replica's own bucket
        await local.check("k1")
        with pytest.raises(RateLimited):
            await local.check("k1")
        assert dead.up is False and dead.skipping
        for s in (a, b, dead):
            await s.close()

    asyncio.run(go())


def test_budgets_yaml_is_validated(tmp_path: Path) -> None:
    assert load_budgets(tmp_path)[0].budgets == ()  # no file: no budgets
    (tmp_path / "budgets.yaml").write_text("apiVersion: govproxy/v1\nbudgets:\n"
                                           "  - {name: b, team: eng, key: k, period: day, requests: 1}\n")
    with pytest.raises(BudgetLoadError, match="exactly one of"):
        load_budgets(tmp_path)
    (tmp_path / "budgets.yaml").write_text("apiVersion: govproxy/v1\nbudgets:\n"
                                           "  - {name: b, team: eng, period: week, requests: 1, colour: red}\n")
    with pytest.raises(BudgetLoadError, match=r"period.*colour|colour.*period") as exc:
        load_budgets(tmp_path)
    assert "Extra inputs" in str(exc.value)
    (tmp_path / "budgets.yaml").write_text("apiVersion: govproxy/v1\nbudgets:\n"
                                           "  - {name: b, team: eng, period: day, tokens: 5}\n")
    holder = BudgetHolder(tmp_path)
    (tmp_path / "budgets.yaml").write_text("budgets: [")
    assert holder.reload() is False and holder.last_error and len(holder.budgets.budgets) == 1  # last good stays


def test_windows_and_the_local_ledger() -> None:
    now = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert window(Period.DAY, now).resets_at == datetime(2027, 1, 1, tzinfo=UTC)
    assert window(Period.MONTH, now).id == "2026-12"
    budget = Budget(name="two", team="eng", period=Period.MONTH, requests=2, tokens=100)

    async def go() -> None:
        ledger = Ledger(None)
        await ledger.admit([budget])
        await ledger.add_tokens([budget], 100)
        with pytest.raises(BudgetExceeded, match=r"'two' \(team eng\) is spent: 100 tokens per month; it resets"):
            await ledger.admit([budget])

    asyncio.run(go())
