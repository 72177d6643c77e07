"""Session-wide real servers: two fake upstreams (one on-prem, one external) and one govproxy."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.anthropic_upstream import anthropic_routes
from tests.fakes.openai_upstream import FakeState, fake_app
from tests.harness import ProxyProcess, ThreadedServer, base_env, create_key, free_port, write_policies


@dataclass
class Upstreams:
    onprem: FakeState
    external: FakeState
    onprem_url: str
    external_url: str
    dead_url: str  # nothing listens there


@dataclass
class Proxy:
    url: str
    key: str          # team "eng", user "alice", role caller
    auditor_key: str
    admin_key: str
    env: dict[str, str]
    process: ProxyProcess
    workdir: Path

    @property
    def v1(self) -> str:
        return self.url + "/v1"


def catalogue_for(up: Upstreams) -> list[dict[str, object]]:
    return [
        {"alias": "onprem-chat", "model": "openai/fake-onprem", "api_base": up.onprem_url + "/v1",
         "location": "onprem", "clearance": "restricted", "capabilities": ["chat", "completions", "embeddings"]},
        {"alias": "external-chat", "model": "openai/fake-external", "api_base": up.external_url + "/v1",
         "location": "external", "clearance": "internal", "capabilities": ["chat", "completions", "embeddings"]},
        {"alias": "claude-external", "model": "anthropic/claude-sonnet-4-5-20250929", "api_base": up.external_url,
         "location": "external", "clearance": "internal", "capabilities": ["chat"]},
        {"alias": "dead-onprem", "model": "openai/fake-dead", "api_base": up.dead_url + "/v1",
         "location": "onprem", "clearance": "restricted", "capabilities": ["chat"],
         "fallbacks": ["onprem-chat", "external-chat"]},
    ]


@pytest.fixture(scope="session")
def upstreams() -> Iterator[Upstreams]:
    onprem, external = FakeState("onprem"), FakeState("external")
    s1 = ThreadedServer(fake_app(onprem)).start()
    s2 = ThreadedServer(fake_app(external, anthropic_routes(external))).start()
    yield Upstreams(onprem, external, s1.url, s2.url, f"http://127.0.0.1:{free_port()}")
    s1.stop()
    s2.stop()


def start_proxy(workdir: Path, up: Upstreams, workers: int = 1, rules: dict[str, str] | None = None,
                recognizers: str | None = None, extra_models: list[dict[str, object]] | None = None,
                **env_extra: str) -> Proxy:
    """A govproxy on the test catalogue (plus `extra_models`); `rules` replaces the shipped rule files (the
    classification file stays), `recognizers` the shipped recognizers.yaml."""
    workdir.mkdir(parents=True, exist_ok=True)
    policies = write_policies(workdir / "policies", catalogue_for(up) + (extra_models or []))
    if recognizers is not None:
        (policies / "recognizers.yaml").write_text(recognizers)
    if rules is not None:
        for f in (policies / "rules").glob("*.yaml"):
            if f.name != "00-classification.yaml":
                f.unlink()
        for name, text in rules.items():
            (policies / "rules" / name).write_text(text)
    env = base_env(GOVPROXY_DATABASE_URL=f"sqlite:///{workdir}/govproxy.db",
                   GOVPROXY_POLICIES_DIR=str(policies), GOVPROXY_TEST_CWD=str(workdir), **env_extra)
    key = create_key(env, "eng", "alice")
    auditor = create_key(env, "compliance", "carol", "auditor")
    admin = create_key(env, "platform", "root", "admin")
    proc = ProxyProcess(workdir, env, workers=workers).start()
    return Proxy(proc.url, key, auditor, admin, env, proc, workdir)


@pytest.fixture(scope="session")
def proxy(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    p = start_proxy(tmp_path_factory.mktemp("proxy"), upstreams)
    yield p
    p.process.stop()


@pytest.fixture(autouse=True)
def _clear_recordings(request: pytest.FixtureRequest) -> None:
    if "upstreams" in request.fixturenames:
        up: Upstreams = request.getfixturevalue("upstreams")
        for state in (up.onprem, up.external):
            state.recorder.clear()
            state.behaviour, state.delay_s, state.chunk_delay_s, state.chunk_size = "ok", 0.0, 0.0, 4
