"""Person names from name lists: a first name with the surname after it, a known surname, two unknown name-like words.

This backs up the small English NER model, which misses names in short or informal text and most names that are
not English ("Tomomi Nishiyama", "Miklós Hajdu"), and is the only name finder besides cues for German text, which
has no NER model at all. One cheap regex finds runs of capitalised words; each run is then read word by word
against the lists in `name_lists.py` (Faker's first and last names of every locale, minus ordinary words):

- a first name, an optional initial and up to two capitalised words that are a known surname or no English word
  (a particle may sit before each: "Mário de Amaral"): 0.6 with a surname, 0.5 alone for the hand-picked common
  first names below, 0.45 alone for any other;
- a listed first name that is also a word (Helena, Summer, Grace: WordNet lists them) before a listed surname that
  is none: 0.5 ("Helena Alves"; "Summer Sale" and "Grace Period" are no names);
- two or three capitalised words that are no English words (an initial may sit between): 0.42, just over the
  threshold ("Tomomi Nishiyama");
- a known surname alone: 0.35, below the threshold, so it only counts with a context word ("name", "contact", …)
  or when the same word was found as a name elsewhere in the text.

German text (every noun capitalised) gets only the first-name rules: the surname from the surname list (a hyphenated
one with a listed part, particles such as "von der" before it), or, after a first name that is no word, one word the
lists lack that is no known word, place or noun-shaped word ("Noémie Muggerle", not "Anna Bestellung"). Double first
names count when every part is a first name ("Hans-Henning").
Lower-case names only for the hand-picked list, English text only, at a lower score.
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import RecognizerSpec, SpanMatch, terms_pattern
from proxy.detection.recognizers.name_lists import (
    GERMAN_WORDS,
    PLACE_NAMES,
    is_english_word,
    is_last_name,
)
from proxy.detection.recognizers.name_parts import SINGLE_PARTICLES, is_first_name_word, is_surname_word

# Common first names that are rarely ordinary words in practice, kept even where a dictionary lists them
# (George, Gary, John).
NAMES = frozenset("""
Aaron Abigail Adam Adrian Alexander Alexandra Alice Alicia Amanda Amelia Amy Andrea Andreas Andrew Angela Anna Anne
Annette Anthony Antonia Ashley Barbara Benjamin Bernd Birgit Brandon Brian Brittany Bruno Carina Carl Carla Carmen
Caroline Catherine Charles Charlotte Chloe Christian Christina Christine Christoph Christopher Claudia Daniel Daniela
Dennis Dieter Dirk Dominik Doris Dorothea Edward Elena Elias Elisabeth Elizabeth Ella Emilia Emily Emma Eric Erik
Esther Eva Fabian Felix Finn Florian Franziska Friedrich Gabriel Gabriele Gary Georg George Gerhard Gisela Gregor
Gregory Gudrun Günter Günther Hannah Hannelore Hans Harald Heike Heinz Helga Helmut Henry Holger Ines Ingrid Isabella
Jacob Jakob James Jan Jana Janet Jason Jennifer Jens Jessica Joachim Johann Johanna Johannes John Jonas Jonathan Jörg
Joseph Joshua Judith Julia Julian Juliane Jürgen Justin Karin Karl Katharina Katherine Kathrin Katrin Kerstin Kevin
Kimberly Klaus Kristina Lara Laura Lauren Lea Lena Leon Leonie Liam Lisa Lukas Luisa Lutz Manfred Manuel Manuela
Margarete Maria Marie Marina Mario Markus Marta Martha Martin Matthew Matthias Maximilian Megan Melanie Melissa
Michael Michaela Michelle Mia Monika Nadine Natalie Nathan Nicholas Nicole Niklas Nina Noah Norbert Oliver Olivia
Oskar Otto Pamela Patrick Paul Paula Peter Petra Philipp Rachel Rainer Ralf Rebecca Regina Reinhard Renate Richard
Robert Ronald Rudolf Ryan Sabine Samantha Samuel Sandra Sara Sarah Sebastian Silke Simon Sophia Sophie Stefan
Stefanie Stephanie Steven Susanne Sven Sylvia Tanja Thomas Thorsten Timothy Tobias Torsten Ulrich Ulrike Ursula Ute
Uwe Valentina Vanessa Victoria Walter Werner William Wolfgang Yvonne Zoe
""".split())
# Lower-case forms only of names that are no English word (so not "bill", "mark", "will", "sue", …).
_LOWER_OK = tuple(n.lower() for n in sorted(NAMES) if len(n) >= 4 and n.isascii() and n not in {
    "Carl", "Paul", "Hans", "Jacob", "Otto", "Nina", "Lara", "Anna", "Ella", "Lena", "Finn", "Noah", "Jana", "Jens",
    "Gary", "John", "George"})

FULL_NAME, KNOWN_FIRST_NAME, FIRST_NAME, WEAK_NAME, UNKNOWN_PAIR = 0.6, 0.5, 0.45, 0.35, 0.42
_PARTICLE_WORDS = SINGLE_PARTICLES
_PARTICLES = "|".join(sorted(_PARTICLE_WORDS, key=len, reverse=True))
# Runs of capitalised words (and initials) separated by single spaces; up to two name particles may sit between
# them ("von der Groeben").
_CAPITALISED = r"\p{Lu}[\p{L}'’-]*\.?"
_RUN = regex.compile(rf"(?<![\w@/.'’-]){_CAPITALISED}(?:[ ](?:(?:{_PARTICLES})[ ]){{0,2}}{_CAPITALISED})*")
_WORD = regex.compile(r"\S+")


def _words(run: regex.Match[str]) -> list[tuple[int, int, str]]:
    """(start, end, word) of a run's words; a sentence's full stop after a word of three letters or more is cut."""
    out = []
    for m in _WORD.finditer(run.group()):
        word, end = m.group(), run.start() + m.end()
        if word.endswith(".") and len(word) > 3:
            word, end = word[:-1], end - 1
        if word.endswith(("'s", "’s")):
            word, end = word[:-2], end - 2
        out.append((run.start() + m.start(), end, word))
    return out


def _is_initial(word: str) -> bool:
    return len(word) <= 2 and word[0].isupper() and word.rstrip(".").isalpha() and len(word.rstrip(".")) == 1


def _is_name_like(word: str) -> bool:
    """A capitalised word of two letters or more, not all capitals (acronyms), with some lower-case letter."""
    return len(word) > 1 and word[0].isupper() and any(c.islower() for c in word)


def _surname(word: str, german: bool) -> bool:
    if not _is_name_like(word) or word.lower() in _PARTICLE_WORDS:
        return False
    # After a first name a listed surname counts even where it is a word (Young, Bauer), and so does a hyphenated
    # one with a listed part (Müller-Lüdenscheidt); in English text so does any word that is no English word (most
    # surnames the lists lack).
    # A hyphenated one needs every part written like a name: "Steuer-ID", "US-Dollar", "E-Mail" are labels.
    if "-" in word and not _name_parts(word):
        return False
    return is_surname_word(word) or (not german and not is_english_word(word))


# German nouns end so; surnames rarely do ("Anna Bestellung" is a first name and a noun).
_NOUN_ENDING = regex.compile(r"(?:ung|heit|keit|schaft|ion|tät|nis|tum|ment|enz|anz|ik|ur|ei|chen|ismus|ist|ie"
                             r"|ität|age|ums|en|ern|ens)$")


def _name_parts(word: str) -> bool:
    """Every hyphen part capitalised and lower-case after its first letter (not "RdNr", "US-Dollar", "Steuer-ID")."""
    return all(len(p) > 1 and p[1:].islower() for p in word.split("-"))


def _unlisted_german_surname(word: str) -> bool:
    """After a first name that is no word, a capitalised word the lists lack is read as a surname in German text
    ("Noémie Muggerle"), unless it is a known word, a place or shaped like a noun."""
    return (_is_name_like(word) and _name_parts(word)
            and word.lower() not in GERMAN_WORDS and not is_english_word(word)
            and word not in PLACE_NAMES and not _NOUN_ENDING.search(word.split("-")[-1]))


def _surnames_end(words: list[tuple[int, int, str]], j: int, german: bool, *, listed_only: bool = False,
                  particles: bool = True, unlisted: bool = False) -> int:
    """The index after up to two surnames from `words[j]` on, with `particles` one allowed before each ("Diego de
    Neto", "Mário de Amaral"); `j` when no surname follows. `listed_only`: only listed surnames that are no words;
    `unlisted`: in German text the first surname may be one the lists lack (see `_unlisted_german_surname`)."""
    end = k = j
    while k < len(words) and k - j < 5 and end - j < 4:
        for _ in range(2):  # "von der Groeben"
            if particles and words[k][2].lower() in _PARTICLE_WORDS and k + 1 < len(words):
                k += 1
        word = words[k][2]
        listed = is_last_name(word) or ("-" in word and _name_parts(word) and is_surname_word(word))
        if not (listed if listed_only else _surname(word, german)) and not (
                unlisted and german and end == j and _unlisted_german_surname(word)):
            break
        k = end = k + 1
    return end


def find_names(text: str, *, german: bool = False) -> list[SpanMatch]:
    """Name spans in `text` by the rules in the module docstring."""
    found = []
    for run in _RUN.finditer(text):
        words = _words(run)
        i = 0
        while i < len(words):
            start, end, word = words[i]
            if word in NAMES or is_first_name_word(word, loose=True):
                j = i + 1
                if j < len(words) and _is_initial(words[j][2]):
                    j += 1
                # A first name that is also a word (Helena, Summer, Grace) counts only before a listed surname
                # that is none: "Helena Alves", not "Summer Sale".
                listed_only = not (word in NAMES or is_first_name_word(word))
                k = _surnames_end(words, j, german, listed_only=listed_only, unlisted=not listed_only)
                if k > j and not (listed_only and text[start:words[k - 1][1]] in PLACE_NAMES):  # "Santa Cruz"
                    score = KNOWN_FIRST_NAME if listed_only else FULL_NAME
                    found.append(SpanMatch(start, words[k - 1][1], score, "first name and surname"))
                    i = k
                    continue
                if listed_only:
                    i += 1
                    continue
                known = word in NAMES or ("-" in word and all(p in NAMES for p in word.split("-")))
                score = KNOWN_FIRST_NAME if known or "-" in word else FIRST_NAME
                if not german or known or "-" in word:
                    found.append(SpanMatch(start, end, score, "first name"))
            elif not german and _is_name_like(word) and not is_english_word(word):
                j = i + 2 if i + 1 < len(words) and _is_initial(words[i + 1][2]) else i + 1
                # No particle after an unknown word: "Schließen der Saug-" (German read as English) is no name.
                k = _surnames_end(words, j, german, particles=False)
                if k > j or is_last_name(word):
                    score = UNKNOWN_PAIR if k > j else WEAK_NAME
                    found.append(SpanMatch(start, words[k - 1][1], score, "surname or unknown name"))
                    i = k
                    continue
            i += 1
    return found


def _find_german(text: str) -> list[SpanMatch]:
    return find_names(text, german=True)


SPEC = RecognizerSpec(name="FirstNameRecognizer", entity_type="PERSON", finder=find_names, languages=("en",),
                      context=("name", "surname", "contact", "called", "mr", "mrs", "ms", "dr"))

GERMAN_SPEC = RecognizerSpec(name="FirstNameRecognizer", entity_type="PERSON", finder=_find_german,
                             languages=("de",))


LOWERCASE_SPEC = RecognizerSpec(
    name="FirstNameLowercaseRecognizer",
    entity_type="PERSON",
    patterns=(terms_pattern("first name lower-case", _LOWER_OK, 0.45, before=r"(?<![\w@.-])", after=r"(?![\w@-])"),),
    languages=("en",),
    case_sensitive=True,
)
