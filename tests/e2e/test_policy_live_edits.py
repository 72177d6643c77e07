"""What the policy owner edits is what the live proxy does (issue 19), through the HTTP surface and the CLI, with the
fake upstreams recording what leaves:

- a new deny-list term in recognizers.yaml, a changed catalogue entry and a changed rule each apply on
  POST /admin/policy/reload, as one version; traffic during the detector's recognizer swap sees no error;
- a catalogue target whose key variable is unset is degraded in /readyz, skipped by routing (a compliant fallback
  serves), and warned about at start-up;
- `govproxy policy replay` over the audit log these requests wrote shows what a candidate policy would change.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import httpx
import openai
import yaml

from tests.conftest import Upstreams, start_proxy
from tests.harness import ProxyProcess, cli

FALCON = """
  - entity_type: PROJECT_CODENAME
    terms: [Project Falcon]
"""
BLOCK_EMAIL = """apiVersion: govproxy/v1
rules:
  - name: block-email-addresses
    match:
      entities: [{type: EMAIL_ADDRESS}]
    action: block
    message: no e-mail addresses, please
"""
BLOCK_PHONE = """apiVersion: govproxy/v1
groups:
  phones: [PHONE_NUMBER, DE_PHONE]
rules:
  - name: block-phone-numbers
    match:
      entities: [{type: phones}]
    action: block
