"""Anthropic Messages bodies sent as they are to Anthropic targets (`anthropic/<model>` in the catalogue).

litellm's own pass-through (`litellm.anthropic.messages.acreate`, litellm 1.110) forwards a plain body faithfully,
but its streaming path imports litellm's proxy server package (FastAPI), which govproxy does not install; so the
call is made here with httpx, to the target's `api_base` (default https://api.anthropic.com) with its key. The
routing, fallbacks and audit around it are the same stages as for every other call. Upstream error messages are
not passed on (they may quote the prompt); failures map to the same errors as litellm's (proxy/routing/upstream.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import orjson
import structlog

from proxy.errors import BadRequest, ProxyError, RateLimited, UpstreamError, UpstreamTimeout
from proxy.routing.catalogue import Target
from proxy.routing.upstream import TargetDown

log = structlog.get_logger()
DEFAULT_BASE = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
# Headers of the caller's that travel on: the API version it speaks and the beta features it asked for.
PASSED_HEADERS = ("anthropic-version", "anthropic-beta")


# What those headers hold: a version date, or beta names, comma-separated (a repeated header is joined with ", ").
_PASSED_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(?: *, *[A-Za-z0-9][A-Za-z0-9._-]*)*")


def check_passed_headers(caller_headers: Mapping[str, str]) -> None:
    """Refuse (400) a request whose PASSED_HEADERS hold anything but names: such a value would go on to the target
    as it came (an HTTP client refuses a header that is not ASCII: that was a 500). The value is not echoed."""
    for name in PASSED_HEADERS:
        value = caller_headers.get(name, "").strip(" \t")
        if value and not _PASSED_VALUE.fullmatch(value):
            raise BadRequest(f"Invalid request: the {name} header must be names (letters, digits, '.', '_', '-'), "
                             "comma-separated.", param=name, code="invalid_header")


def passed_headers(caller_headers: dict[str, str]) -> dict[str, str]:
    """The caller's headers that go on to an Anthropic target (PASSED_HEADERS)."""
    return {k: caller_headers[k] for k in PASSED_HEADERS if caller_headers.get(k)}


def messages_url(target: Target) -> str:
    base = (target.api_base or DEFAULT_BASE).rstrip("/")
    if base.endswith("/v1/messages"):
        return base
    return base + ("/messages" if base.endswith("/v1") else "/v1/messages")


def upstream_model(target: Target) -> str:
    return target.model.split("/", 1)[1] if target.model.startswith("anthropic/") else target.model


