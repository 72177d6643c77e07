"""Name forms: a found name covers the whole name (hyphens, particles, nicknames), and the layouts that put names
in fixed places (table columns, JSON keys, chat speaker labels, greetings, signatures, labelled lists)."""

from __future__ import annotations

import pytest

from proxy.detection.findings import Finding
from proxy.detection.name_forms import extend_names
from proxy.detection.recognizers import (
    date_of_birth,
    de_tax_id,
    first_names,
    labelled_names,
    letter_names,
    name_tables,
    speaker_labels,
)


def _values(text: str, matches: list) -> list[str]:
    return [text[m.start:m.end] for m in matches]


def _extended(text: str, value: str) -> str:
    start = text.index(value)
    [f] = extend_names([Finding(0, start, start + len(value), "PERSON", 0.6, "test", "de")], text)
    return text[f.start:f.end]


@pytest.mark.parametrize(("text", "seed", "whole"), [
    ("Heute kommt Hans-Henning von der Groeben.", "Henning", "Hans-Henning von der Groeben"),
    ("Heute kommt Hans-Henning von der Groeben.", "Groeben", "Hans-Henning von der Groeben"),
    ("Bitte an Gustav Schmiedecke-Hauffer.", "Gustav Schmiedecke", "Gustav Schmiedecke-Hauffer"),
    ('Teilnehmer: Katharina "Kathi" Beer.', "Katharina", 'Katharina "Kathi" Beer'),
    ('Teilnehmer: Katharina „Kathi“ Beer.', "Beer", 'Katharina „Kathi“ Beer'),
    ("Ansprechpartnerin ist Bozena van der Berg.", "Bozena", "Bozena van der Berg"),
    ("Herr von der Heide meldet sich.", "Heide", "von der Heide"),
    ("Die Liste führt Ewa-Traudel Schenk.", "Schenk", "Ewa-Traudel Schenk"),
    ("Gast: Jost zu Müller", "Jost", "Jost zu Müller"),  # a listed surname after a weak particle
])
def test_a_found_name_is_widened_to_the_whole_name(text: str, seed: str, whole: str) -> None:
    assert _extended(text, seed) == whole


@pytest.mark.parametrize(("text", "seed"), [
    ("Bitte schick Müller den Bericht.", "Müller"),     # an article and a noun, not a surname
    ("Anna bleibt heute zu Hause.", "Anna"),            # "zu" before an ordinary word
    ("Dr. Weber kommt.", "Weber"),                      # titles stay outside
])
def test_words_next_to_a_name_that_are_not_part_of_it(text: str, seed: str) -> None:
    assert _extended(text, seed) == seed


def test_first_name_list_reads_particles_and_hyphens_in_german() -> None:
    text = "Gestern hat Hans-Henning von der Berg angerufen, danach Marie-Luise Müller-Lüdenscheidt."
    assert _values(text, first_names.GERMAN_SPEC.matches(text)) == [
        "Hans-Henning von der Berg", "Marie-Luise Müller-Lüdenscheidt"]


@pytest.mark.parametrize("text", [
    "Personalnummer;Vorname;Nachname;Geburtsdatum\n1001;Hans-Henning;von der Groeben;19. Okt. 1960\n"
    "1002;Anna;Koch;03.03.1985\n",
    "Vorname\tNachname\tGeburtsdatum\nHans-Henning\tvon der Groeben\t19. Okt. 1960\nAnna\tKoch\t03.03.1985\n",
    "| Vorname | Nachname | Geb.-Datum |\n|---|---|---|\n| Hans-Henning | von der Groeben | 19. Okt. 1960 |\n"
    "| Anna | Koch | 03.03.1985 |\n",
    '"Vorname","Nachname","Geburtsdatum"\n"Hans-Henning","von der Groeben","19. Okt. 1960"\n'
    '"Anna","Koch","03.03.1985"\n',
    '[{"vorname": "Hans-Henning", "nachname": "von der Groeben", "geburtsdatum": "19. Okt. 1960"},\n'
    ' {"firstName": "Anna", "lastName": "Koch", "dateOfBirth": "03.03.1985"}]',
])
def test_table_columns_and_json_keys_name_people_and_birth_dates(text: str) -> None:
    assert _values(text, name_tables.SPEC.matches(text)) == ["Hans-Henning", "von der Groeben", "Anna", "Koch"]
    assert _values(text, name_tables.DOB_SPEC.matches(text)) == ["19. Okt. 1960", "03.03.1985"]


