"""The pieces names are made of, shared by the name recognizers and by `detection/name_forms.py`.

- Particles: `von`, `van`, `zu`, `de`, … and their two-word forms (`von der`, `van der`, `von dem`, `de la`), as
  German, Dutch, French and Italian surnames carry them: "Hans-Henning von der Groeben", "Jost zu Dohna".
- Hyphenated first names and surnames: "Hans-Henning", "Müller-Lüdenscheidt". A hyphenated first name is one whose
  parts are all first names; a hyphenated surname is one with a listed surname among its parts.
- A name word: capitalised, letters, apostrophes and hyphens ("O'Brien", "Schmiedecke-Hauffer").
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.name_lists import FIRST_NAMES, LAST_NAMES, is_first_name

# Longest first, so "von der" wins over "von". Lower case only (a capitalised "Von" starts a sentence: "Von Berlin
# aus …"), except where a caller allows it.
PARTICLE_WORDS = ("von und zu", "von der", "von dem", "von den", "van der", "van den", "van de", "de la", "de los",
                  "von", "van", "vom", "zum", "zur", "zu", "de", "da", "del", "della", "der", "den", "di", "du",
                  "le", "la", "ten", "ter", "dos", "das")
PARTICLE = "(?:" + "|".join(w.replace(" ", "[ ]") for w in PARTICLE_WORDS) + ")"
# Particles that are no ordinary German word on their own: whatever capitalised word follows is read as a surname.
# The others ("zu", "de", "la", …) also start "zu Hause", "de facto": only a listed surname may follow them.
STRONG_PARTICLE = "(?:" + "|".join(w.replace(" ", "[ ]") for w in PARTICLE_WORDS
                                    if " " in w or w in ("von", "van", "vom", "ten", "ter")) + ")"
WEAK_PARTICLE = "(?:zu|zum|zur|de|da|del|della|di|du|le|la|dos)"
# What may open a surname or sit between a name's words where nothing else checks the words: never a German
# article alone ("Herr der Ringe", "Meier das Protokoll").
NAME_PARTICLE = f"(?:{STRONG_PARTICLE}|{WEAK_PARTICLE})"
SINGLE_PARTICLES = frozenset(w for p in PARTICLE_WORDS for w in p.split(" ") if w != "und")
# One capitalised name word (hyphen parts included) and a run of particles before a surname.
# Written so that no run of letters can be split two ways (a lookahead for the lower-case letter, possessive
# repeats): a very long word costs linear time, not quadratic (bench/pathological.py).
_PART = r"\p{Lu}(?=[\p{Lu}'’]*\p{Ll})[\p{L}'’]*+"
NAME_WORD = rf"{_PART}(?:-{_PART})*+"
PARTICLES_BEFORE = rf"(?:{NAME_PARTICLE}[ ])"
# A person's name as people write it: words, particles between them, a nickname in quotes after the first name.
NICKNAME = r"[\"„“”'‘‚»«]\p{Lu}[\p{L}'’-]*[\"“”'’‘»«]"
FULL_NAME = rf"{NAME_WORD}(?:[ ]{NICKNAME})?(?:[ ]{PARTICLES_BEFORE}?{NAME_WORD}){{0,3}}"


# A legal form or a team word makes a run of capitalised words a company or a group, not a person.
COMPANY = regex.compile(r"(?i)(?<![\w-])(?:gmbh|ag|kg|ohg|gbr|se|ug|e\.v|inc|ltd|llc|corp|co|plc|team|abteilung"
                        r"|group|gruppe|support|service)(?![\w-])")


def is_particle(word: str) -> bool:
    return word.lower() in SINGLE_PARTICLES


def is_first_name_word(word: str, *, loose: bool = False) -> bool:
    """A first name (no ordinary word) or a hyphenated one whose parts are all listed first names ("Hans-Henning",
    "Marie-José"). `loose`: any listed first name, also one that is a word (Grace, Ernst)."""
    if word in FIRST_NAMES and (loose or is_first_name(word)):
        return True
    parts = word.split("-")
    return len(parts) > 1 and all(p in FIRST_NAMES for p in parts) and (loose or any(is_first_name(p) for p in parts))


def is_surname_word(word: str) -> bool:
    """A listed surname, or a hyphenated one with a listed surname among its capitalised parts
    ("Müller-Lüdenscheidt")."""
    if word in LAST_NAMES:
        return True
    parts = word.split("-")
    return len(parts) > 1 and all(p[:1].isupper() for p in parts) and any(p in LAST_NAMES for p in parts)


def is_name_word(word: str) -> bool:
    """A listed first name or surname, hyphen parts included."""
    return is_first_name_word(word, loose=True) or is_surname_word(word)
