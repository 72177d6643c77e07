"""Synthetic German business text with PER, LOC and ORG spans, generated with Faker's de_DE, de_AT and de_CH
providers and a fixed seed.

Kinds of text people paste into a chat assistant: letters with an Anrede and a signature block, CSV and JSON
records, chat logs with speaker labels, HR notes, support tickets, meeting notes, and a few mixed German/English
lines. Names come in the forms that leak: particles (von, van, zu, von der, van der, de), hyphenated first names
and surnames, nicknames in quotes, titles kept outside the span, surnames that are also words.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator

from faker import Faker

LOCALES = ("de_DE", "de_AT", "de_CH")
PARTICLES = ("von", "van", "zu", "von der", "van der", "de", "von und zu", "vom", "zur", "van den", "di")
TITLES = ("Dr.", "Prof.", "Prof. Dr.", "Dipl.-Ing.", "Mag.", "Dr. med.", "Dr.-Ing.")
WORD_SURNAMES = ("Love", "Green", "Fuchs", "Wolf", "Koch", "Bauer", "Sommer", "Winter", "Vogel", "Engel",
                 "König", "Kaiser", "Schmied", "Frost", "Brandt", "Stein", "Berg", "Hahn", "Lamm", "Rose")
Span = tuple[int, int, str]


class Builder:
    """Text assembled piece by piece, with the character spans of the pieces that are entities."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[Span] = []
        self.length = 0

    def add(self, text: str, label: str | None = None) -> Builder:
        if label and text:
            self.spans.append((self.length, self.length + len(text), label))
        self.parts.append(text)
        self.length += len(text)
        return self

    def done(self) -> tuple[str, list[Span]]:
        return "".join(self.parts), self.spans


class Names:
    """Person names in the forms above, from one of the three locales."""

    def __init__(self, rng: random.Random, fakers: list[Faker]) -> None:
        self.rng = rng
        self.fakers = fakers

    @property
    def fk(self) -> Faker:
        return self.rng.choice(self.fakers)

    def first(self, female: bool | None = None) -> str:
        female = self.rng.random() < 0.5 if female is None else female
        pick = self.fk.first_name_female if female else self.fk.first_name_male
        name = pick()
        if self.rng.random() < 0.15:
            name = f"{name}-{pick()}"
        return name

    def last(self) -> str:
        r = self.rng.random()
        name = self.rng.choice(WORD_SURNAMES) if r < 0.06 else self.fk.last_name()
        r = self.rng.random()
        if r < 0.18:
            name = f"{self.rng.choice(PARTICLES)} {name}"
        elif r < 0.33:
            name = f"{name}-{self.fk.last_name()}"
        return name

    def full(self, female: bool | None = None) -> tuple[str, str, str]:
        """(full name as written, first, last); sometimes with a nickname in quotes."""
        first, last = self.first(female), self.last()
        if self.rng.random() < 0.06:
            nick = first.split("-")[0][: self.rng.choice((3, 4))] + self.rng.choice(("i", "y", "o"))
            quote = self.rng.choice(('"{}"', "„{}“", "'{}'", "({})"))
            return f"{first} {quote.format(nick)} {last}", first, last
        if self.rng.random() < 0.05:
            middle = self.first()
            return f"{first} {middle} {last}", first, last
        return f"{first} {last}", first, last


def _person(b: Builder, names: Names, rng: random.Random, *, title: bool = True, anrede: bool = False,
            female: bool | None = None) -> tuple[str, str]:
    female = rng.random() < 0.5 if female is None else female
    full, first, last = names.full(female)
    if anrede:
        b.add("Frau " if female else "Herr ")
    if title and rng.random() < 0.2:
        b.add(rng.choice(TITLES) + " ")
    b.add(full, "PER")
    return first, last


def letter(b: Builder, names: Names, rng: random.Random) -> None:
    fk = names.fk
    female = rng.random() < 0.5
    full, _first, last = names.full(female)
    b.add(fk.company(), "ORG").add("\n").add(fk.street_name(), "LOC").add(f" {fk.building_number()}\n")
    b.add(f"{fk.postcode()} ").add(fk.city(), "LOC").add("\n\n")
    b.add(rng.choice(("Frau ", "Herrn ")) if rng.random() < 0.6 else "")
    b.add(full, "PER").add("\n")
    b.add(f"{fk.street_name()} {fk.building_number()}\n{fk.postcode()} ").add(fk.city(), "LOC").add("\n\n")
    b.add(f"Betreff: {rng.choice(('Ihre Anfrage vom', 'Angebot Nr.', 'Rechnung', 'Kündigung Vertrag'))} "
          f"{fk.date_this_year().strftime('%d.%m.%Y')}\n\n")
    title = rng.choice(("", "", "Dr. ", "Prof. "))
    b.add(f"Sehr geehrte{'' if female else 'r'} {'Frau' if female else 'Herr'} {title}").add(last, "PER").add(",\n\n")
    body = rng.choice((
        "vielen Dank für Ihr Schreiben. Wie telefonisch mit {p} besprochen, senden wir Ihnen die Unterlagen zu.",
        "anbei erhalten Sie das Angebot. Bei Rückfragen wenden Sie sich bitte an {p} in unserer Filiale in {c}.",
        "leider müssen wir den Termin in {c} verschieben. {p} meldet sich nächste Woche bei Ihnen.",
        "wir bestätigen den Eingang Ihrer Bewerbung. Ihr Ansprechpartner ist {p}.",
    ))
    _fill(b, body, names, rng)
    b.add("\n\n" + rng.choice(("Mit freundlichen Grüßen", "Freundliche Grüße", "Beste Grüße", "MfG")) + "\n\n")
    signature(b, names, rng)


