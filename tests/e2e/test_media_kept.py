"""Content that cannot be scanned is forwarded exactly as the caller sent it when a policy lets it through, even when
other text in the same request is redacted (it used to be written back as its empty readable text: the upstream got
an image with no bytes)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import openai
import pytest

from tests.canaries import CANARIES
from tests.conftest import Proxy, Upstreams, start_proxy

NAME = CANARIES["PERSON"]
PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKm"
         "MIQAAAABJRU5ErkJggg==")
AUDIO = base64.b64encode(b"RIFF\x24\x00\x00\x00WAVEfmt ").decode()
# Names are pseudonymised for every model; images and audio are allowed (the default rule decides, nothing blocks).
REDACT_NAMES = """apiVersion: govproxy/v1
default:
  action: redact
  redact:
    PERSON: placeholder
"""


@pytest.fixture(scope="module")
def proxy_names(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    p = start_proxy(tmp_path_factory.mktemp("media"), upstreams, rules={"90-redact-names.yaml": REDACT_NAMES})
    yield p
    p.process.stop()


def test_an_image_and_audio_reach_the_model_intact_beside_a_redacted_name(proxy_names: Proxy,
                                                                         upstreams: Upstreams) -> None:
    client = openai.OpenAI(base_url=proxy_names.v1, api_key=proxy_names.key, max_retries=0)
    resp = client.chat.completions.create(model="onprem-chat", messages=[{"role": "user", "content": [
        {"type": "text", "text": f"Is this the photo {NAME} sent?"},
        {"type": "image_url", "image_url": {"url": PIXEL, "detail": "low"}},
        {"type": "input_audio", "input_audio": {"data": AUDIO, "format": "wav"}}]}])
    assert resp.choices[0].message.content
    sent = upstreams.onprem.recorder.all()[-1]["body"]["messages"][0]["content"]
    assert NAME not in sent[0]["text"] and "<PERSON_1>" in sent[0]["text"]
    assert sent[1]["image_url"] == {"url": PIXEL, "detail": "low"}
    assert sent[2]["input_audio"] == {"data": AUDIO, "format": "wav"}
