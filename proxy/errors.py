"""The exception tree and the provider-shaped error bodies.

Messages of these exceptions go to callers and to the audit log: they must never contain prompt text or detected
values. Build them from rule names, entity types, aliases and field names only.
"""

from __future__ import annotations

from typing import Any


class ProxyError(Exception):
    status: int = 500
    openai_type: str = "server_error"
    anthropic_type: str = "api_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code
        self.headers = headers or {}

    def openai_body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.openai_type, "param": self.param,
                          "code": self.code}}

    def anthropic_body(self) -> dict[str, Any]:
        return {"type": "error", "error": {"type": self.anthropic_type, "message": self.message}}


class BadRequest(ProxyError):
    status, openai_type, anthropic_type, code = 400, "invalid_request_error", "invalid_request_error", None


class Unauthorized(ProxyError):
    status, openai_type, anthropic_type, code = 401, "authentication_error", "authentication_error", "invalid_api_key"


class Forbidden(ProxyError):
    status, openai_type, anthropic_type, code = 403, "permission_error", "permission_error", "forbidden"


class PolicyBlocked(Forbidden):
    """A policy rule blocked the request. The message names the rule, never the data."""

    code = "policy_blocked"


class NotFound(ProxyError):
    status, openai_type, anthropic_type, code = 404, "invalid_request_error", "not_found_error", "model_not_found"


class PayloadTooLarge(ProxyError):
    status, openai_type, anthropic_type, code = 413, "invalid_request_error", "request_too_large", "request_too_large"


class RateLimited(ProxyError):
    status, openai_type, anthropic_type, code = 429, "rate_limit_error", "rate_limit_error", "rate_limit_exceeded"


class UpstreamError(ProxyError):
    status, openai_type, anthropic_type, code = 502, "upstream_error", "api_error", "upstream_error"


class UpstreamTimeout(UpstreamError):
    status, code = 504, "upstream_timeout"


class ServiceUnavailable(ProxyError):
    status, openai_type, anthropic_type, code = 503, "service_unavailable", "overloaded_error", "unavailable"


class NoCompliantTarget(ServiceUnavailable):
    code = "no_compliant_target"


class AuditUnavailable(ServiceUnavailable):
    code = "audit_unavailable"


class InternalError(ProxyError):
    status, openai_type, anthropic_type, code = 500, "server_error", "api_error", "internal_error"
