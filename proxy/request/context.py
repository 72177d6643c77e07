"""The per-request object every stage reads and writes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from proxy.auth.caller import Caller
    from proxy.detection.findings import Finding
    from proxy.policy.decision import Decision
    from proxy.policy.loader import PolicySnapshot
    from proxy.redaction.pseudonyms import PseudonymMap
    from proxy.routing.catalogue import Target


class Dialect(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"


class Endpoint(StrEnum):
    CHAT = "/v1/chat/completions"
    COMPLETIONS = "/v1/completions"
    EMBEDDINGS = "/v1/embeddings"
    MESSAGES = "/v1/messages"
    COUNT_TOKENS = "/v1/messages/count_tokens"
    RESPONSES = "/v1/responses"
    MODELS = "/v1/models"
    ADMIN = "/admin"


class Outcome(StrEnum):
    """What finally happened to the request; one per audit record."""

    ALLOWED = "allowed"
    REDACTED = "redacted"
    BLOCKED = "blocked"
    REJECTED_AUTH = "rejected_auth"
    BAD_REQUEST = "bad_request"
    NO_ROUTE = "no_route"
    UPSTREAM_ERROR = "upstream_error"
    CLIENT_DISCONNECT = "client_disconnect"
    AUDIT_UNAVAILABLE = "audit_unavailable"
    RATE_LIMITED = "rate_limited"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class DataUri:
    """How a text field that came out of a `data:` URI is written back: its header and whether it was base64."""

    header: str
    base64: bool


@dataclass(slots=True)
class TextField:
    """One text-bearing place in the request body (proxy/request/walk.py finds them all).

    `path` addresses it inside `NormalizedRequest.body` (keys and list indices), `kind` says what it is
    (system, message, tool_arguments, tool_result, identifier, tool_definition, parameter, key, prompt, input,
    media, tokens), `role` the chat role where there is one. `is_key`: the text is the dict key at `path`, not the
    value. `opaque`: content that cannot be scanned (image, audio, file, tokens); its `text` is what can be read
    of it (a URL) or empty. `codec`: the text was decoded from a data URI and is re-encoded when written back.
    """

    path: tuple[str | int, ...]
    text: str
    kind: str
    role: str | None = None
    is_key: bool = False
    opaque: str | None = None
    codec: DataUri | None = None


@dataclass(slots=True)
class NormalizedRequest:
    """A validated provider request: its body (provider shape) and every text field in it."""

    dialect: Dialect
    endpoint: Endpoint
    model: str
    stream: bool
    body: dict[str, Any]
    texts: list[TextField] = field(default_factory=list)
    # Client-supplied conversation id (header x-govproxy-conversation-id), for stable pseudonyms across turns.
    conversation_id: str | None = None


@dataclass(slots=True)
class ResponseChain:
    """A Responses API request's place in a `previous_response_id` chain (proxy/pipeline/chains.py)."""

    input: list[Any]                 # its input items, the kept chain before it prepended
    store: bool = True               # false: the response is not kept (it cannot be chained on)
    previous_id: str | None = None   # the response it continues


@dataclass(slots=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


@dataclass(slots=True)
class RequestContext:
    request_id: str
    endpoint: Endpoint
    dialect: Dialect
    client_addr: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names; never logged whole
    raw_body: bytes = b""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = field(default_factory=time.perf_counter)

    caller: Caller | None = None
    # The policy + catalogue snapshot this request was decided under (taken once: hot reload cannot mix them).
    snapshot: PolicySnapshot | None = None
    request: NormalizedRequest | None = None
    findings: list[Finding] = field(default_factory=list)
    decision: Decision | None = None
    pseudonyms: PseudonymMap | None = None
    # The conversation key of the pseudonym map, where it is given rather than derived (a previous_response_id
    # chain continues its first response's map).
    conversation: str | None = None
    # A Responses API request: the input items its response will be kept with (the chain before it included).
    chain: ResponseChain | None = None
    # The body that was (or would be) sent upstream, after redaction.
    upstream_body: dict[str, Any] | None = None
    redactions: dict[str, str] = field(default_factory=dict)  # entity type -> strategy applied
    target: Target | None = None
    attempted_targets: list[str] = field(default_factory=list)
    # Anthropic-only features the chosen target does not take (thinking, cache_control): dropped, and said so.
    dropped_features: list[str] = field(default_factory=list)
    # What the route stage got back: a response dict, or an async iterator of chunk dicts when streaming.
    result: Any = None
    # The result is Anthropic's own (a Message, or its events): the Messages body went natively to an Anthropic
    # target. False: it is OpenAI-shaped (chat), whatever the caller's dialect.
    native: bool = False
    # The caller asked for usage in the stream (stream_options.include_usage); we always ask upstream for it.
    wants_stream_usage: bool = False

    timings: dict[str, float] = field(default_factory=dict)  # stage -> milliseconds
    upstream_status: int | None = None
    usage: Usage = field(default_factory=Usage)
    outcome: Outcome | None = None
    error_class: str | None = None
    error_status: int | None = None
    audit_id: str | None = None

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0
