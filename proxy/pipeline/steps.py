"""The stage functions. Each is a thin adapter between the RequestContext and one service; the logic lives in
the service's own package (auth/, detection/, policy/, redaction/, routing/, response/, audit/)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import structlog

from proxy.auth.caller import Role
from proxy.detection.unscannable import unscannable_findings
from proxy.errors import (
    BadRequest,
    Forbidden,
    NoCompliantTarget,
    PayloadTooLarge,
    PolicyBlocked,
    ServiceUnavailable,
    UpstreamError,
    UpstreamTimeout,
)
from proxy.pipeline.chains import continue_chain, conversation_of
from proxy.pipeline.services import Services
from proxy.policy.decision import Action, Location
from proxy.policy.evaluate import CLASSIFICATION_HEADER, RequestFacts, evaluate
from proxy.redaction.apply import Whole, apply_redactions
from proxy.redaction.memory import recall as recall_findings
from proxy.redaction.memory import remember
from proxy.request.anthropic import anthropic_to_openai
from proxy.request.anthropic_native import parse_anthropic
from proxy.request.context import Dialect, Endpoint, RequestContext
from proxy.request.responses import responses_to_openai
from proxy.request.schemas import parse_openai, rewrite
from proxy.request.thinking_signatures import tag_message
from proxy.request.walk import describe_path
from proxy.response.anthropic_restore import restore_events, restore_message, tag_events
from proxy.response.restore import restore_response
from proxy.response.sse import restore_stream
from proxy.routing.anthropic_features import extra_headers, speaks_anthropic, without_anthropic_features
from proxy.routing.anthropic_native import check_passed_headers, passed_headers
from proxy.routing.catalogue import Target
from proxy.routing.upstream import TargetDown

log = structlog.get_logger()
# Detection runs again when a policy reload swapped recognizers meanwhile (about 50 ms apart).
_DETECT_TRIES = 20


async def identify(ctx: RequestContext, svc: Services) -> None:
    ctx.caller = await svc.keys.authenticate(ctx.headers)
    structlog.contextvars.bind_contextvars(key_id=ctx.caller.key_id, team=ctx.caller.team)
    if ctx.caller.role is Role.AUDITOR:
        raise Forbidden("This key may read the audit log but not send model traffic.")
    await svc.limiter.check(ctx.caller.key_id)


async def parse(ctx: RequestContext, svc: Services) -> None:
    check_passed_headers(ctx.headers)
    try:
        body = orjson.loads(ctx.raw_body)
    except orjson.JSONDecodeError:
        raise BadRequest("Invalid request: the body is not valid JSON.", code="invalid_json") from None
    conversation = ctx.headers.get("x-govproxy-conversation-id")
    if ctx.dialect is Dialect.ANTHROPIC:
        # Kept in Anthropic's shape (scanned whole); converted for other targets when routed (see _call).
        request = parse_anthropic(body, conversation, svc.redaction_keys.hmac_key,
                                  count=ctx.endpoint is Endpoint.COUNT_TOKENS)
    elif ctx.endpoint is Endpoint.RESPONSES:
        body = await continue_chain(ctx, svc, body)
        request = parse_openai(Endpoint.CHAT, responses_to_openai(body), conversation)
        request.endpoint = Endpoint.RESPONSES
    else:
        request = parse_openai(ctx.endpoint, body, conversation)
    ctx.request = request
    ctx.upstream_body = request.body
    if request.stream and ctx.endpoint is Endpoint.CHAT:
        opts = request.body.get("stream_options") or {}
        ctx.wants_stream_usage = bool(isinstance(opts, dict) and opts.get("include_usage"))


async def detect(ctx: RequestContext, svc: Services) -> None:
    assert ctx.request is not None
    fields = ctx.request.texts
    max_fields = svc.settings.max_text_fields
    if max_fields and len(fields) > max_fields:
        raise PayloadTooLarge(f"the request carries {len(fields)} strings to scan; the limit is {max_fields} "
                              "(GOVPROXY_MAX_TEXT_FIELDS)", code="too_many_text_fields")
    texts = [t.text for t in fields]
    limit, total = svc.settings.max_text_chars, sum(map(len, texts))
    if limit and total > limit:
        raise PayloadTooLarge(f"the request carries {total} characters of text to scan; the limit is {limit} "
                              "(GOVPROXY_MAX_TEXT_CHARS)", code="text_too_long")
    # The request takes its policy snapshot here, once, and is detected with that snapshot's recognizers: a reload
    # swaps the detector's recognizers just before the snapshot, so a mismatch means one is under way; detect again.
    snapshot = ctx.snapshot = svc.policy.snapshot
    opaque = unscannable_findings(fields)
    if not any(texts):
        ctx.findings = opaque
        return
    for _ in range(_DETECT_TRIES):
        before = svc.detector.recognizers_version
        found = await svc.detector.detect(texts)
        if svc.remote_ner is not None:  # merged in; raises (fail closed) when the service does not answer
            found = await svc.remote_ner.merge(texts, found)
        ctx.findings = [*found, *opaque]
        if before == svc.detector.recognizers_version == snapshot.recognizers_version:
            return
        await asyncio.sleep(0.05)
        snapshot = ctx.snapshot = svc.policy.snapshot
    raise ServiceUnavailable("The policy is being reloaded; retry the request.", code="policy_reloading")


async def recall(ctx: RequestContext, svc: Services) -> None:
    """Conversation memory: remember what was found, then find every value this conversation already knows to be
    sensitive wherever it recurs, before the policy decides (proxy.redaction.memory). Logs counts only."""
    assert ctx.request is not None
    key = conversation_of(ctx)
    if not ctx.findings and await svc.pseudonyms.existing(key) is None:
        return  # nothing to remember, nothing remembered: the conversation takes no room in the store
    pmap = ctx.pseudonyms = await svc.pseudonyms.for_conversation(key)
    texts = [t.text for t in ctx.request.texts]
    remember(pmap, texts, ctx.findings)
    recalled = recall_findings(pmap, texts, ctx.findings)
    await svc.pseudonyms.save(key, pmap)
    if recalled:
        ctx.findings = [*ctx.findings, *recalled]
        log.info("recalled", findings=len(recalled))


async def decide(ctx: RequestContext, svc: Services) -> None:
    assert ctx.request is not None and ctx.caller is not None
    snapshot = ctx.snapshot or svc.policy.snapshot
    facts = RequestFacts(caller=ctx.caller, endpoint=ctx.endpoint, model=ctx.request.model,
                         findings=tuple(ctx.findings), header_classification=ctx.headers.get(CLASSIFICATION_HEADER),
                         texts=tuple(t.text for t in ctx.request.texts))
    decision = ctx.decision = evaluate(snapshot.policy, facts, snapshot.catalogue)
    log.info("decision", action=decision.action.value, rule=decision.rule, classification=decision.classification,
             shadow=[m.rule for m in decision.shadow_matches], targets=list(decision.targets))
    if decision.action is Action.BLOCK:
        message = decision.message or f"Blocked by policy rule '{decision.rule}'."
        opaque = [describe_path(ctx.request.texts[f.field].path) for f in ctx.findings if f.recognizer == "unscannable"]
        if opaque:
            message += f" Content that cannot be scanned: {', '.join(dict.fromkeys(opaque))}."
        raise PolicyBlocked(message)
    if not decision.targets:
        raise NoCompliantTarget(decision.message or "No model the policy allows can take this request.")


async def redact(ctx: RequestContext, svc: Services) -> None:
    """Replace what the decision says to redact, in every text field, before anything leaves."""
    assert ctx.request is not None and ctx.decision is not None and ctx.caller is not None
    strategies = ctx.decision.strategy_map
    if not strategies or not ctx.findings:
        return
    fields = ctx.request.texts
    key = conversation_of(ctx)
    pmap = ctx.pseudonyms
    if pmap is None:  # the recall stage loads it whenever there are findings; this keeps redact self-contained
        pmap = ctx.pseudonyms = await svc.pseudonyms.for_conversation(key)
    whole = {i: Whole.IDENTIFIER if f.kind == "identifier" else Whole.OPAQUE
             for i, f in enumerate(fields) if f.kind == "identifier" or f.opaque is not None}
    result = apply_redactions([t.text for t in fields], ctx.findings, strategies, pmap, svc.redaction_keys,
                              whole=whole)
    await svc.pseudonyms.save(key, pmap)
    ctx.upstream_body = rewrite(ctx.request.body, fields, result.texts)
    ctx.redactions = result.applied
    log.info("redacted", counts=result.counts, strategies=result.applied)


async def restore(ctx: RequestContext, svc: Services) -> None:
    """Put pseudonymised values back into the answer (plain now; streamed chunk by chunk as they pass)."""
    if ctx.endpoint is Endpoint.COUNT_TOKENS:
        return
    if ctx.native:
        # Thinking signatures go out tagged, so they can come back unscanned (proxy/request/thinking_signatures.py).
        key = svc.redaction_keys.hmac_key
        plain = isinstance(ctx.result, dict)
        ctx.result = tag_message(ctx.result, key) if plain else tag_events(ctx.result, key)
        if ctx.pseudonyms:
            ctx.result = restore_message(ctx.result, ctx.pseudonyms) if plain \
                else restore_events(ctx.result, ctx.pseudonyms)
        return
    if not ctx.pseudonyms:
        return
    if isinstance(ctx.result, dict):
        ctx.result = restore_response(ctx.result, ctx.pseudonyms)
    else:
        ctx.result = restore_stream(ctx.result, ctx.pseudonyms)


async def govern_storage(ctx: RequestContext, svc: Services) -> None:
    """A request that asks an external provider to keep it (`store: true`) is sent with `store: false` unless the
    deciding rule allows provider storage; the audit records what was sent."""
    assert ctx.decision is not None and ctx.upstream_body is not None
    if not ctx.upstream_body.get("store"):
        return
    external = Location.EXTERNAL in ctx.decision.allowed_locations
    if external and not ctx.decision.provider_storage:
        ctx.upstream_body = {**ctx.upstream_body, "store": False}
        log.info("provider_storage_refused", rule=ctx.decision.rule)


async def record_decision(ctx: RequestContext, svc: Services) -> None:
    """Nothing is forwarded before its audit record is durably written (AuditUnavailable -> 503)."""
    await svc.audit.record_decision(ctx)


def candidate_targets(ctx: RequestContext) -> list[Target]:
    """The decision's targets, in order: the primary, then its compliant fallbacks (the policy already dropped any
    fallback that would cross the decision's compliance boundary)."""
    assert ctx.decision is not None and ctx.snapshot is not None
    catalogue = ctx.snapshot.catalogue
    return [t for alias in ctx.decision.targets if (t := catalogue.get(alias)) is not None]


