"""Hidden runs: base64 that decodes to text and digits written one by one, decoded in place with a map back."""

from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from proxy.detection.hidden import MAX_RUNS, decoded_view, hidden_runs


def b64(text: str, urlsafe: bool = False) -> str:
    enc = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return enc(text.encode()).decode()


def test_base64_run_decodes_in_place_and_maps_to_the_whole_run() -> None:
    run = b64("key=sk-proj-abcdef")
    text = f'{{"config": "{run}"}}'
    d = decoded_view(text)
    assert d is not None and d.view.text == '{"config": "key=sk-proj-abcdef"}'
    (s, e), = d.decoded
    assert d.view.text[s:e] == "key=sk-proj-abcdef"
    # Any span inside the decoded text maps back to the whole encoded run.
    assert d.view.to_original(s + 4, e) == (text.index(run), text.index(run) + len(run))
    # Text around it keeps its offsets.
    assert d.view.to_original(0, 9) == (0, 9) and d.touches_decoded(s + 1, s + 2) and not d.touches_decoded(0, 9)


def test_urlsafe_base64_and_digits_one_by_one() -> None:
    assert [r[2] for r in hidden_runs(f"a {b64('mail: ünïcode ~~~?', urlsafe=True)} b")] == ["mail: ünïcode ~~~?"]
    assert hidden_runs("card 5 4 2 5-2 3 3 4.3 0 1 0 9 9 0 3 ok") == [(5, 36, "5425233430109903")]


def test_no_runs_in_ordinary_text() -> None:
    text = ("internationalization of sk-proj-Q7vL2mX9pR4tK8wN3zB6yH1cF5dJ0sGa, sha 9f86d081884c7d659a2feaa0c55ad015, "
            "path /usr/local/share/something, version 1.2.3, card 5425 2334 3010 9903, 1 2 3 4 5")
    assert decoded_view(text) is None


def test_random_bytes_and_short_runs_are_not_decoded() -> None:
    noise = base64.b64encode(bytes(range(200, 248))).decode()
    assert hidden_runs(f"blob {noise} and {b64('hi there')}") == []  # binary, and under 16 characters


def test_runs_are_bounded() -> None:
    text = " ".join(b64(f"hello number {i:04d}") for i in range(MAX_RUNS + 5))
    assert len(hidden_runs(text)) == MAX_RUNS


@given(st.lists(st.sampled_from(["plain ", "5 4 2 5 2 3 3 4 3 ", b64("secret value here"), " ", "é"]), max_size=8))
def test_view_offsets_stay_in_bounds_and_ordered(parts: list[str]) -> None:
    text = "".join(parts)
    d = decoded_view(text)
    if d is None:
        return
    for i in range(len(d.view.text)):
        s, e = d.view.to_original(i, i + 1)
        assert 0 <= s < e <= len(text)
    assert list(d.view.starts or ()) == sorted(d.view.starts or ())
