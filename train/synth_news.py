"""Synthetic German news and encyclopedia sentences with PER, LOC and ORG spans (Faker, fixed seed).

The real corpora are historic newspapers, traffic reports and letters; German text people paste also holds news
and reference prose where a person is often named by the surname alone ("Laut Rummenigge …", "Zabels
Entscheidung") and names come from every country. Names here come from German and 14 other Latin-script locales;
half of the texts are written with spaces around punctuation, as tokenised corpora are.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator

from faker import Faker
from synth_de import Builder, Span

LOCALES = ("de_DE", "de_AT", "de_CH", "en_US", "en_GB", "fr_FR", "it_IT", "es_ES", "pl_PL", "tr_TR", "nl_NL",
           "cs_CZ", "pt_BR", "sv_SE", "hu_HU", "hr_HR", "da_DK", "fi_FI")
ROLES = ("Trainer", "Bundeskanzler", "Ministerpräsident", "Bürgermeister", "Sänger", "Schauspielerin", "Autor",
         "Regisseur", "Abgeordnete", "Stürmer", "Torhüter", "Vorstandschef", "Präsident", "Komponist", "Forscherin",
         "Sprecher", "Parteichef", "Kapitän", "Geschäftsführer", "Richterin")
PARTIES = ("CDU", "SPD", "FDP", "CSU", "Grüne", "ÖVP", "SPÖ", "SVP")
TEMPLATES = (
    "{p} ( * {d} in {c} ) ist ein {adj} {job} .",
    "{p} ( * {d} in {c} ; † {d} in {c} ) war eine {adj}e {job}in .",
    "{s} sagte am Montag in {c} , man werde die Entscheidung prüfen .",
    "Laut {s} ist die Lage in {c} weiterhin angespannt .",
    "{role} {p} hat seinen Rücktritt angekündigt .",
    "Im Jahr {y} wechselte {s} zu {o} nach {c} .",
    "{p} ( {party} ) kritisierte den Vorschlag scharf .",
    "Das Tor zum 1:0 erzielte {s} in der {n}. Minute .",
    "{g} Entscheidung sorgte in {c} für Aufregung .",
    "Nach Angaben von {o} wurde {p} in {c} festgenommen .",
    "Die Ausstellung zeigt Werke von {p} und {p} .",
    "{s} gewann das Rennen vor {s} und {p} .",
    "Er heiratete {y} {p} , die Tochter des {job}s {p} .",
    "Der Film von {p} spielt im {c} der {y}er Jahre .",
    "{p} , Sprecher von {o} , bestätigte den Bericht .",
    "Bei der Wahl in {c} setzte sich {s} gegen {s} durch .",
    "Seine Schwester {f} lebt heute in {c} .",
    "Das Album wurde von {p} in {c} produziert .",
    "Die Firma {o} mit Sitz in {c} beschäftigt {n}0 Mitarbeiter .",
    "{p} gilt als einer der bekanntesten {job} {country}s .",
    "Gegen {s} wird wegen Betrugs ermittelt , teilte die Staatsanwaltschaft {c} mit .",
    "Zu den Gästen gehörten {p} , {p} und {s} .",
)


def _surname(fk: Faker, rng: random.Random) -> str:
    name = fk.last_name()
    return name.split()[-1] if rng.random() < 0.5 else name


def generate(count: int, seed: int) -> Iterator[tuple[str, list[Span]]]:
    rng = random.Random(seed)
    fakers = []
    for i, locale in enumerate(LOCALES):
        fk = Faker(locale)
        fk.seed_instance(seed + i)
        fakers.append(fk)
    german = fakers[:3]
    for _ in range(count):
        b = Builder()
        for k in range(rng.randint(1, 3)):
            if k:
                b.add(" ")
            _sentence(b, rng.choice(TEMPLATES), rng, fakers, german)
        text, spans = b.done()
        if rng.random() < 0.5:  # untokenised style: no space before punctuation
            text, spans = _close_punctuation(text, spans)
        yield text, spans


def _sentence(b: Builder, template: str, rng: random.Random, fakers: list[Faker], german: list[Faker]) -> None:
    for piece in template.replace("{", "\0{").replace("}", "}\0").split("\0"):
        fk = rng.choice(fakers) if rng.random() < 0.6 else rng.choice(german)
        if piece == "{p}":
            b.add(f"{fk.first_name()} {fk.last_name()}", "PER")
        elif piece == "{s}":
            b.add(_surname(fk, rng), "PER")
        elif piece == "{g}":  # genitive: the whole word is the name, as GermEval marks it
            name = _surname(fk, rng)
            b.add(name + ("'" if name[-1] in "sxzß" else "s"), "PER")
        elif piece == "{f}":
            b.add(fk.first_name(), "PER")
        elif piece == "{c}":
            b.add(fk.city(), "LOC")
        elif piece == "{country}":
            b.add(rng.choice(german).country(), "LOC")
        elif piece == "{o}":
            b.add(fk.company(), "ORG")
        elif piece == "{role}":
            b.add(rng.choice(ROLES))
        elif piece == "{party}":
            b.add(rng.choice(PARTIES), "ORG")
        elif piece == "{job}":
            b.add(rng.choice(("Schauspieler", "Politiker", "Musiker", "Fußballspieler", "Maler", "Journalist")))
        elif piece == "{adj}":
            b.add(rng.choice(("deutsch", "österreichisch", "schweizerisch", "französisch", "italienisch")) + "er")
        elif piece == "{d}":
            b.add(f"{rng.randint(1, 28)}. {rng.choice(('Januar', 'März', 'Mai', 'Juli', 'Oktober'))} "
                  f"{rng.randint(1900, 2005)}")
        elif piece in ("{y}", "{n}"):
            b.add(str(rng.randint(1950, 2024) if piece == "{y}" else rng.randint(1, 90)))
        else:
            b.add(piece)


_SPACE_BEFORE = re.compile(r" (?=[.,;:)])|(?<=\() ")


def _close_punctuation(text: str, spans: list[Span]) -> tuple[str, list[Span]]:
    """Remove the spaces before . , ; : ) and after (, moving the spans with the text."""
    removed = [m.start() for m in _SPACE_BEFORE.finditer(text)]
    if not removed:
        return text, spans

    def shift(pos: int) -> int:
        return pos - sum(1 for r in removed if r < pos)

    out = _SPACE_BEFORE.sub("", text)
    return out, [(shift(s), shift(e), label) for s, e, label in spans]
