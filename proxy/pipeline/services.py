"""The services a request needs, built once in the lifespan and reached through app.state (never globals)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from proxy.auth.keys import KeyStore
from proxy.budgets.ledger import Ledger
from proxy.budgets.loader import BudgetHolder
from proxy.metrics import Metrics
from proxy.redaction.kept_responses import KeptResponses, LocalKeptResponses
from proxy.redaction.keys import RedactionKeys
from proxy.redaction.pseudonyms import ConversationMaps
from proxy.routing.anthropic_native import AnthropicNative
from proxy.routing.upstream import Upstream
from proxy.settings import Settings
from proxy.shared.connection import SharedRedis
from proxy.shared.ratelimit import Limiter

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from proxy.audit.store import AuditWriter
    from proxy.detection.detector import Detector
    from proxy.detection.remote import RemoteNer
    from proxy.policy.loader import PolicyHolder
    from proxy.tracing import Tracing


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    keys: KeyStore
    upstream: Upstream
    policy: PolicyHolder
    detector: Detector
    audit: AuditWriter
    limiter: Limiter
    metrics: Metrics
    redaction_keys: RedactionKeys
    pseudonyms: ConversationMaps
    budgets: BudgetHolder
    ledger: Ledger
    # Redis, when GOVPROXY_REDIS_URL is set: what the replicas share (None on a single node).
    shared: SharedRedis | None = None
    tracing: Tracing | None = None  # OpenTelemetry, when GOVPROXY_OTEL_ENDPOINT is set
    remote_ner: RemoteNer | None = None  # GOVPROXY_REMOTE_NER_URL: a second, remote detector (fails closed)
    # Responses kept for previous_response_id chains (process memory, or Redis encrypted).
    kept: KeptResponses = field(default_factory=LocalKeptResponses)
    # Anthropic Messages bodies to Anthropic targets, as they are (built in the lifespan).
    anthropic: AnthropicNative | None = None
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