async def forward(ctx: RequestContext, svc: Services) -> None:
    assert ctx.request is not None and ctx.upstream_body is not None
    body = ctx.upstream_body
    failures: list[UpstreamError] = []
    for target in candidate_targets(ctx):
        ctx.attempted_targets.append(target.alias)
        ctx.target = target
        try:
            if target.api_key_env and not target.api_key():
                # No key to call it with: skipped like a target that is down (/readyz says degraded).
                raise TargetDown(f"{target.alias}: {target.api_key_env} is not set", code="no_api_key")
            ctx.result = await _call(ctx, svc, target, body)
            ctx.upstream_status = 200
            return
        except (TargetDown, UpstreamTimeout) as exc:
            # Down, or no answer in time: the next compliant target may serve. A stream gets here only before its
            # first chunk (chat_stream waits for it), so nothing has gone to the caller yet; a stream that stalls
            # later fails as an error event and is never replayed elsewhere.
            ctx.upstream_status = getattr(exc, "upstream_status", None)
            failures.append(exc)
            log.warning("target_down" if isinstance(exc, TargetDown) else "target_timeout", target=target.alias,
                        location=target.location.value)
    if len(failures) == 1 and isinstance(failures[0], UpstreamTimeout):
        raise failures[0]
    tried = ", ".join(f"{alias} ({exc.code})" for alias, exc in zip(ctx.attempted_targets, failures, strict=True))
    if failures and all(isinstance(exc, UpstreamTimeout) for exc in failures):
        raise UpstreamTimeout(f"No compliant target answered in time: tried {tried}. Nothing was sent anywhere else.")
    raise NoCompliantTarget(f"No compliant target is available for this request: tried {tried}. "
                            "Nothing was sent anywhere else.")


