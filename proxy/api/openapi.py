"""The proxy's own OpenAPI description (`GET /openapi.json`), built from the same pydantic models that validate
the requests, so the description cannot drift from what the proxy accepts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from proxy import __version__
from proxy.request.schemas import ChatBody, CompletionBody, EmbeddingBody

_ERROR = {"type": "object", "properties": {"error": {"type": "object", "properties": {
    "message": {"type": "string"}, "type": {"type": "string"}, "param": {"type": ["string", "null"]},
    "code": {"type": ["string", "null"]}}, "required": ["message", "type"]}}, "required": ["error"]}
_ANTHROPIC_ERROR = {"type": "object", "properties": {"type": {"const": "error"}, "error": {
    "type": "object", "properties": {"type": {"type": "string"}, "message": {"type": "string"}}}}}
_MESSAGES_BODY = {"type": "object", "required": ["model", "max_tokens", "messages"], "properties": {
    "model": {"type": "string", "minLength": 1}, "max_tokens": {"type": "integer", "minimum": 1},
    "system": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]},
    "messages": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["role", "content"],
                                                          "properties": {
        "role": {"enum": ["user", "assistant"]},
        "content": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]}}}},
    "stream": {"type": "boolean"}}}
# What /v1/messages/count_tokens takes: a Messages body without max_tokens.
_COUNT_BODY = {**_MESSAGES_BODY, "required": ["model", "messages"], "properties": {
    k: v for k, v in _MESSAGES_BODY["properties"].items() if k not in ("max_tokens", "stream")}}
# The Responses API body as the proxy reads it (proxy/request/responses.py converts it; what it cannot convert is a
# 400 naming the field).
_RESPONSES_BODY = {"type": "object", "required": ["model"], "properties": {
    "model": {"type": "string", "minLength": 1},
    "input": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "object"}}]},
    "instructions": {"type": "string"}, "previous_response_id": {"type": "string"},
    "store": {"type": "boolean"}, "stream": {"type": "boolean"},
    "max_output_tokens": {"type": "integer", "minimum": 1}, "tools": {"type": "array", "items": {"type": "object"}}}}


def _errors(schema: dict[str, Any]) -> dict[str, Any]:
    content = {"application/json": {"schema": schema}}
    return {str(code): {"description": desc, "content": content} for code, desc in (
        (400, "invalid request"), (401, "missing or invalid key"), (403, "forbidden or blocked by policy"),
        (404, "unknown model"), (413, "body too large"), (429, "rate limited"), (502, "upstream failed"),
        (503, "no compliant target / audit store unavailable"), (504, "upstream timed out"))}


# One server-sent event (how SSE-aware tools such as schemathesis read a text/event-stream schema): `data` is a
# JSON chunk or event, or OpenAI's closing `[DONE]`.
_SSE_EVENT = {"type": "object", "required": ["data"], "properties": {"event": {"type": "string"},
                                                                     "data": {"type": "string"}}}

# pydantic's nested definitions, referenced from the document root (a `#/$defs/...` pointer inside a path would
# point at the OpenAPI document's root, where there are none).
_REF = "#/components/schemas/{model}"


def _schema(body: dict[str, Any] | type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(body, type):
        return body
    schema = body.model_json_schema(ref_template=_REF)
    components.update(schema.pop("$defs", {}))
    return schema


def _post(summary: str, schema: dict[str, Any], *, anthropic: bool = False) -> dict[str, Any]:
    ok = {"description": "the provider's response (JSON, or text/event-stream when stream is true)",
          "content": {"application/json": {"schema": {"type": "object"}},
                      "text/event-stream": {"schema": _SSE_EVENT}}}
    return {"post": {"summary": summary, "security": [{"apiKey": []}] if anthropic else [{"bearer": []}],
                     "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
                     "responses": {"200": ok, **_errors(_ANTHROPIC_ERROR if anthropic else _ERROR)}}}


def _kept(summary: str) -> dict[str, Any]:
    return {"summary": summary, "security": [{"bearer": []}],
            "parameters": [{"name": "response_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the response", "content": {"application/json": {
                "schema": {"type": "object"}}}}, **_errors(_ERROR)}}


def document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    chat, completion, embedding = (_schema(m, components) for m in (ChatBody, CompletionBody, EmbeddingBody))
    return {
        "openapi": "3.1.0",
        "info": {"title": "govproxy", "version": __version__,
                 "description": "OpenAI- and Anthropic-compatible data-governance proxy."},
        "components": {"schemas": components, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                           "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}},
        "paths": {
            "/v1/chat/completions": _post("Chat completion (OpenAI)", chat),
            "/v1/completions": _post("Text completion (OpenAI)", completion),
            "/v1/embeddings": _post("Embeddings (OpenAI)", embedding),
            "/v1/messages": _post("Messages (Anthropic)", _MESSAGES_BODY, anthropic=True),
            "/v1/messages/count_tokens": _post("Count a Messages body's input tokens (Anthropic)", _COUNT_BODY,
                                               anthropic=True),
            "/v1/responses": _post("Create a response (OpenAI Responses API)", _RESPONSES_BODY),
            "/v1/responses/{response_id}": {method: _kept(summary) for method, summary in (
                ("get", "A response this key made (kept unless store was false)"),
                ("delete", "Delete a response this key made"))},
            "/v1/models": {"get": {"summary": "Models this caller may use", "security": [{"bearer": []}],
                                   "responses": {"200": {"description": "model list"}, **_errors(_ERROR)}}},
            "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "alive"}}}},
            "/readyz": {"get": {"summary": "Readiness", "responses": {"200": {"description": "ready"},
                                                                     "503": {"description": "not ready"}}}},
        },
    }


async def openapi_json(request: Request) -> Response:
    return JSONResponse(request.app.state.openapi)


def routes() -> list[BaseRoute]:
    return [Route("/openapi.json", openapi_json, methods=["GET"])]
