"""The services a request needs, built once in the lifespan and reached through app.state (never globals)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from proxy.auth.keys import KeyStore
from proxy.auth.ratelimit import RateLimiter
from proxy.metrics import Metrics
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.pseudonyms import PseudonymStore
from proxy.routing.upstream import Upstream
from proxy.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from proxy.audit.store import AuditWriter
    from proxy.detection.detector import Detector
    from proxy.detection.remote import RemoteNer
    from proxy.policy.loader import PolicyHolder


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    keys: KeyStore
    upstream: Upstream
    policy: PolicyHolder
    detector: Detector
    audit: AuditWriter
    limiter: RateLimiter
    metrics: Metrics
    redaction_keys: RedactionKeys
    pseudonyms: PseudonymStore
    remote_ner: RemoteNer | None = None  # GOVPROXY_REMOTE_NER_URL: a second, remote detector (fails closed)
    # Work that must finish even if the request that started it was cancelled (e.g. the audit of a stream
    # whose client went away); awaited on shutdown.
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    async def drain(self) -> None:
        if self.background:
            await asyncio.gather(*list(self.background), return_exceptions=True)