async def _call(ctx: RequestContext, svc: Services, target: Target, body: dict[str, Any]) -> Any:
    up = svc.upstream
    if ctx.endpoint is Endpoint.EMBEDDINGS:
        return await up.embedding(target, body)
    if ctx.endpoint is Endpoint.COMPLETIONS:
        if ctx.request and ctx.request.stream:
            raise BadRequest("Streaming is not supported on /v1/completions; use /v1/chat/completions.",
                             param="stream")
        return await up.completion(target, body)
    stream = bool(ctx.request and ctx.request.stream)
    ctx.native = ctx.dialect is Dialect.ANTHROPIC and speaks_anthropic(target)
    ctx.dropped_features = []
    if ctx.endpoint is Endpoint.COUNT_TOKENS:
        if ctx.native:  # counted by Anthropic, on the redacted body
            assert svc.anthropic is not None
            return await svc.anthropic.count_tokens(target, body, passed_headers(ctx.headers))
        # Counted here with litellm's counter for the target's model: nothing leaves the proxy.
        chat = anthropic_to_openai({**body, "max_tokens": 1})
        return {"input_tokens": await asyncio.to_thread(up.input_tokens, target, chat)}
    if ctx.native:
        # The scanned and redacted Messages body itself: cache_control, thinking, documents, metadata as sent.
        native = svc.anthropic
        assert native is not None
        headers = passed_headers(ctx.headers)
        return await (native.stream if stream else native.create)(target, body, headers)
    if ctx.dialect is Dialect.ANTHROPIC:
        body = anthropic_to_openai(body)  # the redacted body, for a target that speaks chat
    if stream:
        # Always ask for usage so the audit has token counts; the caller's stream gets it only if asked.
        body = {**body, "stream_options": {**(body.get("stream_options") or {}), "include_usage": True}}
    if not speaks_anthropic(target):
        body, dropped = without_anthropic_features(body)
        ctx.dropped_features = dropped
    headers = extra_headers(target, ctx.headers)
    if stream:
        return await up.chat_stream(target, body, headers)
    return await up.chat(target, body, headers)
