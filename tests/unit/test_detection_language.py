"""Language per text field: detected among the configured languages, the default when unsure or short."""

from __future__ import annotations

import pytest

from proxy.detection.language import LanguagePicker


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
