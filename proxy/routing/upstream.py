"""Calls to upstream models. The only module that imports litellm.

litellm is imported when an `Upstream` is built (in the lifespan or the CLI), never at module import, and only after
the offline switches are set: without them it fetches its cost map from the internet at import.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import structlog

from proxy.errors import BadRequest, ProxyError, RateLimited, UpstreamError, UpstreamTimeout
from proxy.routing.catalogue import Target

log = structlog.get_logger()

OFFLINE_ENV = {"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_OFFLINE_MODE": "true",
               "LITELLM_TELEMETRY": "False", "LITELLM_LOG": "ERROR"}


class TargetDown(UpstreamError):
    """The target could not be reached (refused, DNS, timeout before any answer): a fallback may be tried."""


def _import_litellm() -> Any:
    for k, v in OFFLINE_ENV.items():
        os.environ.setdefault(k, v)
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    litellm.turn_off_message_logging = True  # keep prompts out of litellm's own logging callbacks
    litellm.drop_params = True
    litellm.callbacks = []
    # litellm aborts streams that repeat one chunk 100 times (a loop guard); a table rule of dashes trips it.
    # The proxy passes streams on as they come; the caller decides what a runaway model is.
    litellm.REPEATED_STREAMING_CHUNK_LIMIT = 1_000_000
    from litellm.litellm_core_utils.litellm_logging import Logging

    Logging.response_cost_calculator = _no_cost
    Logging._async_success_handler_body = _no_success_logging
    return litellm


def _no_cost(self: object, *args: object, **kwargs: object) -> None:
    """What litellm prices each call at, in place of `Logging.response_cost_calculator`: not worked out (None, as
    litellm itself answers for a stream). govproxy never reads that price (budgets count requests and tokens;
    nothing is billed in dollars), and litellm worked it out after every call, looking the model up in its cost map,
    for a model it does not know (an on-prem one) by a scan of the whole map; a price of 0.0 would make it look the
    model up again to explain why it is free. litellm (pinned) calls this method wherever it prices a call and reads
    None as unknown; a test checks that a chat goes through it (tests/unit/test_upstream_cost.py)."""
    return None


async def _no_success_logging(self: object, *args: object, **kwargs: object) -> None:
    """What litellm's success handler does after a call, in place of `Logging._async_success_handler_body`:
    nothing. That body feeds litellm's logging callbacks, and govproxy has none (`litellm.callbacks = []`; it logs
    and audits for itself); it still built a logging payload for every call, with a deep copy of the messages
    redacted for `turn_off_message_logging`: 0.52-0.74 ms of the 3.9-4.1 ms of process CPU that a call through
    litellm cost on the zero-latency fake. The handler around it (`async_success_handler`) still runs and restores
    litellm's correlation context. Checked like `_no_cost` (tests/unit/test_upstream_cost.py)."""
    return None


async def warm_up() -> None:
    """A chat completion litellm answers itself (`mock_response`: nothing is sent): imports what its first call
    imports. For a pre-fork parent (prefork.py), so its workers share those modules instead of importing each."""
    litellm = _import_litellm()
    await litellm.acompletion(model="openai/warm-up", api_base="http://127.0.0.1:9/v1", api_key="none",
                              messages=[{"role": "user", "content": "warm up"}], mock_response="ok")


