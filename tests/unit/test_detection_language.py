"""Language per text field: detected among the configured languages, the default when unsure or short."""

from __future__ import annotations

import array
import json
from pathlib import Path

import py3langid.langid as langid
import pytest

from proxy.detection.language import LanguagePicker, _identifier


@pytest.fixture(scope="module")
def picker() -> LanguagePicker:
    return LanguagePicker(("en", "de"), "en")


def test_clear_sentences(picker: LanguagePicker) -> None:
    assert picker.pick("Bitte fasse den folgenden Vertrag kurz zusammen und nenne die Fristen.") == "de"
    assert picker.pick("Please summarise the following contract and list the deadlines.") == "en"


def test_short_or_unclear_texts_get_the_default(picker: LanguagePicker) -> None:
    assert picker.pick("ok") == "en"
    assert picker.pick("John Smith") == "en"
    assert picker.pick("4111 1111 1111 1111") == "en"


def test_short_text_kept_when_nearly_certain(picker: LanguagePicker) -> None:
    assert picker.pick("Gegendarstellung") == "de"


def test_single_language_never_detects() -> None:
    only_de = LanguagePicker(("de",), "de")
    assert only_de.pick("This is clearly an English sentence about contracts.") == "de"


def test_default_must_be_configured() -> None:
    with pytest.raises(ValueError, match="default language"):
        LanguagePicker(("en", "de"), "fr")


def test_pickers_share_one_model_per_language_set(picker: LanguagePicker) -> None:
    # The loaded model is ~65 MiB: the metrics' picker and detection's share it, and workers forked from a loaded
    # parent inherit it instead of loading their own on their first request.
    other = LanguagePicker(("de", "en"), "de")
    assert other._identifier is picker._identifier
    assert other.pick("Bitte fasse den folgenden Vertrag kurz zusammen und nenne die Fristen.") == "de"
    assert LanguagePicker(("en", "fr"), "en")._identifier is not picker._identifier


def test_the_walk_tables_are_compact_and_classify_as_before() -> None:
    """The identifier's per-state tables are machine-integer arrays (no per-entry objects for forked workers to
    copy), and classify every text as the identifier with py3langid's own lists does."""
    ours = _identifier(("de", "en"))
    assert isinstance(ours._rowbase, array.array) and isinstance(ours.tk_output, array.array)
    theirs = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)
    theirs.set_languages(["de", "en"])
    assert isinstance(theirs._rowbase, list)
    eval_dir = Path(__file__).resolve().parents[3] / "shared" / "eval"
    texts = [json.loads(line)["text"] for name in ("presidio_synth_v2", "germeval2014", "wnut17", "german_ler")
             for line in (eval_dir / name / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:300]]
    texts += ["", "Ä", "ok", "4111 1111 1111 1111", "Gegendarstellung", "日本語のテキスト", "\u0000\ud800"]
    assert len(texts) > 1000
    assert [ours.classify(t) for t in texts] == [theirs.classify(t) for t in texts]
