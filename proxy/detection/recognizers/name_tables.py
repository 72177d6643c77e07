"""Names and dates of birth in exported records: CSV, TSV and Markdown tables, and JSON objects.

A column (or a JSON key) named for a person (`Name`, `Vorname`, `Nachname`, `Mitarbeiter`, `Kunde`,
`Verantwortlich`, `first_name`, `Owner`, `customerName`, …) makes its cells PERSON; one named for a date of birth
(`Geburtsdatum`, `geb.`, `DOB`, `date_of_birth`) makes its cells DATE_OF_BIRTH. Surnames written alone in a
`Nachname` column ("Koch", "Bach") are names there, whatever they mean elsewhere; the rest of the text then finds
them again through name propagation.

A cell of a person column counts when it looks like a name: capitalised words (particles and hyphens allowed), no
digits, no `@`; a column that only says "name" must also hold a listed first or last name (a product list has a
`Name` column too). Any language: a header is a header. A header says more than the model's guess from the cell
alone, so a person cell's score (0.9) outranks the model's (0.85): a hyphenated surname in a `Nachname` column that
the model calls a place is redacted as a PERSON, and the placeholder tells the upstream model what it is.
"""

from __future__ import annotations

from collections.abc import Iterator

import regex

from proxy.detection.recognizers.base import RecognizerSpec, SpanMatch
from proxy.detection.recognizers.name_parts import COMPANY, FULL_NAME, PARTICLES_BEFORE, is_name_word

# Header words, lower-cased with everything but letters removed ("First Name", "first_name" -> "firstname").
_PERSON_PART = frozenset("""vorname nachname familienname firstname lastname surname givenname familyname rufname
""".split())
_PERSON_FULL = frozenset("""name fullname vollername mitarbeiter mitarbeiterin mitarbeiterinnen kunde kundin
kundenname ansprechpartner ansprechpartnerin kontakt kontaktperson verantwortlich verantwortliche verantwortlicher
zustaendig zuständig bearbeiter bearbeiterin teilnehmer teilnehmerin person owner employee employeename contact
contactname contactperson customer customername assignee manager author reviewer sender recipient empfänger
absender vertreter vertretung patient patientin bewerber bewerberin candidate applicant requester antragsteller
antragstellerin sachbearbeiter sachbearbeiterin mieter mieterin inhaber inhaberin""".split())
_DOB = frozenset("""geburtsdatum gebdatum geburtstag geboren geb dob dateofbirth birthdate birthday birthdatum
""".split())
_DELIMITERS = (";", "\t", "|", ",")
# A cheap test before a line is split into cells: does it hold any header word at all? ("first_name" and "Full Name"
# hold "name"; "dateOfBirth" holds "birth".)
_HINT = regex.compile("|".join(sorted({"name", "birth", "dob", "geb", "person", "kund", "mitarbeit", "kontakt",
                                       "contact", "owner", "assignee", "manager", "author", "reviewer", "sender",
                                       "recipient", "empfänger", "absender", "vertret", "patient", "bewerber",
                                       "candidate", "applicant", "requester", "antragsteller", "bearbeiter",
                                       "mieter", "inhaber", "teilnehmer", "verantwortlich", "zustaendig",
                                       "zuständig", "ansprechpartner", "employee", "customer"})), regex.IGNORECASE)
_RULE_CHARS = regex.compile(r"[ \t|:+-]*")  # a Markdown table's rule line, with "---" in it
_JSON_PAIR = regex.compile(r'"([A-Za-z_ÄÖÜäöü][\w ]{0,30})"[ \t]*:[ \t]*"([^"\\\n]{1,100})"')
_NAME_CELL = regex.compile(rf"{PARTICLES_BEFORE}?{FULL_NAME}")
PERSON_SCORE, DOB_SCORE = 0.9, 0.85


def _key(header: str) -> str:
    return regex.sub(r"[^\p{L}]", "", header.lower())


def _column_kind(header: str) -> str | None:
    key = _key(header)
    if key in _DOB:
        return "dob"
    if key in _PERSON_PART:
        return "part"
    if key in _PERSON_FULL:
        return "full"
    return None


