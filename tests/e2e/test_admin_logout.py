"""Signing out of the review page is guarded like signing in: a form post from another origin is refused (403,
audited) and leaves the session as it was; a same-origin post signs out. Over real HTTP against the admin routes
(uvicorn, real key and audit stores)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.audit_db import execute
from tests.e2e.test_admin_audit import AdminServer, serve_admin

COOKIE = "govproxy_admin"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminServer]:
    yield from serve_admin(tmp_path_factory.mktemp("logout"))


@contextmanager
def signed_in(site: AdminServer) -> Iterator[httpx.Client]:
    """A client holding the sign-in cookie, as a browser would after the form."""
    with httpx.Client(base_url=site.url, timeout=30) as client:
        r = client.post("/admin/login", data={"key": site.auditor_key}, headers={"origin": site.url})
        assert r.status_code == 303 and client.cookies.get(COOKIE) == site.auditor_key
        yield client


def test_cross_origin_logout_is_refused_and_the_session_stays(site: AdminServer) -> None:
    with signed_in(site) as client:
        for origin in ("https://evil.example", "null", site.url.replace("127.0.0.1", "localhost")):
            r = client.post("/admin/logout", headers={"origin": origin})
            assert r.status_code == 403, origin
            assert "Cross-site sign-out refused" in r.text
            assert "set-cookie" not in r.headers  # the cookie is not cleared
            assert client.cookies.get(COOKIE) == site.auditor_key
            # Still signed in: the records page renders for the cookie alone.
            page = client.get("/admin/")
            assert page.status_code == 200 and "<table" in page.text
    refusals = execute(site.db_url, "SELECT r.detail, o.outcome, o.error_status FROM audit_records r JOIN "
                                    "audit_outcomes o ON o.record_id = r.id WHERE r.endpoint = '/admin/logout'")
    assert len(refusals) == 3
    for detail, outcome, status in refusals:
        assert json.loads(detail)["result"] == "cross_site" and outcome == "rejected_auth" and status == 403


def test_same_origin_logout_signs_out(site: AdminServer) -> None:
    for headers in ({"origin": site.url}, {}):  # a browser's same-origin post, or a client that sends no Origin
        with signed_in(site) as client:
            r = client.post("/admin/logout", headers=headers)
            assert r.status_code == 303 and r.headers["location"] == "/admin/login"
            cleared = r.headers["set-cookie"]
            assert cleared.startswith(f"{COOKIE}=") and "Max-Age=0" in cleared and "Path=/admin" in cleared
            assert client.cookies.get(COOKIE) is None
            page = client.get("/admin/")
            assert page.status_code == 303 and page.headers["location"] == "/admin/login"
