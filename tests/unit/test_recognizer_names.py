"""Name recognizers backed by the name lists: Faker's first/last names minus ordinary words, and layout cues."""

from __future__ import annotations

import pytest

from proxy.detection.recognizers import first_names, name_fields, name_lists
from tests.unit.recognizer_checks import THRESHOLD


def _found(spec, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [text[m.start:m.end] for m in spec.matches(text) if m.score >= THRESHOLD]


def test_name_lists_are_loaded_and_drop_ordinary_words() -> None:
    assert len(name_lists.FIRST_NAMES) > 10_000 and len(name_lists.LAST_NAMES) > 10_000
    assert name_lists.is_first_name("Miklós") and name_lists.is_last_name("Hajdu")
    for word in ("Will", "Mark", "May", "Young", "King", "Reed", "Key", "Wolf"):
        assert not name_lists.is_first_name(word) and not name_lists.is_last_name(word)


@pytest.mark.parametrize(("text", "name"), [
    ("Maybe it's under Miklós Hajdu", "Miklós Hajdu"),
    ("Please ask Wisława K. Szczepańska", "Wisława K. Szczepańska"),
    ("Enrico shouted at the dog", "Enrico"),
    ("Tomomi Nishiyama lives at 12 Rua do Arenque", "Tomomi Nishiyama"),
    ("Ask for Helena Alves at noon", "Helena Alves"),  # a first name that is a word, before a listed surname
    ("Mário de Amaral, 969364390", "Mário de Amaral"),  # a particle between first name and surname
    ("Ask for Diego de Neto tomorrow", "Diego de Neto"),
])
def test_names_from_the_lists(text: str, name: str) -> None:
    assert name in _found(first_names.SPEC, text)


@pytest.mark.parametrize("text", ["Will you mark the King James Version in May?", "The Young Turks met the Key Club",
                                  "Our Reed Valley office", "Send the Quarterly Report to Sales",
                                  "The Summer Sale starts", "Amber Alert issued", "Grace Period ends",
                                  "beim Schließen der Saug- und Druckleitung"])
def test_ordinary_capitalised_words_are_not_names(text: str) -> None:
    assert [n for n in _found(first_names.SPEC, text) if n not in {"James"}] == []


def test_surname_alone_needs_context() -> None:
    [match] = first_names.SPEC.matches("ask Becker about it")
    assert match.score < THRESHOLD and "name" in first_names.SPEC.context


def test_german_text_needs_a_first_name() -> None:
    assert first_names.GERMAN_SPEC.languages == ("de",)
    assert _found(first_names.GERMAN_SPEC, "Der Bauer und der Fischer trafen Sabine Schneider.") == [
        "Sabine Schneider"]
    assert _found(first_names.GERMAN_SPEC, "Die Verhandlung vor dem Landgericht Paderborn Kammer") == []


@pytest.mark.parametrize(("text", "name"), [
    ("Directed By:    Sari J. Paavolainen", "Sari J. Paavolainen"),
    ("Name:    Iva D. Grusová\nAddress: PSC 6695", "Iva D. Grusová"),
    ("What's your last name? Boyle", "Boyle"),
    ("her maiden name is nyberg", "nyberg"),
    ("my name is borna jerković but everyone calls me borna", "borna jerković"),
    ("Einojuhani Pyysalo\n\nLocal transit bus driver", "Einojuhani Pyysalo"),
    ("> \n> Mijail C Adomo\n> Asc Partners", "Mijail C Adomo"),
    ("Thanks Amber for the video", "Amber"),  # a listed first name, though also a word
    ("Hi Michter, we are interested", "Michter"),  # no ordinary word
    ("Thank you Hendo for what you did", "Hendo"),
    ("Hi Joakim Westgård, thanks", "Joakim Westgård"),
])
def test_names_announced_by_layout(text: str, name: str) -> None:
    assert name in _found(name_fields.SPEC, text)


def test_chat_speakers_need_two_of_them() -> None:
    assert _found(name_fields.SPEC, "Ubul: What a wife.\nNicole: Remember me?") == ["Ubul", "Nicole"]
    assert _found(name_fields.SPEC, "Ubul: What a wife.") == []


def test_section_headings_of_meeting_notes_are_no_chat_speakers() -> None:
    text = ("Weekly sync\nAttendees: Dorothy Lambert, Bradley Atkins\nNotes: Atkins owns the budget review\n"
            "Decisions: ship on Friday\n")
    found = _found(name_fields.SPEC, text)
    assert "Attendees" not in found and "Notes" not in found and "Decisions" not in found
    # Real speakers whose names read like plurals are still speakers.
    assert _found(name_fields.SPEC, "Daniels: are we done?\nPeters: yes.") == ["Daniels", "Peters"]


@pytest.mark.parametrize("text", [
    "    app: ASGIApp | None = None,\n    routes: Sequence[BaseRoute] | None = None,\n    func: Callable",
    "Resources:\n  BucketName: my-bucket\n  AccessControl: Private\n",
    "maxRetries: 3\nbaseUrl: http://x\n",
])
def test_code_and_yaml_keys_are_no_chat_speakers(text: str) -> None:
    assert _found(name_fields.SPEC, text) == []


def test_plural_of_an_ordinary_word_is_ordinary_only_when_asked() -> None:
    assert name_lists.is_english_word("Headers", plurals=True) and name_lists.is_english_word("routes", plurals=True)
    assert not name_lists.is_english_word("Headers")  # the name rules: "Busta Rhymes" stays two unknown words
    for surname in ("Daniels", "Peters", "Ellis"):  # listed names are never read as plurals
        assert not name_lists.is_english_word(surname, plurals=True)


@pytest.mark.parametrize("text", ["To: Sales Team\nNote: call back\nSummary: none", "Work Experience\n\nNurse",
                                  "I'm going home now", "my name is not important", "Question: why?\nAnswer: so",
                                  "Hi there", "Hello World", "Hi Team,", "Dear Sir", "Thanks again", "hey tanner",
                                  "Hi, I'm here", "Thanks, it's fine"])
def test_layout_cues_without_a_name(text: str) -> None:
    assert _found(name_fields.SPEC, text) == []
