"""The statistics page, the request-id lookup and the page's export over HTTP on SQLite and PostgreSQL: the figures
behind every chart are read back from the SVG (each bar carries its series and value)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import httpx
import pytest

from proxy.settings import Settings
from tests.audit_db import execute
from tests.e2e.test_admin_audit import ServerThread, admin_app, seed

pytest_plugins = ["tests.audit_fixtures"]


@pytest.fixture
def served(audit_url: str) -> Iterator[tuple[str, str, str, list[str]]]:
    ids = seed(audit_url)
    keys: dict[str, str] = {}
    server = ServerThread(admin_app(Settings(database_url=audit_url), keys)).start()
    yield f"http://127.0.0.1:{server.port}", keys["auditor"], audit_url, ids
    server.stop()


def bars(html: str, chart: str) -> list[tuple[str, str, int]]:
    """(label, series, value) of every bar in one chart, from the <title> the chart gives each bar."""
    svg = re.search(rf'<svg id="{chart}".*?</svg>', html, re.S)
    assert svg, chart
    return [(m.group(1), m.group(2), int(m.group(3)))
            for m in re.finditer(r"<title>(.*?) · (.*?): (\d+)</title>", svg.group(0))]


def test_statistics_request_id_and_export(served: tuple[str, str, str, list[str]]) -> None:
    url, key, db_url, ids = served
    auth = {"authorization": f"Bearer {key}"}
    page = httpx.get(url + "/admin/stats?since=2d&bucket=hour", headers=auth, timeout=30)
    assert page.status_code == 200, page.text
    html = page.text
    assert bars(html, "chart-teams") == [("ops", "requests", 5), ("eng", "requests", 2), ("sales", "requests", 1)]
    assert ("EMAIL_ADDRESS", "detections", 3) in bars(html, "chart-entities")
    rules = bars(html, "chart-rules")
    assert ("default-allow", "enforced", 6) in rules and ("strict-email", "shadow", 1) in rules
    assert sorted(bars(html, "chart-locations")) == [("external", "requests", 6), ("none", "requests", 1),
                                                     ("onprem", "requests", 1)]
    over_time = bars(html, "chart-outcomes")
    assert sorted((series, n) for _, series, n in over_time) == [("allowed", 6), ("blocked", 1), ("redacted", 1)]
    assert len({label for label, _, _ in over_time}) == 1  # all in the current hour

    request_id = execute(db_url, "SELECT request_id FROM audit_records WHERE id = :i", i=ids[0])[0][0]
    found = httpx.get(url + f"/admin/audit/{request_id}", headers=auth, timeout=30).json()
    assert found["id"] == ids[0]
    listed = httpx.get(url + "/admin/", params={"request_id": request_id}, headers=auth, timeout=30).text
    assert f"/admin/records/{ids[0]}" in listed and "of <strong>1</strong> record" in listed

    export = httpx.get(url + "/admin/export", params={"format": "csv", "entity": "EMAIL_ADDRESS"}, headers=auth,
                       timeout=30)
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    assert [r["id"] for r in csv.DictReader(io.StringIO(export.text))] == [ids[0], ids[2]]
