"""German and mixed-language text through the OpenAI SDK to an external alias: the German NER (shipped in the
package) and the per-segment language choice keep every name away from the recording upstream."""

from __future__ import annotations

import re
from collections.abc import Iterator

import openai
import pytest

from tests.conftest import Proxy, Upstreams, start_proxy

REDACT_ALL = """apiVersion: govproxy/v1
default:
  action: redact
  redact:
    "*": placeholder
"""

ENGLISH_WITH_GERMAN_NAMES = "Remind Annika Vogelsang and Bernd Kowalczyk tomorrow about the supplier audit."
GERMAN_LETTER = """Sehr geehrte Frau Wöllenstein,

vielen Dank für Ihr Schreiben vom 3. März. Wie telefonisch besprochen, hat Herr Gustav Schmiedecke-Hauffer die
Unterlagen an unsere Niederlassung in Lüdenscheid geschickt. Bei Rückfragen wenden Sie sich bitte an Jörg Trautwein.

Mit freundlichen Grüßen

Heike Dannenberg
Leiterin Personal"""
CSV_EXPORT = """Nachname;Vorname;Ort;Eintritt
Kowalczyk;Bernd;Bochum;01.04.2019
Vogelsang;Annika;Recklinghausen;15.09.2021
Trautwein;Jörg;Gelsenkirchen;01.01.2016"""
NAMES = ("Annika", "Vogelsang", "Bernd", "Kowalczyk", "Wöllenstein", "Schmiedecke", "Hauffer", "Trautwein", "Jörg",
         "Heike", "Dannenberg")


@pytest.fixture(scope="module")
def redacting(upstreams: Upstreams, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    p = start_proxy(tmp_path_factory.mktemp("german"), upstreams, rules={"90-redact-all.yaml": REDACT_ALL})
    yield p
    p.process.stop()


@pytest.mark.parametrize("text", [ENGLISH_WITH_GERMAN_NAMES, GERMAN_LETTER, CSV_EXPORT],
                         ids=["english-with-german-names", "german-letter", "csv-export"])
def test_names_reach_the_external_model_as_placeholders_only(redacting: Proxy, upstreams: Upstreams,
                                                             text: str) -> None:
    client = openai.OpenAI(base_url=redacting.v1, api_key=redacting.key, max_retries=0)
    r = client.chat.completions.with_raw_response.create(
        model="external-chat", messages=[{"role": "user", "content": text}])
    assert r.headers["x-govproxy-decision"] == "redact"
    sent = upstreams.external.recorder.dump()
    present = [n for n in NAMES if n in text]
    assert present
    assert [n for n in present if n in sent] == []
    assert re.search(r"<PERSON_\d+>", sent)
    # The caller gets the original text back (the fake upstream echoes the last user message).
    assert r.parse().choices[0].message.content == f"echo: {text}"
