"""HTML character references and percent-encoding are decoded before detection, and every offset maps back to the
escaped original exactly (so redaction replaces what was sent)."""

from __future__ import annotations

import html
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.detection.escapes import decode_escapes
from proxy.detection.normalise import normalise


def original_of(text: str, start: int, end: int) -> str:
    s, e = normalise(text).to_original(start, end)
    return text[s:e]


@pytest.mark.parametrize(("text", "value"), [
    ("mail anna&#64;firma.de now", "anna&#64;firma.de"),
    ("mail anna&#x40;firma.de now", "anna&#x40;firma.de"),
    ("mail anna&#64firma.de now", "anna&#64firma.de"),            # no ';': browsers decode it too
    ("mail anna&commat;firma&period;de now", "anna&commat;firma&period;de"),
    ("mail anna%40firma.de now", "anna%40firma.de"),
    ("mail anna%40firma%2Ede now", "anna%40firma%2Ede"),
    ("mail anna&amp;#64;firma.de now", "anna&amp;#64;firma.de"),    # double-encoded
    ("mail anna%2540firma.de now", "anna%2540firma.de"),
    ("mail anna＠firma.de now", "anna＠firma.de"),                  # full-width, folded first
    ("mail anna％４０firma.de now", "anna％４０firma.de"),          # full-width percent escape
    ("mail an&#8203;na&#64;firma.de now", "an&#8203;na&#64;firma.de"),  # a reference to a zero-width space
])
def test_encoded_email_decodes_and_maps_back_to_the_escaped_original(text: str, value: str) -> None:
    n = normalise(text)
    assert n.text == "mail anna@firma.de now"
    assert original_of(text, 5, 5 + len("anna@firma.de")) == value
    # Each decoded character maps to its whole escape; plain characters to themselves.
    assert original_of(text, 0, 5) == "mail "
    assert original_of(text, len(n.text) - 4, len(n.text)) == " now"


def test_each_decoded_character_maps_to_its_own_escape() -> None:
    text = "x&#64;y%2Ez"
    n = normalise(text)
    assert n.text == "x@y.z"
    assert [original_of(text, i, i + 1) for i in range(len(n.text))] == ["x", "&#64;", "y", "%2E", "z"]


def test_utf8_percent_runs_decode_as_one_unit() -> None:
    text = "name=J%C3%BCrgen%20M%C3%BCller&x=1"
    n = normalise(text)
    assert n.text == "name=Jürgen Müller&x=1"
    start = n.text.index("Jürgen")
    assert original_of(text, start, start + len("Jürgen Müller")) == "J%C3%BCrgen%20M%C3%BCller"


@pytest.mark.parametrize("text", [
    "50% off, 100%!", "R&D and AT&T", "tom &amp jerry",  # no ';' on a named reference: left alone
    "&not; &notit", "printf('%02d:%02d', h, m)", "&unknownentity;", "a % 40 b", "%zz", "%",
    "q=%FF",  # a lone byte that is no UTF-8 character stays escaped
])
def test_text_that_is_no_escape_is_left_alone(text: str) -> None:
    n = normalise(text)
    expected = text.replace("&not;", "¬")
    assert n.text == expected
    if n.text == text:
        assert n.is_identity or all(original_of(text, i, i + 1) == text[i] for i in range(len(text)))


def test_nothing_to_decode_costs_two_substring_tests() -> None:
    assert decode_escapes("no escapes here at all") is None
    assert decode_escapes("R&D is 50% done") is None


@given(st.text(alphabet=st.sampled_from("ab@.%&#;x04\u200bＡ"), max_size=40))
def test_offsets_stay_in_bounds_and_ordered(text: str) -> None:
    n = normalise(text)
    previous = 0
    for i in range(len(n.text)):
        s, e = n.to_original(i, i + 1)
        assert 0 <= s < e <= len(text) and s >= previous
        previous = s


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30))
def test_encoding_any_text_decodes_back_to_what_it_spells(value: str) -> None:
    """Whatever a value is, its percent-encoded or character-referenced form reads as the value itself (after the
    same folding the plain value gets), and its original span is the encoded form (less any escapes at its edges
    that spell characters folding removes, as for the plain characters)."""
    for encoded in (quote(value, safe=""), "".join(f"&#{ord(ch)};" for ch in value),
                    html.escape(value, quote=True)):
        text = f"<{encoded}>"
        n = normalise(text)
        assert n.text == f"<{normalise(value).text}>"
        if len(n.text) > 2:
            span = original_of(text, 1, len(n.text) - 1)
            assert span in encoded and normalise(span).text == normalise(value).text
