"""The review page in headless Chromium: sign in with the form, filter the table, open a record's decision chain,
sign out. Screenshots go to tests/artifacts/. Also the cookie's flags, Bearer access for tools, and that no key is
ever rendered into a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.audit_db import execute
from tests.e2e.test_admin_audit import AdminServer, serve_admin

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminServer]:
    yield from serve_admin(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM),
                               args=["--headless", "--no-sandbox", "--disable-gpu",
                                     "--disable-background-networking"])
        yield b
        b.close()


def test_sign_in_filter_and_read_a_decision_chain(site: AdminServer, browser: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    page.goto(site.url + "/admin/")
    assert page.url.endswith("/admin/login")  # not signed in: sent to the form

    page.fill("#key", site.caller_key)
    page.click("button[type=submit]")
    assert "may not read the audit log" in page.inner_text("[role=alert]")

    page.fill("#key", site.auditor_key)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/admin/")
    assert "auditor-person" in page.inner_text("header")
    rows = page.locator("table.records tbody tr")
    assert rows.count() >= 8
    page.screenshot(path=str(ARTIFACTS / "admin_records.png"), full_page=True)

    cookie = next(c for c in page.context.cookies() if c["name"] == "govproxy_admin")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/admin"
    assert site.auditor_key not in page.content()

    page.fill("input[name=team]", "sales")
    page.click(".filters button[type=submit]")
    page.wait_for_url(re.compile(r".*team=sales.*"))
    assert rows.count() == 1 and "no-pii-external" in rows.first.inner_text()
    page.fill("input[name=team]", "")
    page.fill("input[name=entity]", "EMAIL_ADDRESS")
    page.select_option("select[name=kind]", "request")
    page.click(".filters button[type=submit]")
    page.wait_for_url(re.compile(r".*entity=EMAIL_ADDRESS.*"))
    assert rows.count() == 2

    page.click(f"a[href='/admin/records/{site.ids[0]}']")
    page.wait_for_url(re.compile(r".*/admin/records/.*"))
    chain = page.inner_text("ol.chain")
    for expected in ("EMAIL_ADDRESS", "mask-email", "strict-email", "shadow", "onprem-chat", "onprem", "redacted",
                     "v-test", "internal", "detect", "Planned", "Applied"):
        assert expected in chain, expected
    page.screenshot(path=str(ARTIFACTS / "admin_record.png"), full_page=True)

    page.click("text=Sign out")
    page.wait_for_url(site.url + "/admin/login")
    page.goto(site.url + "/admin/")
    assert page.url.endswith("/admin/login")
    page.close()


def test_page_views_are_audited_and_tools_may_use_bearer(site: AdminServer) -> None:
    r = httpx.get(site.url + "/admin/", headers={"authorization": f"Bearer {site.admin_key}"})
    assert r.status_code == 200 and "<table" in r.text and site.admin_key not in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    r = httpx.get(site.url + f"/admin/records/{site.ids[2]}", headers={"authorization": f"Bearer {site.admin_key}"})
    assert r.status_code == 200 and "no-pii-external" in r.text
    r = httpx.get(site.url + "/admin/", headers={"authorization": f"Bearer {site.caller_key}"})
    assert r.status_code == 403
    r = httpx.get(site.url + "/admin/", headers={"authorization": "Bearer gpk_nothere_x"})
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    r = httpx.post(site.url + "/admin/login", data={"key": site.auditor_key},
                   headers={"origin": "https://evil.example"})
    assert r.status_code == 403 and "set-cookie" not in r.headers
    views = execute(site.db_url, "SELECT endpoint FROM audit_records WHERE kind = 'admin' AND endpoint IN "
                                 "('/admin/', '/admin/records/{id}')")
    assert len(views) >= 3