def test_a_name_column_needs_a_name_and_other_columns_stay() -> None:
    text = "Name;Preis;Ort\nLaptop Pro;999;Berlin\nJanus Müller-Lüdenscheidt;12;Köln\nAcme GmbH;1;Bonn\n"
    assert _values(text, name_tables.SPEC.matches(text)) == ["Janus Müller-Lüdenscheidt"]
    assert name_tables.SPEC.matches('{"name": "my-package", "version": "1.0.0"}') == []


def test_chat_speaker_labels_with_time_stamps() -> None:
    text = ("[09:12] Heinz-Josef von der Heide: Moin, ist die Freigabe durch?\n"
            "[09:13] Grace Love: noch nicht\n12.03.24, 09:14 - Anna Vogel: danke\nBen Wolf (9:15 AM): ok\n")
    assert _values(text, speaker_labels.SPEC.matches(text)) == [
        "Heinz-Josef von der Heide", "Grace Love", "Anna Vogel", "Ben Wolf"]
    assert speaker_labels.SPEC.matches("[10:00] Agenda: Budget\n[10:30] Agenda: Termine\n") == []


def test_greetings_and_signatures() -> None:
    text = ("Hallo Kathi,\n\nanbei die Zahlen.\n\nViele Grüße\nBerta\n\n-- \nBerta von Sommer\nEinkauf\n\n"
            "Mit freundlichen Grüßen\ni. A. Hans-Henning Vogel\n")
    assert sorted(set(_values(text, letter_names.SPEC.matches(text)))) == [
        "Berta", "Berta von Sommer", "Hans-Henning Vogel", "Kathi"]
    assert letter_names.SPEC.matches("Hallo Team,\nHallo zusammen!\nViele Grüße\nIhr Support\n") == []


def test_labelled_lists_of_names() -> None:
    text = 'Teilnehmer: Maximilian von der Hübel, Jost zu Dohna, Katharina "Kathi" Beer\nVon: Anna Berg <a@b.de>\n'
    assert _values(text, labelled_names.SPEC.matches(text)) == [
        "Maximilian von der Hübel", "Jost zu Dohna", 'Katharina "Kathi" Beer', "Anna Berg"]
    assert labelled_names.SPEC.matches("An: Alle\nTeilnehmer: Team Vertrieb\n") == []


@pytest.mark.parametrize(("text", "date"), [
    ("Herr Wolf, geb. 19. Okt. 1960, wohnt in Köln.", "19. Okt. 1960"),
    ("Geburtsdatum: 3. März 1985", "3. März 1985"),
    ("geboren am 07. Aug 1984 in Graz", "07. Aug 1984"),
    ("Anna Berg (* 12.05.1970) ist", "12.05.1970"),
    ("Date of birth: March 3, 1985", "March 3, 1985"),
    ("born 5 May 1980 in Leeds", "5 May 1980"),
    ("DOB 1985-03-03", "1985-03-03"),
])
def test_dates_of_birth_after_a_cue(text: str, date: str) -> None:
    assert _values(text, date_of_birth.SPEC.matches(text)) == [date]


@pytest.mark.parametrize("text", ["Termin am 19. Okt. 1960 im Archiv.", "* 12. Mai 2024: Kick-off",
                                  "Die Rechnung vom 03.03.1985 ist bezahlt."])
def test_dates_without_a_birth_cue_are_no_dates_of_birth(text: str) -> None:
    assert date_of_birth.SPEC.matches(text) == []


@pytest.mark.parametrize("value", ["86095742719", "86 095 742 719", "860 957 427 19", "860.957.427.19",
                                   "860/957/427/19", "8609 5742 719", "86.095.742.719"])
def test_steuer_id_in_every_grouping(value: str) -> None:
    text = f"Steuer-ID: {value}."
    assert _values(text, de_tax_id.SPEC.matches(text)) == [value]


@pytest.mark.parametrize("value", ["860 957 427 18", "860.957.427.1", "+49 860 957 427 19", "860 957.427 19"])
def test_steuer_id_lookalikes_are_rejected(value: str) -> None:
    text = f"Nummer {value} bitte."
    assert not [m for m in de_tax_id.SPEC.matches(text) if m.score >= 0.85 and text[m.start:m.end] == value]


@pytest.mark.parametrize(("text", "names"), [
    ("09:00 Begrüßung: Vorstellung\n10:30 Kaffeepause: Foyer\n", []),
    ("Liebe Grüße\nAnna\n", ["Anna"]),  # a closing formula, not a greeting of "Grüße"
    ("Mit freundlichen Grüßen\n\nMusterfirma GmbH\n", []),
    ("Lieber Kunde,\nHallo Welt!\n", []),
])
def test_places_that_hold_no_name(text: str, names: list[str]) -> None:
    found = [text[m.start:m.end] for spec in (speaker_labels.SPEC, letter_names.SPEC) for m in spec.matches(text)]
    assert found == names
