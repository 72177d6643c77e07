"""The audit review page at /admin/: a filterable table of records and a detail view of each decision chain.

Server-rendered (Jinja2, no build step, no script). A person signs in by pasting an auditor/admin key into the
login form; it is kept in an HttpOnly, SameSite=Strict cookie (never rendered back). Tools may send
`Authorization: Bearer` instead. Every page view is audited like an API read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from proxy.api.admin_audit import audit_access, authorize, caller_strings, parse_query
from proxy.audit.query import count, get_record, search
from proxy.audit.verify import last_verify
from proxy.auth.caller import Caller
from proxy.errors import AuditUnavailable, BadRequest, Forbidden, ProxyError, RateLimited, Unauthorized
from proxy.web.review import Site, review_routes

COOKIE = "govproxy_admin"
_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff", "referrer-policy": "same-origin", "cache-control": "no-store",
    "x-frame-options": "DENY",
}
LOGIN_BODY_LIMIT = 8192  # a key is about 60 characters
FILTERS = ("since", "until", "team", "user", "decision", "entity", "target", "rule", "kind", "request_id", "views")
OUTCOME_TONE = {"allowed": "ok", "redacted": "warn", "blocked": "bad", "rejected_auth": "bad",
                "audit_unavailable": "bad", "upstream_error": "bad", "no_route": "bad", "error": "bad"}


def _credentials(request: Request) -> dict[str, str] | None:
    """Headers to authenticate with: the request's own Bearer header, else the login cookie."""
    if request.headers.get("authorization"):
        return {"authorization": ", ".join(request.headers.getlist("authorization"))}
    key = request.cookies.get(COOKIE)
    return {"authorization": f"Bearer {key}"} if key else None