class AnthropicNative:
    def __init__(self, *, timeout_s: float = 120.0, retries: int = 1) -> None:
        self._timeout_s = timeout_s
        self._retries = retries
        self._client = httpx.AsyncClient(http2=False)

    async def aclose(self) -> None:
        await self._client.aclose()

    def _request(self, target: Target, body: dict[str, Any], caller_headers: dict[str, str], *, path: str = ""
                 ) -> httpx.Request:
        headers = {"content-type": "application/json", "x-api-key": target.api_key() or "none",
                   "anthropic-version": API_VERSION}
        headers.update(passed_headers(caller_headers))
        payload = orjson.dumps({**body, "model": upstream_model(target)})
        timeout = httpx.Timeout(target.timeout_s or self._timeout_s, connect=10.0)
        return self._client.build_request("POST", messages_url(target) + path, content=payload, headers=headers,
                                          timeout=timeout)

    async def _send(self, target: Target, request: httpx.Request, *, stream: bool) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = await self._client.send(request, stream=stream)
            except httpx.TimeoutException:
                raise UpstreamTimeout(f"Upstream model '{target.alias}' timed out.") from None
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if attempt < self._retries:  # a pooled connection the server had closed: a fresh one answers
                    attempt += 1
                    continue
                raise _down(target, exc) from None
            except httpx.HTTPError as exc:
                raise _down(target, exc) from None
            if response.status_code >= 400:
                await response.aread()
                await response.aclose()
                raise _status_error(target, response.status_code)
            return response

    async def create(self, target: Target, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """A plain Messages call: the Message dict."""
        response = await self._send(target, self._request(target, {**body, "stream": False}, headers), stream=False)
        try:
            result = response.json()
        except ValueError:
            raise UpstreamError(f"Upstream model '{target.alias}' answered with invalid JSON.") from None
        if not isinstance(result, dict):
            raise UpstreamError(f"Upstream model '{target.alias}' answered with invalid JSON.")
        return result

    async def count_tokens(self, target: Target, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        """POST /v1/messages/count_tokens at the target: {"input_tokens": n}."""
        response = await self._send(target, self._request(target, body, headers, path="/count_tokens"), stream=False)
        result = response.json()
        if not isinstance(result, dict) or not isinstance(result.get("input_tokens"), int):
            raise UpstreamError(f"Upstream model '{target.alias}' answered count_tokens without input_tokens.")
        return result

    async def stream(self, target: Target, body: dict[str, Any], headers: dict[str, str]
                     ) -> AsyncIterator[dict[str, Any]]:
        """A streamed Messages call: its events as dicts (each with its `type`). Waits for the first event, so a
        target that is down fails here, before any byte went to the caller, and a fallback can still be tried."""
        response = await self._send(target, self._request(target, {**body, "stream": True}, headers), stream=True)
        events = _events(target, response)
        try:
            first = await events.__anext__()
        except StopAsyncIteration:
            first = None
        except BaseException:
            await events.aclose()
            raise
        return _prepend(first, events)


async def _prepend(first: dict[str, Any] | None, rest: AsyncIterator[dict[str, Any]]
                   ) -> AsyncIterator[dict[str, Any]]:
    try:
        if first is not None:
            yield first
        async for event in rest:
            yield event
    finally:
        aclose = getattr(rest, "aclose", None)
        if aclose is not None:
            await aclose()


async def _events(target: Target, response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """Server-sent events -> their JSON data; an `error` event becomes an UpstreamError."""
    data: list[str] = []
    try:
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                data.append(line[5:].lstrip())
            elif line == "" and data:
                event = orjson.loads("\n".join(data))
                data = []
                if isinstance(event, dict) and event.get("type") == "error":
                    err = event.get("error") if isinstance(event.get("error"), dict) else {}
                    log.warning("upstream_stream_error", target=target.alias, error_type=err.get("type"))
                    raise UpstreamError(f"Upstream model '{target.alias}' failed during the stream.")
                if isinstance(event, dict):
                    yield event
    except httpx.TimeoutException:
        raise UpstreamTimeout(f"Upstream model '{target.alias}' timed out.") from None
    except (httpx.HTTPError, orjson.JSONDecodeError) as exc:
        raise UpstreamError(f"Upstream model '{target.alias}' failed during the stream "
                            f"({type(exc).__name__}).") from None
    finally:
        await response.aclose()


def _down(target: Target, exc: BaseException) -> ProxyError:
    log.warning("upstream_error", target=target.alias, error_class=type(exc).__name__, upstream_status=None)
    return TargetDown(f"Upstream model '{target.alias}' is unreachable.", code="upstream_unreachable")


def _status_error(target: Target, status: int) -> ProxyError:
    log.warning("upstream_error", target=target.alias, error_class="HTTPStatus", upstream_status=status)
    name = target.alias
    err: ProxyError
    if status == 429:
        err = RateLimited(f"Upstream model '{name}' is rate limited; retry later.", headers={"retry-after": "1"})
    elif status in (401, 403):
        err = UpstreamError(f"govproxy could not authenticate to upstream model '{name}'.",
                            code="upstream_auth_failed")
    elif status in (404, 405):
        err = UpstreamError(f"Upstream model '{name}' answered {status}: the upstream does not offer this model "
                            "or endpoint; its catalogue entry needs checking.", code="upstream_not_found")
    elif status == 413:
        err = BadRequest(f"The request is too large for upstream model '{name}'.", code="upstream_bad_request")
    elif status < 500:
        err = BadRequest(f"Upstream model '{name}' rejected the request (status {status}).",
                         code="upstream_bad_request")
    else:
        err = TargetDown(f"Upstream model '{name}' failed (status {status}).", code="upstream_failed")
    err.upstream_status = status  # type: ignore[attr-defined]
    return err
