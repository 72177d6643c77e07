"""A German (and English) business-text corpus with gold spans: the dev part's templates, and the builder.

    python bench/business_corpus.py OUT_DIR      # writes de_dev, de_heldout, en_dev, en_heldout .jsonl

Kinds of text companies paste into chat assistants: letters with an Anrede, e-mails with signature blocks, CSV,
TSV, Markdown and JSON exports, HR notes, support tickets, meeting notes and chat logs with speaker labels, some
German mixed with English. Gold labels: PERSON (the name without titles; a nickname in quotes belongs to the
name), DATE_OF_BIRTH and DE_TAX_ID. The held-out part (bench/business_heldout.py) uses other templates and other
seeds; rules are tuned on the dev part only and the held-out misses are never printed.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

from bench.business_people import Doc, People

Template = Callable[[People, random.Random], Doc]
TOPICS = ("das Angebot für die Wartung", "die Rechnung 2024-117", "den Rahmenvertrag", "die Umzugsplanung",
          "das Budget Q3", "die Schulung im Mai", "den Lieferverzug", "die Datenschutzerklärung")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def de_letter(p: People, r: random.Random) -> Doc:
    a, b, c = p.person(title=r.random() < 0.4), p.person(), p.person()
    d = Doc().add(f"{p.company()}\n{p.city()}\n\nBetreff: {_cap(r.choice(TOPICS))}\n\n{a.geehrt} ")
    d.add(f"{a.title} " if a.title else "").name(a.last).add(",\n\nvielen Dank für Ihre Nachricht. ")
    d.add("Ihre Ansprechpartnerin ist " if b.female else "Ihr Ansprechpartner ist ").name(b.full)
    d.add(f"; bei Rückfragen erreichen Sie {'sie' if b.female else 'ihn'} unter {p.phone()}. ")
    d.add(f"{'Frau' if b.female else 'Herr'} ").name(b.last).add(" meldet sich bis Freitag.\n\n")
    d.add("Mit freundlichen Grüßen\n\n").name(c.full).add(f"\n{p.job()}\n{p.company()}\n")
    return d


def de_mail_signature(p: People, r: random.Random) -> Doc:
    a, b = p.person(nick=r.random() < 0.5), p.person()
    d = Doc().add("Hallo ").name(a.nick or a.first.split("-")[0]).add(",\n\n")
    d.add(f"anbei wie besprochen {r.choice(TOPICS)}. Kannst du das bitte bis Montag prüfen? ")
    d.add("Falls etwas fehlt, frag gern ").name(p.person().full).add(".\n\nViele Grüße\n").name(b.first)
    d.add("\n\n-- \n").name(b.full).add(f"\n{p.job()} | {p.company()}\nTel. {p.phone()}\n{p.email(b)}\n")
    return d


def de_csv(p: People, r: random.Random) -> Doc:
    sep = r.choice((";", ",", ";"))
    d = Doc().add(sep.join(("Personalnummer", "Vorname", "Nachname", "Abteilung", "Geburtsdatum")) + "\n")
    for _i in range(r.randint(3, 6)):
        x = p.person()
        d.add(f"{1000 + r.randint(1, 8999)}{sep}").name(x.first).add(sep).name(x.last)
        d.add(f"{sep}{r.choice(('Vertrieb', 'Einkauf', 'IT', 'Personal', 'Buchhaltung'))}{sep}")
        d.span("DATE_OF_BIRTH", p.dob()).add("\n")
    return d


def de_csv_fullname(p: People, r: random.Random) -> Doc:
    d = Doc().add("Name;Firma;Ort;Umsatz\n")
    for _ in range(r.randint(3, 6)):
        x = p.person()
        d.name(x.full).add(f";{p.company()};{p.city()};{r.randint(1, 900)}.{r.randint(100, 999)} €\n")
    return d


def de_tsv(p: People, r: random.Random) -> Doc:
    d = Doc().add("Mitarbeiter\tRolle\tStandort\n")
    for _ in range(r.randint(2, 5)):
        d.name(p.person().full).add(f"\t{p.job()}\t{p.city()}\n")
    return d


def de_markdown(p: People, r: random.Random) -> Doc:
    d = Doc().add("Offene Punkte aus dem Projekt:\n\n| Aufgabe | Verantwortlich | Frist |\n|---|---|---|\n")
    for _ in range(r.randint(2, 5)):
        d.add(f"| {_cap(r.choice(TOPICS))} | ").name(p.person().full)
        d.add(f" | {r.randint(1, 28)}.{r.randint(1, 12)}. |\n")
    return d


def de_json(p: People, r: random.Random) -> Doc:
    d = Doc().add("[\n")
    n = r.randint(2, 4)
    for i in range(n):
        x = p.person()
        if r.random() < 0.5:
            d.add('  {"vorname": "').name(x.first).add('", "nachname": "').name(x.last)
        else:
            d.add('  {"name": "').name(x.full)
        d.add(f'", "ort": "{p.city()}", "kundennummer": {r.randint(10000, 99999)}}}' + (",\n" if i < n - 1 else "\n"))
    return d.add("]\n")


def de_hr_note(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person(title=True)
    d = Doc().add("Personalnotiz (vertraulich)\n\n").add("Mitarbeiterin: " if a.female else "Mitarbeiter: ")
    d.name(a.full).add(", geb. ").span("DATE_OF_BIRTH", p.dob()).add("\nSteuer-ID: ").span("DE_TAX_ID", p.tax_id())
    d.add(f"\n\nGespräch am {r.randint(1, 28)}.{r.randint(1, 12)}. mit {b.title} ").name(b.full)
    d.add(f" (Betriebsarzt). {a.anrede_de} ").name(a.last)
    d.add(" wünscht eine Reduzierung auf 30 Stunden. Rückmeldung an die Personalabteilung.\n")
    return d


def de_ticket(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    d = Doc().add(f"Ticket #{r.randint(10000, 99999)} – Status: offen\nKunde: ").name(a.full)
    d.add(f" ({p.company()})\n\nBeschreibung: {a.anrede_de} ").name(a.last)
    d.add(" meldet, dass der Login seit gestern nicht funktioniert. Rückruf erbeten.\n\nBearbeiter: ").name(b.full)
    d.add("\nInterne Notiz: ").name(b.first.split("-")[0]).add(" hat das Passwort zurückgesetzt.\n")
    return d


def de_meeting(p: People, r: random.Random) -> Doc:
    a, b, c = p.person(), p.person(), p.person(nick=True)
    d = Doc().add(f"Protokoll Jour fixe, {r.randint(1, 28)}.{r.randint(1, 12)}.2024\n\nTeilnehmer: ").name(a.full)
    d.add(", ").name(b.full).add(", ").name(c.with_nick).add("\n\nTOP 1 Budget\n- ").name(b.last)
    d.add(" klärt Budget mit der Geschäftsführung\n- ").name(c.nick).add(" schickt die Folien bis Freitag\n")
    d.add("TOP 2 Termine\n- nächster Termin bei ").name(a.last).add(f" in {p.city()}\n")
    return d


def de_chat(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    lines = ("Moin, ist die Freigabe schon durch?", "Noch nicht, ich frag nach.", "Danke dir!",
             "Kannst du mir die Zahlen schicken?", "Mach ich gleich.", "Wer übernimmt das Protokoll?")
    d = Doc()
    h, m = r.randint(8, 16), r.randint(0, 50)
    for i in range(r.randint(3, 6)):
        x = a if i % 2 == 0 else b
        d.add(f"[{h:02d}:{m + i:02d}] ").name(x.full).add(f": {r.choice(lines)}\n")
    return d


def mixed(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    form = r.randint(0, 2)
    if form == 0:
        return Doc().add("Remind ").name(a.full).add(" and ").name(b.full).add(" tomorrow about the Q3 review.")
    if form == 1:
        return Doc().add("Assist ").name(a.full).add(". She needs the slides for the Kundentermin in "
                                                     f"{p.city()}.")
    d = Doc().add("Please summarise this e-mail in English:\n\nHallo ").name(a.first).add(",\nwie besprochen ")
    return d.add("übernimmt ").name(b.full).add(" ab Montag die Vertretung.\nGruß\n").name(p.person().full).add("\n")


DE_DEV: tuple[Template, ...] = (de_letter, de_mail_signature, de_csv, de_csv_fullname, de_tsv, de_markdown,
                                de_json, de_hr_note, de_ticket, de_meeting, de_chat, mixed)


def en_letter(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    d = Doc().add("Dear Ms. " if a.female else "Dear Mr. ").name(a.last).add(",\n\nthank you for your order. ")
    d.name(b.full).add(" from our accounts team will send the invoice this week.\n\nKind regards,\n")
    return d.name(p.person().full).add(f"\n{p.job()}\n{p.company()}\n")


def en_csv(p: People, r: random.Random) -> Doc:
    d = Doc().add("first_name,last_name,email,team\n")
    for _ in range(r.randint(3, 5)):
        x = p.person()
        d.name(x.first).add(",").name(x.last).add(f",{p.email(x, 'example.com')},{r.choice(('Sales', 'Ops', 'HR'))}\n")
    return d


def en_meeting(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    d = Doc().add("Weekly sync\nAttendees: ").name(a.full).add(", ").name(b.full).add("\n\n- ").name(b.last)
    return d.add(" owns the budget review\n- ").name(a.first).add(" to follow up with legal\n")


def en_chat(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    d = Doc()
    for i, line in enumerate(("morning! did the release go out?", "yes, last night", "great, thanks")):
        d.add(f"[10:0{i}] ").name((a if i % 2 == 0 else b).full).add(f": {line}\n")
    return d


def en_hr(p: People, r: random.Random) -> Doc:
    a = p.person()
    d = Doc().add("Employee: ").name(a.full).add("\nDate of birth: ").span("DATE_OF_BIRTH", p.dob())
    return d.add("\nNotes: ").name(a.first).add(" asked to move to the Berlin office from October.\n")


def en_ticket(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    d = Doc().add(f"Ticket {r.randint(1000, 9999)}: customer ").name(a.full).add(" cannot reset the password. ")
    return d.add("Assigned to ").name(b.full).add(".\n")


EN_DEV: tuple[Template, ...] = (en_letter, en_csv, en_meeting, en_chat, en_hr, en_ticket)


def build(templates: tuple[Template, ...], n: int, seed: int, english: bool, prefix: str,
          invented: bool = False) -> list[dict[str, object]]:
    rng = random.Random(seed)
    people = People(rng, seed, english=english, invented=invented)
    out = []
    for i in range(n):
        t = templates[i % len(templates)]
        out.append(t(people, rng).record(f"{prefix}-{i}", "en" if english else "de", t.__name__))
    return out


def parts() -> dict[str, list[dict[str, object]]]:
    """Every part of the corpus, by name."""
    from bench.business_heldout import DE_HELDOUT, EN_HELDOUT

    return {"de_dev": build(DE_DEV, 144, 1801, False, "de-dev"),
            "de_heldout": build(DE_HELDOUT, 144, 9407, False, "de-heldout"),
            # Surnames no list holds: how much of the rest rests on the name lists (dev and held-out templates).
            "de_unlisted_dev": build(DE_DEV, 66, 5151, False, "de-unlisted-dev", invented=True),
            "de_unlisted": build(DE_HELDOUT, 66, 5150, False, "de-unlisted", invented=True),
            "en_dev": build(EN_DEV, 60, 1802, True, "en-dev"),
            "en_heldout": build(EN_HELDOUT, 60, 9408, True, "en-heldout")}


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, records in parts().items():
        (out / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


if __name__ == "__main__":
    main()
