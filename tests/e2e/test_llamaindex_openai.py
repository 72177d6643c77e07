"""LlamaIndex's OpenAI LLM (`llama_index.llms.openai.OpenAI`) against govproxy: chat, streamed chat, complete and
async streamed chat to an external alias; the recording upstream never receives the planted values and the app gets
them back restored.

LlamaIndex's OpenAI LLM cannot be installed beside the OpenAI Agents SDK (it pins openai<3, the Agents SDK needs
openai>=3), so it runs as an app would, in a virtualenv of its own (`.venv-llamaindex`, built here from
tests/clients/llamaindex-openai.txt when missing or out of date), as a subprocess. It accepts only OpenAI model names
(its context-window table), so the alias it calls is named like one: a company points it at a govproxy alias called
`gpt-4o-mini` (or uses LlamaIndex's OpenAILike)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.canaries import CANARIES, leaked
from tests.conftest import Proxy, Upstreams, start_proxy
from tests.harness import REPO

REQUIREMENTS = REPO / "tests" / "clients" / "llamaindex-openai.txt"
SCRIPT = REPO / "tests" / "clients" / "llamaindex_openai.py"
VENV = REPO / ".venv-llamaindex"
NAME, EMAIL = CANARIES["PERSON"], CANARIES["EMAIL_ADDRESS"]
PROMPT = f"Draft a reply to {NAME} ({EMAIL})."
ALIAS = "gpt-4o-mini"


def _llamaindex_python() -> Path:
    """The virtualenv's python, (re)built when its requirements changed (pip from the package index, ~40 s)."""
    python, stamp = VENV / "bin" / "python", VENV / "requirements.txt"
    wanted = REQUIREMENTS.read_text()
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, timeout=120)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
                        str(REQUIREMENTS)], check=True, timeout=600)
        stamp.write_text(wanted)
    return python


@pytest.fixture(scope="module")
def proxy_gpt(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    alias = {"alias": ALIAS, "model": "openai/fake-external", "api_base": upstreams.external_url + "/v1",
             "location": "external", "clearance": "internal", "capabilities": ["chat", "completions"]}
    p = start_proxy(tmp_path_factory.mktemp("llamaindex"), upstreams, extra_models=[alias])
    yield p
    p.process.stop()


def test_llamaindex_openai_llm(proxy_gpt: Proxy, upstreams: Upstreams) -> None:
    python = _llamaindex_python()
    run = subprocess.run([str(python), str(SCRIPT), proxy_gpt.v1, proxy_gpt.key, ALIAS, PROMPT],
                         capture_output=True, text=True, timeout=180, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-3000:]
    got = json.loads(run.stdout.splitlines()[-1])
    # The fake echoes what it read; the proxy put the planted values back for the app.
    assert got == {k: f"echo: {PROMPT}" for k in ("chat", "stream_chat", "complete", "astream_chat")}
    sent = upstreams.external.recorder.all()
    assert len(sent) == 4 and all(r["body"]["model"] == "fake-external" for r in sent)
    assert sent[0]["body"]["messages"][0] == {"role": "system", "content": "Answer briefly."}
    dump = upstreams.external.recorder.dump()
    assert leaked(dump, {"PERSON": NAME, "EMAIL_ADDRESS": EMAIL}) == [] and "<PERSON_1>" in dump