async def _form_body(request: Request) -> str | None:
    """The sign-in form's body, or None past LOGIN_BODY_LIMIT bytes. Read as it streams in: the route is open to
    anyone, and reading the whole body first let one unauthenticated POST of 300 MB take 1 GB of memory."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > LOGIN_BODY_LIMIT:
            return None
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", errors="replace")


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def web_routes() -> list[BaseRoute]:
    """The review page's routes (mount beside the admin API)."""
    env = Environment(loader=PackageLoader("proxy.web", "templates"), autoescape=select_autoescape(["html"]))
    env.filters["tone"] = lambda outcome: OUTCOME_TONE.get(outcome or "", "neutral")
    env.filters["thousands"] = lambda n: f"{n:,}"

    def render(name: str, status: int = 200, headers: dict[str, str] | None = None, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**ctx), status_code=status,
                            headers={**_HEADERS, **(headers or {})})

    def refused(exc: ProxyError, *, clear: bool = False) -> Response:
        if isinstance(exc, Unauthorized):
            resp: Response = RedirectResponse("/admin/login?expired=1" if clear else "/admin/login",
                                              status_code=303, headers=_HEADERS)
            if clear:
                resp.delete_cookie(COOKIE, path="/admin")
            return resp
        return render("error.html", status=exc.status, headers=exc.headers, title="Not allowed"
                      if isinstance(exc, Forbidden) else "Unavailable", message=exc.message)

    async def signed_in(request: Request, route: str) -> Caller | Response:
        creds = _credentials(request)
        try:
            if creds is None:
                # No key at all is a refusal like any other: audited, then sent to the login form.
                await audit_access(request, route, caller=None, detail={"result": "unauthenticated"},
                                   error=Unauthorized("No key presented."))
                return RedirectResponse("/admin/login", status_code=303, headers=_HEADERS)
            return await authorize(request, creds, route)
        except ProxyError as exc:
            return refused(exc, clear=COOKIE in request.cookies)

    async def records(request: Request) -> Response:
        caller = await signed_in(request, "/admin/")
        if isinstance(caller, Response):
            return caller
        params = {k: v for k, v in request.query_params.items() if v}
        engine = request.app.state.services.audit.engine
        try:
            query = parse_query(params)
            flt = query.to_filter(hide_views=True)
            page = await search(engine, flt, limit=query.limit, before=query.before, after=query.after)
            total = await count(engine, flt)
            first = await count(engine, flt, newer_than=page.records[0].seq) + 1 if page.records else 0
            verified = await last_verify(engine)
            await audit_access(request, "/admin/", caller=caller,
                               detail={"filters": query.described(request), "returned": len(page.records)})
        except BadRequest as exc:
            return render("error.html", status=400, title="Bad filter", message=exc.message)
        except AuditUnavailable as exc:
            return refused(exc)
        kept = {k: v for k, v in params.items() if k in FILTERS}
        if "limit" in params:
            kept["limit"] = str(query.limit)

        def link(**cursor: object) -> str:
            return "?" + urlencode({**kept, **cursor})

        return render("records.html", caller=caller, records=page.records, filters=kept, total=total, first=first,
                      older=link(before=page.next_cursor) if page.next_cursor else None,
                      newer=link(after=page.prev_cursor) if page.prev_cursor else None,
                      newest=link() if page.prev_cursor else None, verified=verified,
                      export_query=urlencode({k: v for k, v in kept.items() if k != "limit"}),
                      views_toggle=link(**({"views": ""} if query.views else {"views": "1"})))

    async def record(request: Request) -> Response:
        caller = await signed_in(request, "/admin/records/{id}")
        if isinstance(caller, Response):
            return caller
        record_id = request.path_params["record_id"][:64]
        try:
            rec = await get_record(request.app.state.services.audit.engine, record_id)
            await audit_access(request, "/admin/records/{id}", caller=caller,
                               detail={"record_id": caller_strings(request).record_id(record_id),
                                       "found": rec is not None})
        except AuditUnavailable as exc:
            return refused(exc)
        if rec is None:
            return render("error.html", status=404, title="Not found", message="No such audit record.")
        timings = rec.outcome.timings if rec.outcome else {}
        return render("record.html", caller=caller, rec=rec, slowest=max(timings.values(), default=0.0) or 1.0)

    async def login_form(request: Request) -> Response:
        return render("login.html", expired="expired" in request.query_params)

    async def cross_site(request: Request, route: str, what: str) -> Response | None:
        """A refusal (403, audited) when a form post comes from another origin; None when it is same-origin.
        Sign-in and sign-out both change the session, so another site may do neither."""
        if _same_origin(request):
            return None
        refusal = Forbidden(f"Cross-site {what} refused.")
        try:
            await audit_access(request, route, caller=None, detail={"result": "cross_site"}, error=refusal)
        except AuditUnavailable as exc:
            return refused(exc)
        return render("error.html", status=403, title="Not allowed", message=refusal.message)

    async def login(request: Request) -> Response:
        if (refusal := await cross_site(request, "/admin/login", "sign-in")) is not None:
            return refusal
        body = await _form_body(request)
        if body is None:
            return render("error.html", status=413, title="Too large", message="The sign-in form is too large.")
        key = (parse_qs(body).get("key") or [""])[0].strip()
        try:
            caller = await authorize(request, {"authorization": f"Bearer {key}"}, "/admin/login")
            await audit_access(request, "/admin/login", caller=caller, detail={"result": "signed_in"})
        except (Unauthorized, Forbidden) as exc:
            msg = "That key is not valid." if isinstance(exc, Unauthorized) else \
                "That key may not read the audit log (auditor or admin role required)."
            return render("login.html", status=exc.status, error=msg)
        except (AuditUnavailable, RateLimited) as exc:
            return refused(exc)
        resp = RedirectResponse("/admin/", status_code=303, headers=_HEADERS)
        resp.set_cookie(COOKIE, key, httponly=True, samesite="strict", path="/admin",
                        secure=request.url.scheme == "https", max_age=8 * 3600)
        return resp

    async def logout(request: Request) -> Response:
        # Without this check any site could sign a reviewer out (a cross-site form post to this route).
        if (refusal := await cross_site(request, "/admin/logout", "sign-out")) is not None:
            return refusal
        resp = RedirectResponse("/admin/login", status_code=303, headers=_HEADERS)
        resp.delete_cookie(COOKIE, path="/admin")
        return resp

    async def to_index(request: Request) -> Response:
        return RedirectResponse("/admin/", status_code=307)

    static = StaticFiles(directory=str(Path(__file__).resolve().parent / "static"))
    return [
        Route("/admin", to_index, methods=["GET"]),
        Route("/admin/", records, methods=["GET"]),
        *review_routes(Site(render, signed_in, refused, _same_origin, _HEADERS)),
        Route("/admin/records/{record_id}", record, methods=["GET"]),
        Route("/admin/login", login_form, methods=["GET"]),
        Route("/admin/login", login, methods=["POST"]),
        Route("/admin/logout", logout, methods=["POST"]),
        Mount("/admin/static", app=static, name="admin-static"),
    ]
