"""`govproxy scan` and `govproxy redact` on German business text as a user runs them: whole names with particles,
hyphens and nicknames, names in table cells, chat speaker labels and signatures, surnames that are words found
again alone, dates of birth with the month written out, and Steuer-IDs in every grouping."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.harness import REPO, base_env, cli

TEXTS = {
    "letter": ("Sehr geehrter Herr von der Groeben,\n\nwie besprochen übernimmt Hans-Henning von der Groeben ab "
               "Montag. Bei Fragen wenden Sie sich an Frau Dr. Bozena van der Berg.\n\nMit freundlichen Grüßen\n\n"
               "Jost zu Dohna\nEinkauf\n"),
    "csv": ("Name;Abteilung;Geburtsdatum\nJanus Müller-Lüdenscheidt;Vertrieb;19. Okt. 1960\n"
            "Gustav Schmiedecke-Hauffer;Einkauf;03.03.1985\n"),
    "meeting": ('Protokoll\nTeilnehmer: Katharina "Kathi" Beer, Grace Love\n\n- Love klärt Budget\n'
                "- Kathi schickt die Folien\n"),
    "chat": ("[09:12] Heinz-Josef von der Heide: Moin, ist die Freigabe durch?\n[09:13] Crystal Green: noch nicht\n"
             "[09:14] Heinz-Josef von der Heide: Danke!\n"),
    "hr": ("Personalnotiz: Frau Anna Koch, geb. 19. Okt. 1960, Steuer-ID 503 746 814 45. Ihr Mann (Geburtsdatum: "
           "3. März 1985) hat die IdNr. 86.095.742.719."),
}
PEOPLE = {
    "letter": ["von der Groeben", "Hans-Henning von der Groeben", "Bozena van der Berg", "Jost zu Dohna"],
    "csv": ["Janus Müller-Lüdenscheidt", "Gustav Schmiedecke-Hauffer"],
    "meeting": ['Katharina "Kathi" Beer', "Grace Love", "Love", "Kathi"],
    "chat": ["Heinz-Josef von der Heide", "Crystal Green", "Heinz-Josef von der Heide"],
    "hr": ["Anna Koch"],
}
OTHER = {"csv": [("DATE_OF_BIRTH", "19. Okt. 1960"), ("DATE_OF_BIRTH", "03.03.1985")],
         "hr": [("DATE_OF_BIRTH", "19. Okt. 1960"), ("DE_TAX_ID", "503 746 814 45"),
                ("DATE_OF_BIRTH", "3. März 1985"), ("DE_TAX_ID", "86.095.742.719")]}


def env() -> dict[str, str]:
    return base_env(GOVPROXY_POLICIES_DIR=str(REPO / "policies"))


def _spans(text: str, value: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(rf"(?<![\w-]){re.escape(value)}(?![\w-])", text)]


def test_scan_finds_whole_names_dates_of_birth_and_tax_ids(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in TEXTS.items()))
    out = cli("scan", str(src), "--format", "jsonl", "--input", "jsonl", env=env()).stdout
    found = {item["id"]: item["findings"] for item in map(json.loads, out.splitlines())}
    for key, text in TEXTS.items():
        spans = {(f["start"], f["end"]): f["entity_type"] for f in found[key]}
        for name in PEOPLE[key]:
            for span in _spans(text, name):
                inside = [s for s in spans if s[0] <= span[0] and span[1] <= s[1]]
                assert inside, f"{key}: {name!r} at {span} is not covered by one finding ({found[key]})"
                assert all(spans[s] == "PERSON" for s in inside)
        for entity, value in OTHER.get(key, []):
            assert spans.get(_spans(text, value)[0]) == entity, f"{key}: {value!r} is not one {entity} finding"
    assert not any(name in out for names in PEOPLE.values() for name in names)  # scan prints no values


def test_redact_leaves_no_part_of_a_name_and_keeps_titles() -> None:
    text = "\n\n".join(TEXTS.values())
    out = cli("redact", "-", "--language", "de", env=env(), input=text).stdout
    words = {w for names in PEOPLE.values() for n in names for w in re.findall(r"\w+", n) if w[0].isupper()}
    assert not [w for w in words if re.search(rf"(?<!\w){w}(?!\w)", out)], out
    for value in ("503 746 814 45", "86.095.742.719", "19. Okt. 1960", "3. März 1985"):
        assert value not in out
    assert "Frau Dr. <PERSON_" in out and "Herr <PERSON_" in out


def test_redact_keeps_nouns_and_adverbs_the_model_never_saw_in_training() -> None:
    # The German model reads word clusters (train/README.md): a capitalised word it never met in training is no
    # longer a name for being capitalised. The model before them redacted "Mithin", "Pullover" and "Packpapier".
    text = ("Häufig fragt Herr Wöllenstein nach der Kapitalertragsteuer.\n"
            "Mithin ist der Pullover aus Packpapier nicht erstattungsfähig, schreibt Jasmin Kowalczyk-Heuer.\n")
    out = cli("redact", "-", "--language", "de", env=env(), input=text).stdout
    for kept in ("Häufig", "Kapitalertragsteuer", "Mithin", "Pullover", "Packpapier"):
        assert kept in out, out
    assert "Wöllenstein" not in out and "Kowalczyk" not in out and "Jasmin" not in out, out


def test_redact_in_a_court_decision_takes_the_names_and_leaves_the_court_and_the_citations() -> None:
    # The German model trains on court decisions too (German LER's dev split, train/README.md): a
    # court is no place, a citation no name. The model before redacted "Bundesfinanzhof" as a LOCATION here.
    text = ("Vorsitzende Richterin am Bundesfinanzhof Dr. Henrike Oberländer hat die Klage mit Urteil vom 12. März "
            "2018 abgewiesen (BStBl II 2019, 311); das FG habe die Grundsätze des BFH-Urteils vom 3. Mai 2006 "
            "zutreffend angewandt, rügt Rechtsanwalt Jörg Wiesenthal.\n"
            "Der Beklagte zu 2), Herr Tobias Fenske, verweist auf BVerfGE 138, 136 und § 15 Abs. 1 EStG.\n")
    out = cli("redact", "-", "--language", "de", env=env(), input=text).stdout
    for kept in ("Richterin am Bundesfinanzhof Dr. <PERSON_", "(BStBl II 2019, 311)", "BFH-Urteils",
                 "Rechtsanwalt <PERSON_", "Herr <PERSON_", "BVerfGE 138, 136", "§ 15 Abs. 1 EStG"):
        assert kept in out, out
    for name in ("Henrike", "Oberländer", "Jörg", "Wiesenthal", "Tobias", "Fenske"):
        assert name not in out, out


def test_redact_a_csv_row_the_model_reads_as_one_name_over_two_cells() -> None:
    # The German model read "Hans-Jürgen;Huber" as one name. The ";" inside made the span look like code, it was
    # dropped, and the name-column findings inside it had already been merged away: both names went out. Spans
    # over table cells are now cut at the separators.
    text = ("Personalnummer;Vorname;Nachname;Abteilung;Geburtsdatum\n"
            "9718;Hans-Jürgen;Huber;Buchhaltung;2. Januar 1964\n"
            "1205;Joshua-Nino;Klemt-Stumpf;IT;23. Nov. 1981\n"
            "2440;Antonietta;Kranz;Buchhaltung;3. November 1991\n")
    out = cli("redact", "-", env=env(), input=text).stdout
    for name in ("Hans-Jürgen", "Huber", "Joshua-Nino", "Klemt-Stumpf", "Antonietta", "Kranz", "1964", "1981"):
        assert name not in out, out
    assert out.startswith("Personalnummer;Vorname;Nachname;Abteilung;Geburtsdatum\n9718;<PERSON_"), out
    assert ";Buchhaltung;<DATE_OF_BIRTH_" in out, out
    # A Nachname column says what its cells are: the model's guess that "Klemt-Stumpf" is a place does not win.
    assert "<LOCATION_" not in out and out.count("<PERSON_") == 6, out


def test_german_person_bias_makes_the_model_name_fewer_people_and_leaves_lists_and_cues() -> None:
    # GOVPROXY_GERMAN_PERSON_BIAS lowers (or raises) the German model's score for starting a person's name: a
    # surname alone that only the model reads as a name goes out below 0; names that a first-name list or a title
    # finds are still taken. 0, the default, is the model as trained.
    text = ("Laut Protokoll hat Ebersbächer den Antrag gestern zurückgezogen.\n"
            "Herr Tobias Fenske und Frau Dr. Henrike Oberländer stimmten zu.\n")
    default = cli("redact", "-", "--language", "de", env=env(), input=text).stdout
    assert "Ebersbächer" not in default and "hat <PERSON_" in default, default
    lowered = cli("redact", "-", "--language", "de", input=text,
                  env={**env(), "GOVPROXY_GERMAN_PERSON_BIAS": "-5"}).stdout
    assert "hat Ebersbächer den Antrag" in lowered, lowered
    for name in ("Tobias", "Fenske", "Henrike", "Oberländer"):
        assert name not in lowered and name not in default
    bad = cli("redact", "-", "--language", "de", input=text, check=False,
              env={**env(), "GOVPROXY_GERMAN_PERSON_BIAS": "-9"})
    assert bad.returncode != 0 and "german_person_bias" in bad.stderr, bad.stderr
    assert "Fenske" not in bad.stdout + bad.stderr