class Upstream:
    """Sends normalised OpenAI-shaped bodies to a catalogue target through litellm's async API."""

    def __init__(self, *, timeout_s: float = 120.0, retries: int = 1) -> None:
        self._litellm = _import_litellm()
        import aiohttp  # litellm's HTTP transport; only its exception types are used here
        import httpx
        import openai  # litellm's own dependency; only its stream type is used here

        self._openai = openai
        self._timeout_s = timeout_s
        self._retries = retries
        # The upstream closed the connection without answering: most often a pooled keep-alive connection that
        # the server timed out just as it was reused (disconnected while waiting, or reset while writing the
        # request). litellm reports it as a 500 and retries nothing, for OpenAI-compatible and Anthropic targets
        # alike; a fresh connection answers.
        self._dropped = (aiohttp.ServerDisconnectedError, aiohttp.ClientConnectionResetError,
                         httpx.RemoteProtocolError)
        # What a request that went on the wire fails with, somewhere in litellm's cause chain: the transports'
        # errors (connection and HTTP status alike) and the provider SDK's. litellm wraps anything else that goes
        # wrong inside itself (its own checks of a body, its transformations) in APIConnectionError as well.
        self._wire = (httpx.HTTPError, aiohttp.ClientError, openai.APIError, OSError)

    def input_tokens(self, target: Target, body: dict[str, Any]) -> int:
        """Input tokens of a chat body (messages and tools) for the target's model, counted here with litellm's
        token counter (nothing is sent anywhere): what /v1/messages/count_tokens answers."""
        return int(self._litellm.token_counter(model=target.model, messages=body.get("messages") or [],
                                               tools=body.get("tools") or None))

    def count_tokens(self, target: Target, body: dict[str, Any], answer: str = "") -> tuple[int, int]:
        """(prompt, completion) tokens by litellm's counter, for budgets where the upstream reported no usage."""
        counter = self._litellm.token_counter
        messages = body.get("messages")
        try:
            if isinstance(messages, list):
                prompt = counter(model=target.model, messages=messages)
            else:
                source = body.get("prompt", body.get("input", ""))
                prompt = counter(model=target.model, text=source if isinstance(source, str) else str(source))
            completion = counter(model=target.model, text=answer) if answer else 0
        except Exception:  # noqa: BLE001 - a count we cannot make is zero, never a failed request
            return 0, 0
        return int(prompt), int(completion)

    def _kwargs(self, target: Target, body: dict[str, Any]) -> dict[str, Any]:
        kwargs = {k: v for k, v in body.items() if k not in ("model", "user") and v is not None}
        kwargs["model"] = target.model
        if target.api_base:
            kwargs["api_base"] = target.api_base
        if target.api_version:
            kwargs["api_version"] = target.api_version
        key = target.api_key()
        # OpenAI-compatible local servers usually take any key; litellm insists on one being set.
        kwargs["api_key"] = key if key else "none"
        kwargs["timeout"] = target.timeout_s or self._timeout_s
        # Retries happen in the provider's HTTP client (max_retries), not in litellm's wrapper (num_retries),
        # which re-enters its whole pipeline per attempt and costs ~1 ms even when nothing fails.
        kwargs["max_retries"] = self._retries
        kwargs["num_retries"] = 0
        return kwargs

    async def chat(self, target: Target, body: dict[str, Any], headers: dict[str, str] | None = None
                   ) -> dict[str, Any]:
        kwargs = self._kwargs(target, body)
        if headers:
            kwargs["extra_headers"] = headers
        kwargs["stream"] = False
        resp = await self._call(target, self._litellm.acompletion, kwargs)
        return _as_dict(resp)

    async def chat_stream(self, target: Target, body: dict[str, Any], headers: dict[str, str] | None = None
                          ) -> AsyncIterator[dict[str, Any]]:
        """Opens the stream and waits for its first chunk, so that a target that is down fails here (before any
        byte went to the caller) and a fallback can still be tried."""
        kwargs = self._kwargs(target, body)
        kwargs["stream"] = True
        if headers:
            kwargs["extra_headers"] = headers
        wrapper = await self._call(target, self._litellm.acompletion, kwargs)
        # Where the provider's own stream already yields OpenAI chat chunks (OpenAI, vLLM, Azure, other
        # OpenAI-compatible servers), read it directly: litellm's stream wrapper costs ~0.25 ms per chunk and
        # would only convert OpenAI chunks into OpenAI chunks. Other providers go through the wrapper.
        raw = getattr(wrapper, "completion_stream", None)
        source = raw if isinstance(raw, self._openai.AsyncStream) else wrapper
        if source is raw:
            # The SDK would build a pydantic chunk from every event, field by field, for `_chunks` to turn straight
            # back into a dict: ~0.1 ms of the event loop per chunk, half of what a streamed token cost. Asked for
            # `object` (read when the stream starts, which is below), it yields each event's JSON as parsed;
            # error events still raise, and a stream already started still yields models (`_chunk_dict` takes both).
            raw._cast_to = object
        iterator = source.__aiter__()
        try:
            first = await iterator.__anext__()
        except StopAsyncIteration:
            first = None
        except Exception as exc:  # noqa: BLE001 - mapped below
            await _close(source)
            raise self._map(target, exc) from None
        return self._chunks(target, first, iterator, source)

    async def _chunks(self, target: Target, first: Any, iterator: Any, source: Any) -> AsyncIterator[dict[str, Any]]:
        try:
            if first is not None:
                yield _chunk_dict(first)
            async for chunk in iterator:
                yield _chunk_dict(chunk)
        except Exception as exc:  # noqa: BLE001
            raise self._map(target, exc) from None
        finally:
            await _close(source)

    async def completion(self, target: Target, body: dict[str, Any]) -> dict[str, Any]:
        kwargs = self._kwargs(target, body)
        kwargs["stream"] = False
        return _as_dict(await self._call(target, self._litellm.atext_completion, kwargs))

    async def embedding(self, target: Target, body: dict[str, Any]) -> dict[str, Any]:
        kwargs = self._kwargs(target, body)
        kwargs.pop("num_retries", None)
        return _as_dict(await self._call(target, self._litellm.aembedding, kwargs))

    async def _call(self, target: Target, fn: Any, kwargs: dict[str, Any]) -> Any:
        attempt = 0
        while True:
            try:
                return await fn(**kwargs)
            except Exception as exc:  # noqa: BLE001 - every litellm failure becomes one of ours
                if attempt < self._retries and self._was_dropped(exc):
                    attempt += 1
                    log.info("upstream_retry", target=target.alias, reason="connection_dropped", attempt=attempt)
                    continue
                raise self._map(target, exc) from None

    def _was_dropped(self, exc: BaseException) -> bool:
        return any(isinstance(cause, self._dropped) for cause in _causes(exc))

    def _on_the_wire(self, exc: BaseException) -> bool:
        """Whether the failure came from a request that was sent (or tried to be): a transport or provider SDK
        error is somewhere in the chain. litellm's own exceptions subclass the OpenAI SDK's, so they do not count."""
        return any(isinstance(cause, self._wire) and not type(cause).__module__.startswith("litellm")
                   for cause in _causes(exc))

    def _map(self, target: Target, exc: Exception) -> ProxyError:
        """Translate a litellm/provider failure. Upstream messages are not passed on: they may quote the prompt."""
        lt = self._litellm
        status = getattr(exc, "status_code", None)
        log.warning("upstream_error", target=target.alias, error_class=type(exc).__name__, upstream_status=status,
                    cause=type(_causes(exc)[-1]).__name__)
        name = target.alias
        # A stream read directly (see chat_stream) raises the provider client's own timeout, not litellm's.
        if isinstance(exc, lt.Timeout | self._openai.APITimeoutError):
            err: ProxyError = UpstreamTimeout(f"Upstream model '{name}' timed out.")
        elif isinstance(exc, lt.APIConnectionError) and not self._on_the_wire(exc):
            # Not an outage: no fallback (it would fail the same way), and not blamed on the target's health.
            # Bodies litellm is known to refuse are refused as invalid before routing (api/schemas.py).
            err = UpstreamError(f"The request for upstream model '{name}' failed inside govproxy's upstream client "
                                "before an answer came (no connection or HTTP error was seen).")
        elif isinstance(exc, lt.APIConnectionError) and status in (None, 500):
            err = TargetDown(f"Upstream model '{name}' is unreachable.", code="upstream_unreachable")
        elif status in (404, 405):
            # The upstream has no such model or endpoint: the catalogue entry is wrong (or the model does not offer
            # this endpoint), which the caller cannot fix. A 502 that says so, not a 400 blaming the request.
            err = UpstreamError(f"Upstream model '{name}' answered {status}: the upstream does not offer this model "
                                "or endpoint; its catalogue entry needs checking.", code="upstream_not_found")
        elif isinstance(exc, lt.RateLimitError):
            err = RateLimited(f"Upstream model '{name}' is rate limited; retry later.",
                              headers={"retry-after": "1"})
        elif isinstance(exc, lt.ContextWindowExceededError):
            err = BadRequest(f"The request exceeds the context window of model '{name}'.",
                             code="context_length_exceeded")
        elif isinstance(exc, (lt.BadRequestError, lt.UnprocessableEntityError)):
            err = BadRequest(f"Upstream model '{name}' rejected the request (status {status or 400}).",
                             code="upstream_bad_request")
        elif isinstance(exc, (lt.AuthenticationError, lt.PermissionDeniedError)):
            # The caller's key was fine; the proxy's provider credentials were not. Not the caller's to fix.
            err = UpstreamError(f"govproxy could not authenticate to upstream model '{name}'.",
                                code="upstream_auth_failed")
        elif isinstance(exc, (lt.ServiceUnavailableError, lt.BadGatewayError, lt.InternalServerError)) or (
                isinstance(status, int) and status >= 500):
            err = TargetDown(f"Upstream model '{name}' failed (status {status or 502}).", code="upstream_failed")
        else:
            err = UpstreamError(f"Upstream model '{name}' failed.")
        err.upstream_status = status  # type: ignore[attr-defined]
        return err


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it was raised from, outermost first (litellm wraps the transport's error a few
    levels deep). Class names only ever leave this module: messages may quote the prompt."""
    chain = [exc]
    while len(chain) < 10 and (nxt := chain[-1].__cause__ or chain[-1].__context__) is not None:
        chain.append(nxt)
    return chain


async def _close(stream: Any) -> None:
    close = getattr(stream, "close", None) or getattr(stream, "aclose", None)
    if close is None:
        return
    try:
        result = close()
        if hasattr(result, "__await__"):
            await result
    except Exception:  # noqa: BLE001 - closing a broken stream may fail; nothing to do about it
        log.debug("upstream_stream_close_failed")


def _chunk_dict(obj: Any) -> dict[str, Any]:
    """A stream chunk as a dict without None values at any depth, whether it came as a model or as parsed JSON:
    what `model_dump(exclude_none=True)` gives for the fields a chunk declares, so the code after this sees one
    shape from every source."""
    return _without_none(obj) if isinstance(obj, dict) else _as_dict(obj)


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "model_dump"):
        return obj.model_dump(exclude_none=True)
    return dict(obj)