def signature(b: Builder, names: Names, rng: random.Random) -> None:
    fk = names.fk
    if rng.random() < 0.3:
        b.add(rng.choice(("i. A. ", "i. V. ", "ppa. ")))
    _person(b, names, rng)
    b.add("\n" + fk.job() + "\n")
    b.add(fk.company(), "ORG").add("\n").add(fk.street_name(), "LOC").add(f" {fk.building_number()} | ")
    b.add(f"{fk.postcode()} ").add(fk.city(), "LOC").add(f"\nTel. {fk.phone_number()}\n")
    if rng.random() < 0.5:
        b.add(f"E-Mail: {fk.email()}\n")


def _fill(b: Builder, template: str, names: Names, rng: random.Random) -> None:
    """Write `template`, replacing {p} by a person, {l} by a surname with Anrede, {c} by a city, {o} by a company."""
    fk = names.fk
    pieces = template.replace("{", "\0{").replace("}", "}\0").split("\0")
    for piece in pieces:
        if piece == "{p}":
            _person(b, names, rng, title=rng.random() < 0.5)
        elif piece == "{f}":
            b.add(names.first(), "PER")
        elif piece == "{l}":
            b.add(rng.choice(("Frau ", "Herr ", "Herrn ", "Fr. ", "Hr. ")))
            if rng.random() < 0.15:
                b.add(rng.choice(TITLES) + " ")
            b.add(names.last(), "PER")
        elif piece == "{c}":
            b.add(fk.city(), "LOC")
        elif piece == "{o}":
            b.add(fk.company(), "ORG")
        else:
            b.add(piece)


SENTENCES = (
    "Bitte leite die Mail an {p} weiter, {f} ist heute im Homeoffice.",
    "{p} aus {c} hat den Vertrag am Montag unterschrieben.",
    "Laut {l} ist die Lieferung an {o} bereits unterwegs.",
    "Kannst du {l} anrufen? Es geht um die Rechnung für {o}.",
    "Meeting mit {p} und {p} am Donnerstag in {c}.",
    "{f} übernimmt ab sofort die Vertretung von {p}.",
    "Der Kunde {p} beschwert sich über die Wartezeit in der Filiale {c}.",
    "Rückruf an {l} bis Freitag, Thema Gehaltsabrechnung.",
    "Die Präsentation hat {p} gehalten, Protokoll führt {f}.",
    "Ich habe mit {l} von {o} gesprochen, sie schicken das Angebot bis Mittwoch.",
    "Neuer Mitarbeiter: {p}, Start am 1. des Monats am Standort {c}.",
    "Frage von {p}: Wann kommt die Gutschrift?",
    "{p} ({o}) bittet um einen Termin in {c}.",
    "Zuständig ist {l}, Vertretung {p}.",
    "Wir haben {p} für die Stelle in {c} ausgewählt.",
    "Die Abmahnung für {p} liegt in der Personalakte.",
    "{f}, kannst du bitte die Zahlen für {o} prüfen?",
    "Grüße an {f} und {f} aus {c}!",
    "Herzlichen Glückwunsch an {p} zum Dienstjubiläum.",
    "Remind {p} and {p} tomorrow about the {o} contract.",
    "Please ask {p} to send the invoice to our office in {c}.",
    "Bitte {p} noch mal wegen dem Call anpingen.",
    "Die Unterlagen von {l} wurden an die Zentrale nach {c} geschickt.",
    "Krankmeldung von {p} bis einschließlich Freitag.",
    "{p} ist seit 2019 bei {o} und leitet das Team in {c}.",
)


def prose(b: Builder, names: Names, rng: random.Random) -> None:
    for i in range(rng.randint(1, 4)):
        _fill(b, ("" if i == 0 else " ") + rng.choice(SENTENCES), names, rng)


def chat(b: Builder, names: Names, rng: random.Random) -> None:
    speakers = [names.full() for _ in range(rng.randint(2, 3))]
    hour, minute = rng.randint(7, 18), rng.randint(0, 50)
    for _ in range(rng.randint(3, 6)):
        full = rng.choice(speakers)[0]
        minute = (minute + rng.randint(1, 9)) % 60
        style = rng.random()
        if style < 0.5:
            b.add(f"[{hour:02d}:{minute:02d}] ").add(full, "PER").add(": ")
        elif style < 0.8:
            b.add(full, "PER").add(f" {hour:02d}:{minute:02d}\n")
        else:
            b.add(full.split()[0], "PER").add(": ")
        _fill(b, rng.choice((*SENTENCES, "ok, passt.", "Danke dir!", "bin gleich da", "Hat jemand die Folien?")),
              names, rng)
        b.add("\n")


