"""Unicode folding and the offset map back to the original text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from proxy.detection.normalise import normalise


def test_ascii_is_identity() -> None:
    n = normalise("plain ascii text 123")
    assert n.is_identity and n.text == "plain ascii text 123" and n.to_original(6, 11) == (6, 11)


def test_full_width_digits_fold_and_map_back() -> None:
    text = "Nr. ４１１１ １１１１"
    n = normalise(text)
    assert n.text == "Nr. 4111 1111"
    assert n.to_original(4, 13) == (4, len(text))


def test_zero_width_inside_a_span_is_covered() -> None:
    text = "key AKIA\u200bIOSFODNN7\u200dEXAMPLE end"
    n = normalise(text)
    assert n.text == "key AKIAIOSFODNN7EXAMPLE end"
    start, end = n.to_original(4, 24)
    assert text[start:end] == "AKIA\u200bIOSFODNN7\u200dEXAMPLE"


def test_bidi_controls_removed() -> None:
    text = "\u202eevil\u202c \u2066x@example.com\u2069"
    n = normalise(text)
    assert n.text == "evil x@example.com"
    s, e = n.to_original(5, 18)
    assert text[s:e] == "x@example.com"


def test_tag_characters_decode_to_hidden_ascii() -> None:
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "sk-secret")
    n = normalise(f"hello {hidden}!")
    assert n.text == "hello sk-secret!"
    s, e = n.to_original(6, 15)
    assert (s, e) == (6, 6 + len(hidden))


def test_combining_marks_compose() -> None:
    n = normalise("Mu\u0308ller")
    assert n.text == "Müller"
    assert n.to_original(0, 6) == (0, 7)


def test_ligature_expands_to_one_original_character() -> None:
    n = normalise("of\ufb01ce")  # "ﬁ" ligature
    assert n.text == "office"
    assert n.to_original(2, 3) == (2, 3) and n.to_original(3, 4) == (2, 3)


@given(st.text(max_size=60))
def test_offsets_stay_in_bounds_and_ordered(text: str) -> None:
    n = normalise(text)
    for i in range(len(n.text)):
        for j in range(i + 1, min(len(n.text), i + 4) + 1):
            s, e = n.to_original(i, j)
            assert 0 <= s < e <= len(text)
            if j < len(n.text):
                assert n.to_original(j, j + 1)[0] >= s


def test_cyrillic_lookalike_in_a_latin_token_folds_in_place() -> None:
    text = "key sk-pr\u043ej-abc and m.th\u03bfrnton@ex\u0430mple.org"
    n = normalise(text)
    assert n.text == "key sk-proj-abc and m.thornton@example.org"
    assert n.is_identity and n.to_original(4, 15) == (4, 15)


def test_lookalikes_fold_after_invisible_characters_are_dropped() -> None:
    text = "sk-\u200bpr\u043ej-abc"
    n = normalise(text)
    assert n.text == "sk-proj-abc"
    assert n.to_original(0, 11) == (0, len(text))


def test_cyrillic_and_greek_words_stay_as_they_are() -> None:
    text = "Привет, мир! Спасибо за помощь. Καλημέρα κόσμε. Москва и Berlin"
    assert normalise(text).text == text
