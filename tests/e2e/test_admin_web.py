"""The review page in headless Chromium: sign in with the form, filter the table, open a record's decision chain,
sign out. Screenshots go to tests/artifacts/. Also the cookie's flags, Bearer access for tools, and that no key is
ever rendered into a page."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from proxy.web.charts import BAR, colour
from tests.audit_db import execute
from tests.e2e.test_admin_audit import AdminServer, serve_admin
from tests.png import bar_lengths, colour_pixels

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


def sign_in(site: AdminServer, browser: object) -> object:
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)  # type: ignore[attr-defined]
    page.goto(site.url + "/admin/login")
    page.fill("#key", site.auditor_key)
    page.click("button[type=submit]")
    page.wait_for_url(site.url + "/admin/")
    return page


def test_views_hidden_paging_both_ways_export_and_verify(site: AdminServer, browser: object) -> None:
    page = sign_in(site, browser)
    rows = page.locator("table.records tbody tr")  # type: ignore[attr-defined]
    kinds = {rows.nth(i).locator(".kind").inner_text() for i in range(rows.count())}
    assert kinds == {"request"}  # sign-ins and page views are audit-log views: hidden by default
    assert "of 8 records" in page.inner_text(".listbar")  # type: ignore[attr-defined]
    page.click("a.toggle")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*views=1.*"))  # type: ignore[attr-defined]
    assert "admin" in {rows.nth(i).locator(".kind").inner_text() for i in range(rows.count())}

    page.goto(site.url + "/admin/?limit=3")  # type: ignore[attr-defined]
    assert "Showing 1–3 of 8 records" in page.inner_text(".listbar")  # type: ignore[attr-defined]
    first = [rows.nth(i).locator("a").get_attribute("href") for i in range(3)]
    assert page.locator("a[rel=prev]").count() == 0  # type: ignore[attr-defined]
    page.click("a[rel=next]")  # type: ignore[attr-defined]
    page.click("a[rel=next]")  # type: ignore[attr-defined]
    assert "Showing 7–8 of 8 records" in page.inner_text(".listbar")  # type: ignore[attr-defined]
    assert page.locator("a[rel=next]").count() == 0  # type: ignore[attr-defined]
    page.click("a[rel=prev]")  # type: ignore[attr-defined]
    assert "Showing 4–6 of 8 records" in page.inner_text(".listbar")  # type: ignore[attr-defined]
    page.click("a[rel=prev]")  # type: ignore[attr-defined]
    assert "Showing 1–3 of 8 records" in page.inner_text(".listbar")  # type: ignore[attr-defined]
    assert [rows.nth(i).locator("a").get_attribute("href") for i in range(3)] == first

    page.goto(site.url + "/admin/?team=sales")  # type: ignore[attr-defined]
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.click("text=Export CSV")  # type: ignore[attr-defined]
    exported = Path(download.value.path()).read_text()
    assert exported.splitlines()[0].startswith("id,seq,kind,time,request_id") and len(exported.splitlines()) == 2
    assert site.ids[2] in exported and "no-pii-external" in exported
    with page.expect_download() as download:  # type: ignore[attr-defined]
        page.click("text=Export JSONL")  # type: ignore[attr-defined]
    assert [json.loads(x)["id"] for x in Path(download.value.path()).read_text().splitlines()] == [site.ids[2]]
    exports = execute(site.db_url, "SELECT detail FROM audit_records WHERE endpoint = '/admin/export'")
    # The export is itself audited, with its filter (a team is caller text: kept as its keyed hash).
    assert len(exports) == 2 and '"team": "<hmac:' in str(exports[0][0]) and "sales" not in str(exports[0][0])

    record = execute(site.db_url, "SELECT request_id FROM audit_records WHERE id = :i", i=site.ids[1])[0][0]
    page.goto(site.url + f"/admin/?request_id={record}")  # type: ignore[attr-defined]
    assert rows.count() == 1 and "of 1 record" in page.inner_text(".listbar")  # type: ignore[attr-defined]

    page.goto(site.url + "/admin/")  # type: ignore[attr-defined]
    page.click("text=Verify now")  # type: ignore[attr-defined]
    page.wait_for_url(site.url + "/admin/")  # type: ignore[attr-defined]
    banner = page.inner_text("section.verify")  # type: ignore[attr-defined]
    assert "last verified" in banner and "intact" in banner and "/admin/verify" in banner
    page.screenshot(path=str(ARTIFACTS / "admin_records_paged.png"), full_page=True)  # type: ignore[attr-defined]
    page.close()  # type: ignore[attr-defined]


def test_statistics_page_draws_the_expected_bars(site: AdminServer, browser: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = sign_in(site, browser)
    page.click("nav.tabs >> text=Statistics")  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r".*/admin/stats"))  # type: ignore[attr-defined]
    assert page.locator("script").count() == 0  # type: ignore[attr-defined]
    assert "8" in page.inner_text(".figures")  # type: ignore[attr-defined]
    page.screenshot(path=str(ARTIFACTS / "admin_stats.png"), full_page=True)  # type: ignore[attr-defined]

    # Top teams: ops 5, eng 2, sales 1 requests: three bars whose lengths keep those proportions.
    teams = ARTIFACTS / "chart_teams.png"
    page.locator("#chart-teams").screenshot(path=str(teams))  # type: ignore[attr-defined]
    bars = bar_lengths(teams, BAR)
    assert len(bars) == 3, bars
    assert abs(bars[1] / bars[0] - 2 / 5) < 0.03 and abs(bars[2] / bars[0] - 1 / 5) < 0.03, bars
    # Rules: default-allow enforced 6 times; strict-email only as a shadow hit (the shadow colour).
    rules = ARTIFACTS / "chart_rules.png"
    page.locator("#chart-rules").screenshot(path=str(rules))  # type: ignore[attr-defined]
    enforced, shadow = bar_lengths(rules, colour("enforced")), bar_lengths(rules, colour("shadow"))
    assert len(enforced) == 3 and len(shadow) == 1 and abs(shadow[0] / enforced[0] - 1 / 6) < 0.03
    # Outcomes over time: the newest hour holds allowed, redacted and blocked columns, stacked.
    over_time = ARTIFACTS / "chart_outcomes.png"
    page.locator("#chart-outcomes").screenshot(path=str(over_time))  # type: ignore[attr-defined]
    for outcome in ("allowed", "redacted", "blocked"):
        assert colour_pixels(over_time, colour(outcome)) > 20, outcome
    heights = {o: colour_pixels(over_time, colour(o)) for o in ("allowed", "redacted", "blocked")}
    assert abs(heights["redacted"] / heights["allowed"] - 1 / 6) < 0.05, heights
    entities = page.text_content("#chart-entities") or ""  # type: ignore[attr-defined]
    assert "EMAIL_ADDRESS" in entities and "3" in entities
    locations = page.text_content("#chart-locations") or ""  # type: ignore[attr-defined]
    assert "onprem" in locations and "external" in locations
    usage = page.inner_text("section[aria-label='Usage by team'] table")  # type: ignore[attr-defined]
    assert "ops" in usage and "85" in usage  # 5 requests x 17 tokens
    page.close()  # type: ignore[attr-defined]


def test_statistics_page_access_and_bad_periods(site: AdminServer) -> None:
    def get(path: str, key: str) -> httpx.Response:
        return httpx.get(site.url + path, headers={"authorization": f"Bearer {key}"}, timeout=30)

    assert get("/admin/stats", site.caller_key).status_code == 403
    ok = get("/admin/stats?since=2d&bucket=hour", site.admin_key)
    assert ok.status_code == 200 and "<script" not in ok.text and "default-src 'none'" in \
        ok.headers["content-security-policy"] and 'id="chart-outcomes"' in ok.text
    for bad in ("since=%3Cscript%3E", "bucket=minute", "colour=red", "since=1d&until=2d", "since=400d&bucket=hour"):
        r = get(f"/admin/stats?{bad}", site.admin_key)
        assert r.status_code == 400 and "<script>" not in r.text, bad
    views = execute(site.db_url, "SELECT detail FROM audit_records WHERE endpoint = '/admin/stats'")
    assert len(views) >= 2  # statistics views are audited like any read