def csv_records(b: Builder, names: Names, rng: random.Random) -> None:
    fk = names.fk
    sep = rng.choice((";", ",", "\t", " | "))
    order = rng.random() < 0.5
    header = ["Nachname", "Vorname"] if order else ["Name"]
    header += ["Ort", "Firma", "Eintritt"]
    b.add(sep.join(header) + "\n")
    for _ in range(rng.randint(2, 6)):
        full, first, last = names.full()
        if order:
            b.add(last, "PER").add(sep).add(first, "PER")
        else:
            b.add(full, "PER")
        b.add(sep).add(fk.city(), "LOC").add(sep).add(fk.company(), "ORG")
        b.add(sep + fk.date_between("-20y").strftime("%d.%m.%Y") + "\n")


def json_records(b: Builder, names: Names, rng: random.Random) -> None:
    fk = names.fk
    b.add("[\n")
    n = rng.randint(1, 3)
    for i in range(n):
        full, first, last = names.full()
        b.add('  {"id": ' + str(rng.randint(100, 99999)) + ", ")
        if rng.random() < 0.5:
            b.add('"vorname": "').add(first, "PER").add('", "nachname": "').add(last, "PER").add('", ')
        else:
            b.add('"name": "').add(full, "PER").add('", ')
        b.add('"ort": "').add(fk.city(), "LOC").add('", "abteilung": "' + rng.choice(("Vertrieb", "HR", "IT")))
        b.add('"}' + ("," if i < n - 1 else "") + "\n")
    b.add("]")


def hr_note(b: Builder, names: Names, rng: random.Random) -> None:
    fk = names.fk
    b.add("Personalnotiz – ")
    _person(b, names, rng)
    b.add("\nGeburtsort: ").add(fk.city(), "LOC").add("\n")
    _fill(b, rng.choice((
        "Gespräch mit {l} am Dienstag. Leistung im letzten Quartal gut, Wunsch nach Versetzung nach {c}.",
        "{f} hat Elternzeit beantragt. Vertretung durch {p}. Rücksprache mit {l} (Betriebsrat) erfolgt.",
        "Zielvereinbarung mit {p} unterschrieben, nächster Termin mit {l} im Juli.",
    )), names, rng)


def ticket(b: Builder, names: Names, rng: random.Random) -> None:
    b.add(f"Ticket #{rng.randint(10000, 99999)} – {rng.choice(('VPN-Zugang', 'Drucker', 'Passwort', 'SAP'))}\n")
    b.add("Gemeldet von: ")
    _person(b, names, rng, title=False)
    b.add("\nStandort: ").add(names.fk.city(), "LOC").add("\n")
    _fill(b, rng.choice((
        "Beschreibung: {f} kommt seit heute früh nicht ins System. Bitte Rückmeldung an {l}.",
        "Zugewiesen an {p}. Kunde {o} wartet auf Lösung.",
        "Hallo Support, bitte den Zugang für {p} freischalten. Danke, {f}",
    )), names, rng)


def meeting(b: Builder, names: Names, rng: random.Random) -> None:
    b.add(f"Protokoll Jour fixe {rng.randint(1, 28)}.{rng.randint(1, 12)}.\nTeilnehmer: ")
    for i in range(rng.randint(2, 4)):
        b.add(", " if i else "")
        _person(b, names, rng)
    b.add("\n")
    for _ in range(rng.randint(1, 3)):
        b.add("- ")
        _fill(b, rng.choice(SENTENCES), names, rng)
        b.add("\n")


KINDS: tuple[tuple[Callable[[Builder, Names, random.Random], None], float], ...] = (
    (letter, 0.14), (signature, 0.08), (prose, 0.26), (chat, 0.12), (csv_records, 0.1), (json_records, 0.06),
    (hr_note, 0.08), (ticket, 0.08), (meeting, 0.08),
)


def generate(count: int, seed: int) -> Iterator[tuple[str, list[Span]]]:
    rng = random.Random(seed)
    fakers = []
    for i, locale in enumerate(LOCALES):
        fk = Faker(locale)
        fk.seed_instance(seed + i)
        fakers.append(fk)
    names = Names(rng, fakers)
    kinds, weights = zip(*KINDS, strict=True)
    for _ in range(count):
        b = Builder()
        rng.choices(kinds, weights)[0](b, names, rng)
        yield b.done()


if __name__ == "__main__":
    for text, spans in generate(5, 1):
        print(json.dumps({"text": text, "spans": [[s, e, lab, text[s:e]] for s, e, lab in spans]},
                         ensure_ascii=False))
