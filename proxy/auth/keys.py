"""govproxy API keys: creation, lookup (hashed, timing-safe), revocation.

A key looks like `gpk_<key_id>_<secret>`. Only SHA-256(secret) is stored; the key id is the lookup handle.
Keys are 192-bit random secrets, so a fast hash is appropriate (no password stretching needed).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from proxy.auth.caller import Caller, Role
from proxy.auth.models import ApiKey
from proxy.errors import ServiceUnavailable, Unauthorized

PREFIX = "gpk_"


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: str  # shown once, never stored
    caller: Caller


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(key: str) -> tuple[str, str] | None:
    if not key.startswith(PREFIX):
        return None
    rest = key[len(PREFIX):]
    key_id, sep, secret = rest.partition("_")
    if not sep or not key_id or not secret or len(key_id) > 32:
        return None
    return key_id, secret


def new_key(team: str, user: str, role: Role = Role.CALLER, labels: frozenset[str] = frozenset(),
            description: str = "") -> tuple[IssuedKey, ApiKey]:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    row = ApiKey(key_id=key_id, secret_hash=_hash(secret), team=team, user=user, role=role.value,
                 labels=sorted(labels), description=description, created_at=datetime.now(UTC), revoked_at=None)
    return IssuedKey(f"{PREFIX}{key_id}_{secret}", _caller(row)), row


def _caller(row: ApiKey) -> Caller:
    return Caller(key_id=row.key_id, team=row.team, user=row.user, role=Role(row.role),
                  labels=frozenset(row.labels or ()))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # Starlette's Headers.get returns the first of repeated values; join them instead, so a repeated credential
    # header is an invalid key rather than whichever copy a component happens to read.
    getlist = getattr(headers, "getlist", None)
    if getlist is not None:
        values = getlist(name)
        return ", ".join(values) if values else None
    return headers.get(name)


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key from `Authorization: Bearer …` (OpenAI SDKs) or `x-api-key` (Anthropic SDKs)."""
    auth = _header(headers, "authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return _header(headers, "x-api-key")


class KeyStore:
    """Looks callers up by key. Positive lookups are cached for `cache_ttl_s` (revocation lag is bounded by it)."""

    def __init__(self, engine: AsyncEngine, cache_ttl_s: float = 5.0) -> None:
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._ttl = cache_ttl_s
        self._cache: dict[str, tuple[float, str, Caller]] = {}
        self._lock = asyncio.Lock()

    async def authenticate(self, headers: Mapping[str, str]) -> Caller:
        key = presented_key(headers)
        if not key:
            raise Unauthorized("Missing API key: send it as 'Authorization: Bearer <key>' or 'x-api-key'.")
        parts = _split(key)
        if parts is None:
            raise Unauthorized("Invalid API key.")
        key_id, secret = parts
        digest = _hash(secret)
        now = time.monotonic()
        hit = self._cache.get(key_id)
        if hit and hit[0] > now:
            if hmac.compare_digest(hit[1], digest):
                return hit[2]
            raise Unauthorized("Invalid API key.")
        try:
            async with self._sessions() as session:
                row = await session.get(ApiKey, key_id)
        except SQLAlchemyError:
            raise ServiceUnavailable("The key store is unavailable; retry later.", code="key_store_unavailable",
                                     headers={"retry-after": "5"}) from None
        # Compare against a dummy when the id is unknown so timing does not reveal which ids exist.
        stored = row.secret_hash if row is not None else _hash(secrets.token_urlsafe(8))
        if not hmac.compare_digest(stored, digest) or row is None or row.revoked_at is not None:
            self._cache.pop(key_id, None)
            raise Unauthorized("Invalid API key.")
        caller = _caller(row)
        if self._ttl > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key_id] = (now + self._ttl, stored, caller)
        return caller

    def forget(self, key_id: str | None = None) -> None:
        """Drop the cached lookup of `key_id` (a revocation announced by another replica), or all of them."""
        if key_id is None:
            self._cache.clear()
        else:
            self._cache.pop(key_id, None)

    async def create(self, team: str, user: str, role: Role = Role.CALLER,
                     labels: frozenset[str] = frozenset(), description: str = "") -> IssuedKey:
        issued, row = new_key(team, user, role, labels, description)
        async with self._sessions() as session, session.begin():
            session.add(row)
        return issued

    async def list(self, include_revoked: bool = False) -> list[ApiKey]:
        stmt = select(ApiKey).order_by(ApiKey.created_at)
        if not include_revoked:
            stmt = stmt.where(ApiKey.revoked_at.is_(None))
        async with self._sessions() as session:
            return list((await session.scalars(stmt)).all())

    async def revoke(self, key_id: str) -> bool:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(ApiKey).where(ApiKey.key_id == key_id, ApiKey.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC)))
        self._cache.pop(key_id, None)
        return bool(result.rowcount)  # type: ignore[attr-defined]
