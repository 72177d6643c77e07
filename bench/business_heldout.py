"""The held-out part's templates: the same kinds of text as bench/business_corpus.py's dev part, written differently
(other greetings, other export layouts, other chat formats). Rules are never tuned on what these produce; the
bench prints only their totals.
"""

from __future__ import annotations

import random

from bench.business_corpus import Template
from bench.business_people import Doc, People

SUBJECTS = ("Vertragsverlängerung", "Reklamation Lieferung 88/24", "Onboarding", "Jahresgespräch", "Mietvertrag",
            "Zugang zum Kundenportal", "Reisekostenabrechnung")


def h_letter(p: People, r: random.Random) -> Doc:
    a, b = p.person(title=r.random() < 0.3), p.person()
    d = Doc().add(f"{p.city()}, {r.randint(1, 28)}. {r.choice(('Mai', 'Juni', 'Juli'))} 2024\n\n")
    d.add(f"{r.choice(SUBJECTS)}\n\nLiebe{'' if a.female else 'r'} {a.anrede_de} ")
    d.add(f"{a.title} " if a.title else "").name(a.last).add(",\n\nwie telefonisch mit ").name(b.full)
    d.add(" vereinbart, senden wir Ihnen die Unterlagen. Bitte unterschreiben Sie bis Monatsende.\n\n")
    d.add("Freundliche Grüße\ni. A. ").name(p.person().full).add("\n")
    return d


def h_forward(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    d = Doc().add("---------- Weitergeleitete Nachricht ----------\nVon: ").name(a.full)
    d.add(f" <{p.email(a)}>\nAn: ").name(b.full).add(f" <{p.email(b)}>\nBetreff: {r.choice(SUBJECTS)}\n\n")
    d.add("Hi ").name(b.first).add(", kurze Info: der Termin verschiebt sich. LG ").name(a.first).add("\n")
    return d


def h_csv_quoted(p: People, r: random.Random) -> Doc:
    d = Doc().add('"Nachname","Vorname","Eintritt","Kostenstelle"\n')
    for _ in range(r.randint(3, 5)):
        x = p.person()
        d.add('"').name(x.last).add('","').name(x.first).add(f'","{r.randint(1, 28)}.{r.randint(1, 12)}.2019",')
        d.add(f'"{r.randint(4000, 4999)}"\n')
    return d


def h_jsonl(p: People, r: random.Random) -> Doc:
    d = Doc()
    for _ in range(r.randint(2, 4)):
        x = p.person()
        d.add('{"kunde": "').name(x.full).add(f'", "plz": "{r.randint(10000, 99999)}", "offen": true}}\n')
    return d


def h_list(p: People, r: random.Random) -> Doc:
    d = Doc().add("Rufbereitschaft diese Woche:\n")
    for day in ("Mo", "Di", "Mi", "Do"):
        d.add(f"* {day}: ").name(p.person().full).add("\n")
    return d


def h_hr(p: People, r: random.Random) -> Doc:
    a = p.person()
    d = Doc().add("Bewerbung ").name(a.full).add("\nGeburtsdatum: ").span("DATE_OF_BIRTH", p.dob())
    d.add("\nSteuerliche Identifikationsnummer ").span("DE_TAX_ID", p.tax_id())
    d.add(f"\nEinschätzung: {a.anrede_de} ").name(a.last).add(" überzeugt fachlich; Gehaltsvorstellung zu hoch.\n")
    return d


def h_dob_sentence(p: People, r: random.Random) -> Doc:
    a = p.person()
    d = Doc().name(a.full).add(r.choice((" (geboren am ", " (* ", " (geb. am "))).span("DATE_OF_BIRTH", p.dob())
    d.add(") ist seit 2015 bei uns. Für die Lohnabrechnung brauchen wir noch die IdNr. ")
    return d.span("DE_TAX_ID", p.tax_id()).add(".\n")


def h_support(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    d = Doc().add(f"Anfrage von {a.anrede_de} ").name(a.full).add(f", {p.company()}:\n")
    d.add("Unser Drucker im 2. OG druckt nur noch leere Seiten. Ansprechpartner vor Ort ist ").name(b.full)
    d.add(".\n\nAntwort Support: Wir haben ").name(b.last).add(" einen Techniker für Donnerstag angekündigt.\n")
    return d


def h_minutes(p: People, r: random.Random) -> Doc:
    a, b, c = p.person(nick=True), p.person(), p.person()
    d = Doc().add("Notizen Teamrunde\nAnwesend: ").name(a.with_nick).add(" / ").name(b.full).add(" / ")
    d.name(c.full).add("\nEntschuldigt: –\n\n1. ").name(c.last).add(" stellt den Stand der Migration vor.\n2. ")
    d.name(a.nick).add(" übernimmt die Urlaubsplanung.\n3. Offene Fragen an ").name(b.last).add("\n")
    return d


def h_chat(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    d = Doc()
    for i, line in enumerate(("bist du heute im Büro?", "ja, ab 10", "super, dann bis gleich")):
        x = a if i % 2 == 0 else b
        d.add(f"{r.randint(10, 28)}.03.24, 09:{10 + i:02d} - ").name(x.full).add(f": {line}\n")
    return d


def h_mixed(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    if r.random() < 0.5:
        d = Doc().add("Write a friendly reminder to ").name(a.full).add(" that the Rechnung is overdue; cc ")
        return d.name(b.full).add(".")
    d = Doc().add("Translate to English: ").name(a.full).add(" hat mit ").name(b.full)
    return d.add(" die Preise für 2025 verhandelt.")


DE_HELDOUT: tuple[Template, ...] = (h_letter, h_forward, h_csv_quoted, h_jsonl, h_list, h_hr, h_dob_sentence,
                                    h_support, h_minutes, h_chat, h_mixed)


def eh_email(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    d = Doc().add("Hi ").name(a.first).add(",\n\nquick update: ").name(b.full).add(" signed the contract today. ")
    return d.add("Let's loop in ").name(p.person().full).add(" next week.\n\nBest,\n").name(b.first).add("\n")


def eh_table(p: People, r: random.Random) -> Doc:
    d = Doc().add("| Owner | Task |\n|---|---|\n")
    for task in ("Q3 forecast", "vendor audit", "hiring plan"):
        d.add("| ").name(p.person().full).add(f" | {task} |\n")
    return d


def eh_chat(p: People, r: random.Random) -> Doc:
    a, b = p.person(), p.person()
    d = Doc().name(a.full).add(" (9:14 AM): can you review the deck?\n").name(b.full)
    return d.add(" (9:16 AM): on it\n")


def eh_hr(p: People, r: random.Random) -> Doc:
    a = p.person()
    d = Doc().add("Candidate ").name(a.full).add(", born ").span("DATE_OF_BIRTH", p.dob())
    return d.add(", interviewed on Monday. ").name(a.last).add(" has strong references.\n")


def eh_ticket(p: People, r: random.Random) -> Doc:
    a = p.person()
    d = Doc().add("Support case: ").name(a.full).add(" reports that invoices are duplicated. ")
    return d.name(a.last).add(" needs a fix before month end.\n")


EN_HELDOUT: tuple[Template, ...] = (eh_email, eh_table, eh_chat, eh_hr, eh_ticket)
