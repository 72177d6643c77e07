"""`previous_response_id` chains on POST /v1/responses (the store: proxy/redaction/kept_responses.py).

The parse stage calls `continue_chain`: the kept input and output items of the previous response are put before
the request's own input, and the request continues the previous response's pseudonym map. Everything after runs
on that whole body, so every string the upstream receives (the earlier turns included) is scanned and redacted as
usual. The renderer calls `keep_response` with the response the caller gets.
"""

from __future__ import annotations

import re
from typing import Any

import structlog

from proxy.errors import BadRequest
from proxy.pipeline.services import Services
from proxy.redaction.kept_responses import KeptResponse, entry_key
from proxy.redaction.pseudonyms import conversation_key, conversation_opening
from proxy.request.context import RequestContext, ResponseChain

log = structlog.get_logger()
# The ids this proxy issues (proxy/api/responses_message.py); only such an id is quoted back in an error.
_OUR_ID = re.compile(r"resp_[0-9a-f]{32}")


def conversation_of(ctx: RequestContext) -> str:
    """The key of the conversation this request belongs to: the one a chain continues, else the caller plus the
    x-govproxy-conversation-id header or the conversation's opening (proxy.redaction.pseudonyms)."""
    assert ctx.request is not None and ctx.caller is not None
    if ctx.conversation is not None:
        return ctx.conversation
    fields = ctx.request.texts
    # The opening is read from the messages (a tool list or a parameter is not what names a conversation).
    return conversation_key(ctx.caller.key_id, ctx.request.conversation_id,
                            conversation_opening([(t.role, t.text) for t in fields if t.path[0] == "messages"]
                                                 or [(t.role, t.text) for t in fields]))


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if isinstance(value, list):
        return list(value)
    raise BadRequest("Invalid request: input: must be a string or a list of items", param="input")


async def continue_chain(ctx: RequestContext, svc: Services, body: Any) -> Any:
    """The Responses body with the chain it continues put before its input (`previous_response_id` removed).
    An unknown, expired, deleted or `store: false` previous response, or one made with another key: 400
    `previous_response_not_found`, as OpenAI answers (the audit stage records it like any refused request)."""
    if not isinstance(body, dict):
        return body  # refused by the converter
    ctx.chain = chain = ResponseChain(input=_items(body.get("input")), store=body.get("store") is not False)
    previous = body.get("previous_response_id")
    if previous is None:
        return body
    if not isinstance(previous, str) or not previous:
        raise BadRequest("Invalid request: previous_response_id: must be a response id", param="previous_response_id")
    assert ctx.caller is not None
    kept = await svc.kept.get(entry_key(ctx.caller.key_id, previous))
    if kept is None:
        quoted = f" with id '{previous}'" if _OUR_ID.fullmatch(previous) else ""
        raise BadRequest(f"Previous response{quoted} not found. govproxy keeps a response for "
                         f"{int(svc.settings.pseudonym_ttl_s)} s after its last use, for the key that made it, "
                         "unless it was created with store: false.", param="previous_response_id",
                         code="previous_response_not_found")
    chain.input = [*kept.input, *kept.output, *chain.input]
    chain.previous_id = previous
    ctx.conversation = kept.conversation
    log.info("response_chain", items=len(chain.input))
    return {**{k: v for k, v in body.items() if k != "previous_response_id"}, "input": chain.input}


async def keep_response(ctx: RequestContext, svc: Services, response: dict[str, Any]) -> None:
    """Keep a response the caller is about to receive, for chains and GET (not when it asked `store: false`)."""
    chain = ctx.chain
    if chain is None or not chain.store or ctx.caller is None or ctx.request is None:
        return
    output = [item for item in response.get("output") or [] if isinstance(item, dict)]
    try:
        kept = KeptResponse(conversation_of(ctx), chain.input, output, response)
        await svc.kept.put(entry_key(ctx.caller.key_id, str(response["id"])), kept)
    except Exception as exc:  # noqa: BLE001 - the caller still gets its answer; chaining on it answers 400
        log.warning("response_not_kept", error_class=type(exc).__name__)