"""


def _chat(client: openai.OpenAI, model: str, text: str) -> tuple[int, dict[str, str]]:
    try:
        raw = client.chat.completions.with_raw_response.create(
            model=model, messages=[{"role": "user", "content": text}])
        return raw.http_response.status_code, dict(raw.headers)
    except openai.APIStatusError as exc:
        return exc.status_code, dict(exc.response.headers)


def _reload(url: str, admin_key: str) -> dict[str, object]:
    r = httpx.post(url + "/admin/policy/reload", headers={"authorization": f"Bearer {admin_key}"}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_edits_to_recognizers_catalogue_and_rules_reach_live_requests(upstreams: Upstreams, tmp_path: Path) -> None:
    p = start_proxy(tmp_path, upstreams, GOVPROXY_POLICY_RELOAD_INTERVAL_S="0")
    policies = Path(p.env["GOVPROXY_POLICIES_DIR"])
    client = openai.OpenAI(base_url=p.v1, api_key=p.key, max_retries=0)
    try:
        v0 = httpx.get(p.url + "/readyz").json()["checks"]["policy"]
        # Before the edit the code name leaves in clear text.
        assert _chat(client, "external-chat", "Status of Projekt Falcon?")[0] == 200
        assert "Projekt Falcon" in upstreams.external.recorder.dump()
        upstreams.external.recorder.clear()

        # 1. A new deny-list term: recognizers.yaml alone changes, the version changes, the detector runs it. Traffic
        # keeps flowing while the detector swaps its recognizers.
        recognizers = policies / "recognizers.yaml"
        recognizers.write_text(recognizers.read_text().replace("deny_lists:\n", "deny_lists:\n" + FALCON.lstrip("\n"),
                                                               1))
        stop, statuses = threading.Event(), []

        def traffic() -> None:
            while not stop.is_set():
                statuses.append(_chat(client, "onprem-chat", "harmless traffic")[0])

        workers = [threading.Thread(target=traffic) for _ in range(3)]
        for w in workers:
            w.start()
        result = _reload(p.url, p.admin_key)
        stop.set()
        for w in workers:
            w.join()
        assert result["applied"] is True and result["version"] != v0["version"]
        assert statuses and set(statuses) == {200}, set(statuses)
        v1 = httpx.get(p.url + "/readyz").json()["checks"]["policy"]
        assert v1["recognizers_version"] != v0["recognizers_version"]
        for written in ("Status of Projekt Falcon?", "Status of project-falcon?", "Status of PROJECT  FALCON?"):
            assert _chat(client, "external-chat", written)[0] == 200
        sent = upstreams.external.recorder.dump()
        assert "falcon" not in sent.lower() and sent.count("<PROJECT_CODENAME_1>") == 3

        # 2. A changed catalogue entry: external-chat now points at the on-prem server (and a keyed model appears).
        models = yaml.safe_load((policies / "models.yaml").read_text())
        entry = next(m for m in models["models"] if m["alias"] == "external-chat")
        entry["api_base"] = upstreams.onprem_url + "/v1"
        models["models"].append({"alias": "keyed-external", "model": "openai/keyed", "location": "external",
                                 "api_base": upstreams.external_url + "/v1", "clearance": "internal",
                                 "api_key_env": "GOVPROXY_TEST_UNSET_KEY", "fallbacks": ["claude-external"]})
        (policies / "models.yaml").write_text(yaml.safe_dump(models))
        upstreams.external.recorder.clear()
        upstreams.onprem.recorder.clear()
        result = _reload(p.url, p.admin_key)
        assert result["applied"] is True
        assert any("GOVPROXY_TEST_UNSET_KEY is not set" in w for w in result["warnings"])  # type: ignore[union-attr]
        assert _chat(client, "external-chat", "where does this go?")[0] == 200
        assert "where does this go?" in upstreams.onprem.recorder.dump()
        assert "where does this go?" not in upstreams.external.recorder.dump()

        # 6. The keyed model without its key: degraded in /readyz, skipped by routing, its fallback serves.
        ready = httpx.get(p.url + "/readyz").json()
        assert ready["status"] == "ready"
        assert ready["checks"]["catalogue"].startswith("degraded (4 of 5 models usable; keyed-external "
                                                       "(GOVPROXY_TEST_UNSET_KEY not set)")
        status, headers = _chat(client, "keyed-external", "who answers?")
        assert status == 200 and headers["x-govproxy-route"].startswith("claude-external;")
        assert "openai/keyed" not in upstreams.external.recorder.dump()

        # 3. A changed rule.
        assert _chat(client, "onprem-chat", "mail bob@example.com the notes")[0] == 200
        (policies / "rules" / "15-email.yaml").write_text(BLOCK_EMAIL)
        assert _reload(p.url, p.admin_key)["applied"] is True
        upstreams.onprem.recorder.clear()
        assert _chat(client, "onprem-chat", "mail bob@example.com the notes")[0] == 403
        assert "bob@example.com" not in upstreams.onprem.recorder.dump()
        assert _chat(client, "onprem-chat", "call +49 30 1234567 tomorrow")[0] == 200

        # An invalid recognizers.yaml is rejected as a whole: the last good version (with the new term) serves.
        good = recognizers.read_text()
        recognizers.write_text(good + "\nbogus_key: 1\n")
        r = httpx.post(p.url + "/admin/policy/reload", headers={"authorization": f"Bearer {p.admin_key}"})
        assert r.status_code == 422 and "bogus_key" in r.json()["error"] and r.json()["applied"] is False
        upstreams.external.recorder.clear()
        assert _chat(client, "claude-external", "Status of Projekt Falcon?")[0] == 200
        assert "Falcon" not in upstreams.external.recorder.dump()
        recognizers.write_text(good)

        # 4. Replay the audit log these requests wrote under a candidate that also blocks phone numbers.
        candidate = tmp_path / "candidate"
        shutil.copytree(policies, candidate)
        (candidate / "rules" / "16-phone.yaml").write_text(BLOCK_PHONE)
        db = ["--database-url", p.env["GOVPROXY_DATABASE_URL"]]
        changed = cli("policy", "replay", str(candidate), "--since", "1h", *db, env=p.env, check=False)
        assert changed.returncode == 1, changed.stderr
        rows = [line.split() for line in changed.stdout.splitlines() if line.split()[:2] == ["allow@onprem", "block"]]
        # Two requests: the e-mail one sent before the e-mail rule existed, and the phone number one.
        assert len(rows) == 1 and rows[0][2] == "2", changed.stdout
        kinds = set()
        for record_id in rows[0][3:]:
            shown = json.loads(cli("audit", "show", record_id.rstrip(","), *db, env=p.env).stdout)
            kinds |= set(shown["entities"])
        assert "EMAIL_ADDRESS" in kinds and kinds & {"PHONE_NUMBER", "DE_PHONE"}, kinds
        same = cli("policy", "replay", str(candidate), "--since", "1h", "--baseline", str(candidate), *db,
                   env=p.env, check=False)
        assert same.returncode == 0 and "no decision would change" in same.stdout
    finally:
        p.process.stop()

    # Start-up warns about the model without its key.
    restarted = ProxyProcess(p.workdir, p.env).start()
    try:
        logs = restarted.logs()
        assert "policy_warning" in logs and "GOVPROXY_TEST_UNSET_KEY is not set" in logs
    finally:
        restarted.stop()


def test_recognizer_reload_with_detector_processes_under_traffic(upstreams: Upstreams, tmp_path: Path) -> None:
    """With detection in worker processes the reload starts a new pool and swaps it with the snapshot: requests
    during the swap are served, and the next one is detected with the new term."""
    p = start_proxy(tmp_path, upstreams, GOVPROXY_POLICY_RELOAD_INTERVAL_S="0", GOVPROXY_DETECTION_PROCESSES="1")
    recognizers = Path(p.env["GOVPROXY_POLICIES_DIR"]) / "recognizers.yaml"
    client = openai.OpenAI(base_url=p.v1, api_key=p.key, max_retries=0)
    try:
        recognizers.write_text(recognizers.read_text().replace("deny_lists:\n", "deny_lists:\n" + FALCON.lstrip("\n"),
                                                               1))
        stop, statuses = threading.Event(), []

        def traffic() -> None:
            i = 0
            while not stop.is_set():
                i += 1  # distinct texts: detection runs, not the cache
                statuses.append(_chat(client, "onprem-chat", f"harmless traffic {i}")[0])

        workers = [threading.Thread(target=traffic) for _ in range(3)]
        for w in workers:
            w.start()
        result = _reload(p.url, p.admin_key)
        for _ in range(20):  # keep traffic going through the old pool's retirement
            _chat(client, "onprem-chat", "one more")
        stop.set()
        for w in workers:
            w.join()
        assert result["applied"] is True
        assert statuses and set(statuses) == {200}, sorted(set(statuses))
        upstreams.external.recorder.clear()
        assert _chat(client, "external-chat", "Status of projekt_falcon?")[0] == 200
        assert "falcon" not in upstreams.external.recorder.dump().lower()
    finally:
        p.process.stop()
