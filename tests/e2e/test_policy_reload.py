"""Hot reload through the running proxy: a valid change applies under traffic without errors; an invalid one is
rejected, reported in /readyz and /metrics, and the last good policy keeps being enforced."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.conftest import Upstreams, start_proxy

BLOCK_MARKER = """apiVersion: govproxy/v1
rules:
  - name: block-marker-word
    match:
      patterns: ["\\\\bpineapple\\\\b"]
    action: block
    message: the marker word is not allowed
"""


def _status(url: str, key: str, text: str) -> int:
    return httpx.post(url + "/v1/chat/completions", headers={"authorization": f"Bearer {key}"}, timeout=30,
                      json={"model": "onprem-chat", "messages": [{"role": "user", "content": text}]}).status_code


def _wait_for(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_hot_reload_under_traffic_and_last_good_on_error(upstreams: Upstreams, tmp_path: Path) -> None:
    p = start_proxy(tmp_path, upstreams, GOVPROXY_POLICY_RELOAD_INTERVAL_S="0.3")
    rules = Path(p.env["GOVPROXY_POLICIES_DIR"]) / "rules"
    try:
        version0 = httpx.get(p.url + "/readyz").json()["checks"]["policy"]["version"]
        assert _status(p.url, p.key, "pineapple pizza") == 200

        stop = threading.Event()
        statuses: list[int] = []

        def traffic() -> None:
            while not stop.is_set():
                statuses.append(_status(p.url, p.key, "harmless traffic"))

        workers = [threading.Thread(target=traffic) for _ in range(4)]
        for w in workers:
            w.start()
        (rules / "50-marker.yaml").write_text(BLOCK_MARKER)
        assert _wait_for(lambda: _status(p.url, p.key, "pineapple pizza") == 403)
        stop.set()
        for w in workers:
            w.join()
        assert statuses and set(statuses) == {200}, set(statuses)  # no request failed during the swap
        ready = httpx.get(p.url + "/readyz").json()["checks"]["policy"]
        assert ready["version"] != version0 and ready["last_reload_error"] is None

        # An invalid change (unknown key) is rejected; the marker rule keeps being enforced.
        (rules / "60-broken.yaml").write_text("apiVersion: govproxy/v1\nrulez: []\n")
        assert _wait_for(lambda: httpx.get(p.url + "/readyz").json()["checks"]["policy"]["last_reload_error"])
        error = httpx.get(p.url + "/readyz").json()["checks"]["policy"]["last_reload_error"]
        assert "60-broken.yaml:2:1" in error and "rulez" in error
        assert _status(p.url, p.key, "pineapple pizza") == 403
        assert _wait_for(lambda: 'govproxy_policy_reloads_total{result="rejected"}'
                         in httpx.get(p.url + "/metrics").text)

        # A half-written file (invalid YAML) is rejected just the same.
        (rules / "60-broken.yaml").write_text("apiVersion: govproxy/v1\nrules:\n  - name: [unclosed\n")
        time.sleep(1.0)
        assert _status(p.url, p.key, "pineapple pizza") == 403

        # The admin endpoint reloads on demand: admin keys only, errors reported.
        r = httpx.post(p.url + "/admin/policy/reload", headers={"authorization": f"Bearer {p.key}"})
        assert r.status_code == 403
        r = httpx.post(p.url + "/admin/policy/reload", headers={"authorization": f"Bearer {p.admin_key}"})
        assert r.status_code == 422 and r.json()["applied"] is False and "60-broken.yaml" in r.json()["error"]
        (rules / "60-broken.yaml").unlink()
        (rules / "50-marker.yaml").unlink()
        r = httpx.post(p.url + "/admin/policy/reload", headers={"authorization": f"Bearer {p.admin_key}"})
        assert r.status_code == 200 and r.json()["version"] == version0
        assert _status(p.url, p.key, "pineapple pizza") == 200
    finally:
        p.process.stop()