def _cells(text: str, start: int, end: int, delimiter: str) -> list[tuple[int, int]]:
    """[start, end) of each cell of one line, trimmed of spaces and quotes; a Markdown line's outer pipes dropped."""
    line = text[start:end]
    cells, cursor = [], 0
    for piece in line.split(delimiter):
        s, e = cursor, cursor + len(piece)
        cursor = e + 1
        while s < e and line[s] in " \t\"'":
            s += 1
        while e > s and line[e - 1] in " \t\"'\r":
            e -= 1
        cells.append((start + s, start + e))
    if delimiter == "|" and line.strip().startswith("|"):
        cells = cells[1:]
    if delimiter == "|" and line.strip().endswith("|"):
        cells = cells[:-1]
    return cells


def _person_value(value: str, kind: str) -> tuple[int, int] | None:
    """The name inside a person cell (offsets into `value`), or None when the cell does not hold one."""
    if not value or any(c.isdigit() for c in value) or "@" in value or COMPANY.search(value):
        return None
    m = _NAME_CELL.match(value)
    if m is None or len(value) - m.end() > 1:
        return None
    words = [w for w in regex.split(r"[ ]+", m.group()) if w[:1].isupper()]
    if kind == "full" and not any(is_name_word(w.strip("\"„“”'‘‚»«")) for w in words):
        return None
    return m.span()


def _findings(kind_wanted: str, text: str, start: int, end: int, kind: str) -> Iterator[SpanMatch]:
    value = text[start:end]
    if kind_wanted == "dob":
        if kind == "dob" and any(c.isdigit() for c in value) and len(value) <= 24:
            yield SpanMatch(start, end, DOB_SCORE, "date-of-birth column")
    elif kind in ("part", "full") and (span := _person_value(value, kind)):
        yield SpanMatch(start + span[0], start + span[1], PERSON_SCORE, f"{kind} name column")


def _tables(text: str, kind_wanted: str) -> Iterator[SpanMatch]:
    lines, offset = [], 0
    for line in text.split("\n"):
        lines.append((offset, offset + len(line)))
        offset += len(line) + 1
    i = 0
    while i < len(lines):
        s, e = lines[i]
        header = text[s:e]
        delimiter = next((d for d in _DELIMITERS if d in header), None)
        if delimiter is None or not _HINT.search(header):
            i += 1
            continue
        kinds = [_column_kind(text[a:b]) for a, b in _cells(text, s, e, delimiter)]
        if not any(kinds) or len(kinds) < 2:
            i += 1
            continue
        j = i + 1
        while j < len(lines):
            rs, re_ = lines[j]
            row = text[rs:re_]
            if "---" in row and _RULE_CHARS.fullmatch(row):
                j += 1
                continue
            if not row.strip() or row.count(delimiter) < len(kinds) - 1 - (delimiter == "|"):
                break
            for (a, b), kind in zip(_cells(text, rs, re_, delimiter), kinds, strict=False):
                if kind:
                    yield from _findings(kind_wanted, text, a, b, kind)
            j += 1
        i = j


def _json(text: str, kind_wanted: str) -> Iterator[SpanMatch]:
    for m in _JSON_PAIR.finditer(text):
        kind = _column_kind(m.group(1))
        if kind:
            yield from _findings(kind_wanted, text, m.start(2), m.end(2), kind)


def find_people(text: str) -> list[SpanMatch]:
    """PERSON cells of person columns and values of person keys."""
    if "\n" not in text and '":' not in text:
        return []
    return [*_tables(text, "person"), *_json(text, "person")]


def find_dates_of_birth(text: str) -> list[SpanMatch]:
    """DATE_OF_BIRTH cells of date-of-birth columns and values of date-of-birth keys."""
    if "\n" not in text and '":' not in text:
        return []
    return [*_tables(text, "dob"), *_json(text, "dob")]


SPEC = RecognizerSpec(name="NameColumnRecognizer", entity_type="PERSON", finder=find_people)
DOB_SPEC = RecognizerSpec(name="BirthDateColumnRecognizer", entity_type="DATE_OF_BIRTH", finder=find_dates_of_birth)
