"""Name swapping: copies of real training sentences with every person's name replaced by another, made-up one.

The real corpora name few modern people (Europeana's are from 19th-century newspapers, Sturm's from letters of
1914-1922); the synthetic text names many, but in a few dozen templates. Swapping gives the model the real
sentences' contexts with names from 18 Faker locales (the same ones as synth_news.py), so what it learns is where a
name stands, not which names a century of newspapers held. A one-word name becomes a surname (or, one time in
five, a first name), a longer one a first name and a surname, sometimes with a second first name or a particle;
the shape of the original's genitive (`Bismarcks`) is kept. Other entities stay as they are. Fixed seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator

from faker import Faker
from spacy.tokens import Doc
from synth_news import LOCALES

PARTICLES = ("von", "van", "de", "von der", "van der", "zu", "di", "da")


def _fakers(seed: int) -> list[Faker]:
    out = []
    for i, locale in enumerate(LOCALES):
        fk = Faker(locale)
        fk.seed_instance(seed + i)
        out.append(fk)
    return out


def _name(original: str, fk: Faker, rng: random.Random) -> str:
    words = original.split()
    last = fk.last_name()
    if len(words) == 1:
        name = fk.first_name() if rng.random() < 0.2 else last.split()[-1]
    else:
        first = fk.first_name()
        if len(words) > 2 and rng.random() < 0.5:
            first = f"{first} {fk.first_name()}"
        if rng.random() < 0.08:
            last = f"{rng.choice(PARTICLES)} {last}"
        name = f"{first} {last}"
    if original.endswith("s") and not original.endswith(("ss", "us", "is")) and rng.random() < 0.5:
        name += "'" if name[-1] in "sxzß" else "s"  # a genitive stays a genitive, sometimes
    return name


def swapped(docs: Iterable[Doc], seed: int) -> Iterator[tuple[str, list[tuple[int, int, str]]]]:
    """(text, spans) for each doc that names a person: the doc's text with every PER span replaced."""
    rng = random.Random(seed)
    fakers = _fakers(seed)
    for doc in docs:
        if not any(e.label_ == "PER" for e in doc.ents):
            continue
        pieces: list[str] = []
        spans: list[tuple[int, int, str]] = []
        pos = 0
        length = 0
        for ent in doc.ents:
            pieces.append(doc.text[pos:ent.start_char])
            length += ent.start_char - pos
            value = _name(ent.text, rng.choice(fakers), rng) if ent.label_ == "PER" else ent.text
            spans.append((length, length + len(value), ent.label_))
            pieces.append(value)
            length += len(value)
            pos = ent.end_char
        pieces.append(doc.text[pos:])
        yield "".join(pieces), spans
