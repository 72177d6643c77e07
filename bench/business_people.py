"""People, identifiers and a span-recording text builder for the business-text corpus (bench/business_corpus.py).

Names come from Faker's de_DE, de_AT and de_CH providers (English: en_US, en_GB) and are given the forms German
offices write: particles (von, van, zu, von der, van der, de), hyphenated first names and surnames, nicknames in
quotes, surnames that are ordinary words (Koch, Wolf, Love, Green). Steuer-IDs are valid (frequency rule and
ISO 7064 check digit) and written in every grouping people use; dates of birth with the month written out or
abbreviated. Everything is drawn from one `random.Random` and one seeded Faker, so a part repeats exactly for a
given Faker version.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from faker import Faker

from proxy.detection.recognizers.name_lists import FIRST_NAMES, GERMAN_WORDS, LAST_NAMES

# Surnames (and first names) that are also ordinary words, the kind a word filter lets through.
WORD_SURNAMES_DE = ("Koch", "Wolf", "Vogel", "Fuchs", "Winter", "Sommer", "Kraft", "Stein", "Hahn", "Engel",
                    "Kaiser", "König", "Graf", "Glück", "Frei", "Bach", "Berg", "Wald", "Lang", "Klein")
WORD_NAMES_EN = (("Grace", "Love"), ("Crystal", "Green"), ("Faith", "Moody"), ("Joy", "Baker"), ("Hope", "Rivers"),
                 ("Summer", "Stone"), ("Hunter", "Rich"), ("Rose", "Bell"), ("Dawn", "Fields"), ("Art", "Price"))
PARTICLES = ("von", "van", "zu", "von der", "van der", "de", "von dem", "vom")
# Syllables for made-up surnames ("Wetschbrann", "Plönkerle"): the long tail of real surnames no list holds.
_ONSETS = ("Kr", "Br", "St", "W", "H", "L", "M", "Sch", "Pf", "G", "Tr", "Bl", "Pl", "Z", "Kn", "Dr")
_MIDDLES = ("tsch", "nk", "rb", "lz", "mm", "gg", "st", "ck", "rn", "ld", "tz", "ss")
_ENDINGS = ("brann", "erle", "mayr", "inger", "ow", "ke", "hold", "wanger", "eder", "isch", "at", "ner")
MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember")
MONTHS_ABBR = ("Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez.")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    female: bool
    nick: str = ""
    title: str = ""  # Dr., Prof. Dr. (outside the gold span)

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def with_nick(self) -> str:
        return f'{self.first} "{self.nick}" {self.last}' if self.nick else self.full

    @property
    def anrede_de(self) -> str:
        return "Frau" if self.female else "Herr"

    @property
    def geehrt(self) -> str:
        return "Sehr geehrte Frau" if self.female else "Sehr geehrter Herr"


def _plain(names: list[str]) -> list[str]:
    return [n for n in names if n.isalpha() and n[0].isupper() and len(n) > 2]


class People:
    """Draws people and identifiers for one corpus part."""

    def __init__(self, rng: random.Random, seed: int, english: bool = False, invented: bool = False) -> None:
        self.rng = rng
        self.english = english
        self.invented = invented  # surnames made up from syllables, none in any name list
        self.fake = Faker(["en_US", "en_GB"] if english else ["de_DE", "de_AT", "de_CH"])
        self.fake.seed_instance(seed)

    def _first(self, female: bool) -> str:
        pick = self.fake.first_name_female if female else self.fake.first_name_male
        name = pick()
        while not name.replace("-", "").isalpha():
            name = pick()
        if not self.english and "-" not in name and self.rng.random() < 0.2:
            other = pick()
            if other.isalpha() and other != name:
                name = f"{name}-{other}"
        return name

    def _made_up(self) -> str:
        while True:
            name = (self.rng.choice(_ONSETS) + self.rng.choice("aeiouäöü") + self.rng.choice(_MIDDLES)
                    + self.rng.choice(_ENDINGS))
            if name not in LAST_NAMES and name not in FIRST_NAMES and name.lower() not in GERMAN_WORDS:
                return name

    def _surname(self) -> str:
        if self.invented:
            return self._made_up()
        last = self.fake.last_name()
        while not last.isalpha() or not last[0].isupper():
            last = self.fake.last_name()
        return last

    def _last(self) -> str:
        last = self._surname()
        r = self.rng.random()
        if self.english:
            return last
        if r < 0.18:
            other = self._made_up() if self.invented else self.fake.last_name()
            return f"{last}-{other}" if other.isalpha() and other != last else last
        if r < 0.40:
            return f"{self.rng.choice(PARTICLES)} {last}"
        if r < 0.50:
            return self.rng.choice(WORD_SURNAMES_DE)
        return last

    def person(self, *, nick: bool = False, title: bool = False) -> Person:
        female = self.rng.random() < 0.5
        if self.english and self.rng.random() < 0.2:
            first, last = self.rng.choice(WORD_NAMES_EN)
            female = True
        else:
            first, last = self._first(female), self._last()
        nickname = ""
        if nick:
            base = first.split("-")[0]
            nickname = (base[:3] + "i") if not self.english else (base[:3] + "y")
        t = self.rng.choice(("Dr.", "Prof. Dr.", "Dr.")) if title else ""
        return Person(first, last, female, nickname, t)

    def people(self, n: int, **kw: bool) -> list[Person]:
        out: list[Person] = []
        while len(out) < n:
            p = self.person(**kw)
            if all(p.last != q.last and p.first != q.first for q in out):
                out.append(p)
        return out

    def tax_id(self) -> str:
        """A valid Steuer-ID in one of the groupings people write."""
        while True:
            digits = [self.rng.randint(1, 9)] + [self.rng.randint(0, 9) for _ in range(9)]
            counts = {d: digits.count(d) for d in digits}
            repeated = [d for d, c in counts.items() if c > 1]
            if len(repeated) == 1 and counts[repeated[0]] == 2:
                break
        s = "".join(map(str, digits))
        s += str(_check_digit(s))
        form = self.rng.choice(("plain", "2333", "3332", "3332", "dots", "slashes", "2333dots", "443"))
        return {"plain": s, "2333": f"{s[:2]} {s[2:5]} {s[5:8]} {s[8:]}", "3332": f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}",
                "dots": f"{s[:3]}.{s[3:6]}.{s[6:9]}.{s[9:]}", "slashes": f"{s[:3]}/{s[3:6]}/{s[6:9]}/{s[9:]}",
                "2333dots": f"{s[:2]}.{s[2:5]}.{s[5:8]}.{s[8:]}", "443": f"{s[:4]} {s[4:8]} {s[8:]}"}[form]

    def dob(self) -> str:
        """A date of birth as written in German text: month name, abbreviation or digits."""
        d, m, y = self.rng.randint(1, 28), self.rng.randint(1, 12), self.rng.randint(1950, 2002)
        if self.english:
            return self.rng.choice((f"{MONTHS_EN[m - 1]} {d}, {y}", f"{d} {MONTHS_EN[m - 1]} {y}",
                                    f"{MONTHS_EN[m - 1][:3]} {d}, {y}"))
        form = self.rng.choice(("long", "abbr", "long", "digits", "abbr_nodot"))
        return {"long": f"{d}. {MONTHS[m - 1]} {y}", "abbr": f"{d}. {MONTHS_ABBR[m - 1]} {y}",
                "digits": f"{d:02d}.{m:02d}.{y}", "abbr_nodot": f"{d:02d}. {MONTHS_ABBR[m - 1].rstrip('.')} {y}"}[form]

    def company(self) -> str:
        name = self.fake.company()
        while " " not in name:  # a bare surname as a company name is a person's name to any reader
            name = self.fake.company()
        return name

    def city(self) -> str:
        return self.fake.city()

    def job(self) -> str:
        return self.fake.job()

    def phone(self) -> str:
        return self.fake.phone_number()

    def email(self, p: Person, domain: str = "") -> str:
        dom = domain or self.rng.choice(("firma.de", "example.com", "beispiel.at", "muster.ch"))
        return f"{p.first.split('-')[0].lower()[:1]}.{p.last.split(' ')[-1].lower()}@{dom}"


def _check_digit(digits: str) -> int:
    product = 10
    for ch in digits:
        total = (int(ch) + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


@dataclass
class Doc:
    """A text being written, with the gold spans of what it plants."""

    parts: list[str] = field(default_factory=list)
    spans: list[dict[str, object]] = field(default_factory=list)
    length: int = 0

    def add(self, *texts: str) -> Doc:
        for t in texts:
            self.parts.append(t)
            self.length += len(t)
        return self

    def span(self, label: str, value: str) -> Doc:
        self.spans.append({"start": self.length, "end": self.length + len(value), "label": label, "text": value})
        return self.add(value)

    def name(self, value: str) -> Doc:
        return self.span("PERSON", value)

    def record(self, rid: str, lang: str, kind: str) -> dict[str, object]:
        return {"id": rid, "lang": lang, "kind": kind, "text": "".join(self.parts), "spans": self.spans}
