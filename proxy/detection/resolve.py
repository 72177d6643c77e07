"""Clean-up after recognition: drop known false positives, honour the allow-list, and leave one span per region.

Pure functions over `Finding`s and the text they index, so they are tested without an engine.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Sequence

import regex

from proxy.detection import url_review
from proxy.detection.findings import Finding
from proxy.detection.recognizers import name_lists, places, zip_code
from proxy.detection.recognizers.base import whole_word_occurrences

# Entity types that name people, places and groups: a span of theirs without a single letter is noise
# (spaCy tags "09/27" as PERSON and digit groups as places).
_NAMED = frozenset({"PERSON", "LOCATION", "NRP", "ORGANIZATION"})


_MONTHS = ("jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|januar|februar|märz|maerz|mai|juni|juli|oktober"
           "|dezember|mär|okt|dez")
# A date worth reporting names a calendar day or year: 12/05/1980, 1980-05-12, 12.5.1980, May 5, 5. Mai, 1980.
_DATE_LIKE = regex.compile(rf"\d{{1,4}}[./-]\d{{1,2}}(?:[./-]\d{{2,4}})?|\b(?:{_MONTHS})[a-zä]*\.?\b|\b(?:19|20)\d\d\b",
                           regex.IGNORECASE)


# Brackets, operators, underscores and `name.attribute` are code, not names: spaCy reads `dict[str`, `Match(Enum` and
# `inspect.isfunction(handler` as people when a prompt carries source code.
_CODE = regex.compile(r"[()\[\]{}=<>;`_]|\p{Ll}\.\p{Ll}")
_HUMPS = regex.compile(r"\p{Lu}?\p{Ll}+|\p{Lu}+(?!\p{Ll})")


_NAME_PREFIX = regex.compile(r"(?:Mc|Mac|Van|Von|Le|La|De|Di|Da|Du|Fitz|St)\p{Lu}")


def _identifier(value: str) -> bool:
    """`HeaderTypes`, `SessionTransactionOrigin`: one camel-case word made of ordinary words is a class name.
    Listed names (MacArthur, LeBlanc), surnames with a prefix (VanHorn) and names whose parts are no ordinary words
    (LeBron, DeShawn) are not."""
    if " " in value or not regex.search(r"\p{Ll}\p{Lu}", value) or _NAME_PREFIX.match(value):
        return False
    if _is_listed_name(value):
        return False
    parts = _HUMPS.findall(value)
    return "".join(parts) == value and all(name_lists.is_english_word(p, plurals=True) for p in parts)


# `from starlette.requests import Request`, `import { Router } from "express"`: an import line names code.
_IMPORT_LINE = regex.compile(r"[ \t]*(?:from[ ]+[\w.]+[ ]+import[ ]+[\w., ()*]+"
                            r"|import[ ]+[\w.*]+(?:[ ]*,[ ]*[\w.*]+)*(?:[ ]+as[ ]+\w+)?;?"
                            r"|import[ ][^\n]*[ ]from[ ]+[\"'][^\"'\n]+[\"'];?|using[ ]+[\w.]+;)[ \t]*$",
                            regex.MULTILINE)


# Presidio's URL pattern takes a bare `name.tld` anywhere, even as the start of a longer word: in source code
# `self.path` gives the "URL" `self.pa` (Panama), `match.group(` gives `match.gr`. A bare match is kept when the
# whole dotted token is a domain under a public suffix (the bundled list; nothing is fetched), widened to that token
# (`mycompany.company`, not `mycompany.com`); attribute access on a code receiver or followed by a call or index
# is not a URL.
_TLD = url_review.TLD  # one suffix trie per process, shared with url_review
_TOKEN_TAIL = regex.compile(r"[\w-]*(?:\.[\w-]+)*")
_CODE_RECEIVERS = frozenset({"self", "cls", "this", "super", "os", "sys", "re", "np", "pd", "json", "math"})


def _review_bare_url(f: Finding, text: str) -> Finding | None:
    value = text[f.start:f.end]
    if "/" in value or ":" in value or value.lower().startswith("www.") or "@" in text[max(0, f.start - 1):f.start]:
        return f
    end = _TOKEN_TAIL.match(text, f.end).end()
    token = text[f.start:end]
    if token.split(".", 1)[0] in _CODE_RECEIVERS or text[end:end + 1] in ("(", "["):
        return None
    if end == f.end:
        return f
    if not _TLD(token).suffix:
        return None
    return Finding(f.field, f.start, end, f.entity_type, f.score, f.recognizer, f.language)


def drop_false_positives(findings: Iterable[Finding], text: str) -> list[Finding]:
    """Remove findings that are wrong by construction, whatever the recognizer said.

    - people, places and groups without a letter ("09/27" as PERSON), also line by line: the model's spans that
      run over a line break are cut there ("Luis Heger" over "+43 …" keeps "Luis Heger");
    - the model's people, places and groups that hold code (brackets, operators, `a.b`, `_`), are a camel-case
      word made of ordinary words (`HeaderTypes`) or sit on an import line;
    - bare "URLs" that are code or the start of a longer word (`self.path`, `match.group(`, see `_review_bare_url`),
      and URLs that carry no credentials and are no home page (see `url_review`);
    - spaCy DATE_TIMEs that name no calendar day or year: relative phrases ("the weekend", "a year") and bare
      digit groups, which on the dev sets were house numbers, postcodes, phone fragments and ages.
    """
    kept = []
    for f in _split_model_spans(findings, text):
        value = text[f.start:f.end]
        if f.end <= f.start or not value.strip():
            continue
        if f.entity_type in _NAMED and not any(ch.isalpha() for ch in value):
            continue
        if f.entity_type in _NAMED and f.recognizer == "SpacyRecognizer" and (
                _CODE.search(value) or _identifier(value)
                or _IMPORT_LINE.match(text, text.rfind("\n", 0, f.start) + 1)):
            continue
        if f.entity_type == "DATE_TIME" and f.recognizer == "SpacyRecognizer" and not _DATE_LIKE.search(value):
            continue
        if f.entity_type == "URL" and f.recognizer == "UrlRecognizer":
            f = _review_bare_url(f, text)
            if f is None or not url_review.worth_reporting(text[f.start:f.end]):
                continue
        kept.append(f)
    return kept


def _split_model_spans(findings: Iterable[Finding], text: str) -> Iterator[Finding]:
    """The model's people, places and groups, one finding per line they touch (trimmed), past the first line only
    lines that hold more than ordinary words, and one per table cell (`;`, `|`, tab) within a line; other findings
    as they are. A span over cells ("Hans-Jürgen;Huber") is cut, not dropped as code: Presidio has already removed
    the name-column findings inside it, so dropping it would let both names through."""
    for f in findings:
        if f.entity_type not in _NAMED or f.recognizer != "SpacyRecognizer" or not _SPLIT_AT.search(
                text, f.start, f.end):
            yield f
            continue
        for i, m in enumerate(_LINE_PIECE.finditer(text, f.start, f.end)):
            # Later lines of such a span are mostly the next field's label ("Address", "Phone", a job title).
            if i == 0 or not all(name_lists.is_english_word(w) for w in _WORD.findall(m.group())):
                for cell in _CELL_PIECE.finditer(text, m.start(), m.end()):
                    yield Finding(f.field, cell.start(), cell.end(), f.entity_type, f.score, f.recognizer, f.language)


_SPLIT_AT = regex.compile(r"[\n;|\t]")
_LINE_PIECE = regex.compile(r"[^\s](?:[^\n]*[^\s])?")
_CELL_PIECE = regex.compile(r"[^\s;|](?:[^;|\t\n]*[^\s;|])?")
_WORD = regex.compile(r"\p{L}[\p{L}'’]*")
_PLACES = places.KNOWN_PLACES


# A place reads "in X", "from X", "flew to X", "X Park", "X Street": such spans stay places whatever names they hold.
_PLACE_BEFORE = regex.compile(r"(?i:\b(?:in|at|from|near|into|via|around|towards"
                              r"|(?:flew|fly|flying|moved|move|moving|went|go|going|drove|drive|driving|travell?ed"
                              r"|back|way|trip|road)[ ]to)[ ]+(?:the[ ]+)?)$")
_PLACE_TYPE = regex.compile(r"(?i:\b(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|way|place|square|park"
                            r"|hill|hills|heights|valley|beach|lake|river|bay|island|islands|springs|city|town"
                            r"|village|county|falls|harbou?r|port|mount|mountains?))\.?$")


def _is_place(value: str, words: list[str]) -> bool:
    return value in _PLACES or value.title() in _PLACES or any(w in _PLACES or w.title() in _PLACES for w in words)


def _is_listed_name(word: str) -> bool:
    """`word` as written or capitalised ("brett", "BRETT") is in the first or last name lists."""
    return any(w in name_lists.FIRST_NAMES or w in name_lists.LAST_NAMES for w in (word, word.title()))


def review_model_names(findings: Iterable[Finding], text: str) -> list[Finding]:
    """The English model's LOCATION spans whose every word is a listed first or last name and none a place
    ("Mariah", "Jaclyn", "Sheeran") are PERSON, unless a place word follows or a place preposition precedes them
    ("grew up in Shelly Park", "flew to Phoenix"): the small model often calls a lone name a place. Both are redacted
    either way; the label is what the placeholder tells the upstream model. Other spans are left as they are.

    (Dropping the model's PERSON spans made of ordinary words, "Idiot", "Dude", was tried: on WNUT-17 dev it removed
    57 false positives and leaked 30 real names, "Trump", "Hitler", "Europe", which WordNet also lists.)
    """
    kept = []
    for f in findings:
        if f.recognizer == "SpacyRecognizer" and f.entity_type == "LOCATION" and f.language == "en":
            value = text[f.start:f.end]
            words = _WORD.findall(value)
            if (words and not _is_place(value, words) and all(_is_listed_name(w) for w in words)
                    and not _PLACE_TYPE.search(value) and not _PLACE_BEFORE.search(text[max(0, f.start - 24):f.start])):
                f = Finding(f.field, f.start, f.end, "PERSON", f.score, f.recognizer, f.language)
        kept.append(f)
    return kept


# Street words no one's surname is: a "name" that ends in one, or runs into one, names a street ("Villacher
# Strasse", "Philip Bypass", "Isaac Lodge Street", "Martinez Mall St.").
_STREET_WORD = (r"(?:Street|St\.|Strasse|Straße|Road|Rd\.|Avenue|Ave\.|Boulevard|Blvd\.?|Bypass|Turnpike|Highway"
                r"|Expressway|Freeway|Parkway|Plaza|Square|Mall|Alley|Circle|Crescent|Path)")
_ENDS_IN_STREET_WORD = regex.compile(rf"[ ]{_STREET_WORD}$")
_STREET_WORD_NEXT = regex.compile(rf"[ ]{_STREET_WORD}(?![\w-])")


def streets_named_after_people(findings: Iterable[Finding], text: str) -> list[Finding]:
    """PERSON findings (the model's or the lists') that end in a street word, or that one follows, are LOCATION and
    cover that word: "on Villacher Strasse 89", "the corner of Lahtinen Road". Still redacted; the label is what a
    policy acts on and what the placeholder tells the upstream model."""
    kept = []
    for f in findings:
        if f.entity_type == "PERSON":
            nxt = _STREET_WORD_NEXT.match(text, f.end)
            if nxt or _ENDS_IN_STREET_WORD.search(text, f.start, f.end):
                end = nxt.end() if nxt else f.end
                f = Finding(f.field, f.start, end, "LOCATION", f.score, f.recognizer, f.language)
        kept.append(f)
    return kept


def allow_list_regions(text: str, allow_list: Sequence[str]) -> list[tuple[int, int]]:
    """Where allow-listed values occur in `text` (case-insensitive, not inside a longer word)."""
    if not allow_list:
        return []
    alternatives = "|".join(regex.escape(term) for term in sorted(allow_list, key=len, reverse=True))
    pattern = regex.compile(rf"(?<![\w@.-])(?:{alternatives})(?![\w@-]|\.\w)", regex.IGNORECASE)
    return [m.span() for m in pattern.finditer(text)]


def drop_allowed(findings: Iterable[Finding], regions: Sequence[tuple[int, int]]) -> list[Finding]:
    """Remove findings that lie inside an allow-listed occurrence (an e-mail and the URL inside it, say)."""
    if not regions:
        return list(findings)
    return [f for f in findings if not any(s <= f.start and f.end <= e for s, e in regions)]


_NAME_TOKEN = regex.compile(r"[\p{Lu}][\p{L}'’-]{2,}")
_NOT_NAMES = frozenset({"The", "And", "Mr", "Mrs", "Ms", "Dr", "Prof", "Herr", "Frau", "Sir", "Von", "Van", "Der"})


def _mention_names_someone(word: str) -> bool:
    """A mention worth searching for again: a whole name, or one word that is a listed name or no ordinary word.
    "Westgård", "Baker" and "Joakim Westgård" are; "Request", "Sequence" and "None" (spaCy's guesses on code)
    are not, so one wrong guess does not spread over a whole file."""
    return " " in word or _is_listed_name(word) or not name_lists.is_english_word(word, plurals=True)


# A postcode right after a place: "I moved to Lake Joshua, 67631 last spring", "Kristenberg 28378 is where …",
# "South Leonard, M5U 7JB", "Nichola Ville, H37 05V5", "Meerut-571727" (an Indian PIN, joined by a hyphen).
# Four digits alone only after a comma and never a year (19xx/20xx: "Paris, 2019"); never seven digits or more in
# a row ("Oslo, 40000000 people"; a Brazilian CEP needs its hyphen here).
_POSTCODE_AFTER_PLACE = regex.compile(
    rf"(?:,?[ ](?!\d{{4}}(?!\d|[ ]?[A-Z]{{2}}|-\d)|\d{{7}})(?:{zip_code.EU_POSTCODE}|\d{{6}}|\d{{5}}-\d{{4}}"
    rf"|{zip_code.LOOSE_UK_CA}|{zip_code.EIRCODE})"
    r"|-\d{6}|,[ ](?!19\d\d|20\d\d)\d{4})(?![\w-]|[.,]\d)")


# A phone number right after a person's name: "Tayla Blake, 450-5561", "Ask for Júlia Maia at 932 833 125",
# "Dr. Á. Farkas Bernadett\n54/610-7358". Seven to fifteen digits; never a date or a span of years. On the line
# after the name the number must end its line (or a comma, semicolon or full stop must follow it): "Anna Berg\n
# 12 345 678 visitors" is a count.
_PHONE_SHAPE = r"(?P<value>(?:\+|\(\+?)?\d[\d ()./-]{5,20}\d)"
_PHONE_AFTER_NAME = regex.compile(rf"(?:,[ ]|[ ](?:at|on)[ ]){_PHONE_SHAPE}(?![\w-]|[.,]\d)"
                                  rf"|[ \t]*\r?\n{_PHONE_SHAPE}(?=[ \t]*(?:[,;.]?[ \t]*(?:\r?\n|$)|[,;][ \t]))")
_NOT_A_PHONE = regex.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|(?:19|20)\d\d[ ]?[-/][ ]?(?:19|20)?\d\d")


def _phone_digits(value: str) -> bool:
    return 7 <= sum(c.isdigit() for c in value) <= 15 and not _NOT_A_PHONE.fullmatch(value)


def _values_after(findings: list[Finding], text: str, anchor_type: str, pattern: regex.Pattern[str],
                  entity_type: str, recognizer: str, check: Callable[[str], bool] | None = None) -> list[Finding]:
    """`findings` plus an `entity_type` finding (score 0.5) for each `pattern` match right after an `anchor_type`
    finding; the match's `value` group (or the match less its leading comma, space or hyphen) is the value."""
    added = []
    for f in findings:
        if f.entity_type != anchor_type:
            continue
        m = pattern.match(text, f.end)
        if not m:
            continue
        if "value" in pattern.groupindex:
            start, end = m.span("value")
        else:
            start, end = m.end() - len(m.group().lstrip(", -")), m.end()
        if check is None or check(text[start:end]):
            added.append(Finding(f.field, start, end, entity_type, 0.5, recognizer, f.language))
    return [*findings, *added]


def postcodes_after_places(findings: list[Finding], text: str) -> list[Finding]:
    """`findings` plus a ZIP_CODE for a postcode-shaped number right after a LOCATION finding."""
    return _values_after(findings, text, "LOCATION", _POSTCODE_AFTER_PLACE, "ZIP_CODE", "PostcodeAfterPlace")


def phones_after_names(findings: list[Finding], text: str) -> list[Finding]:
    """`findings` plus a PHONE_NUMBER for a phone-shaped number right after a PERSON finding."""
    return _values_after(findings, text, "PERSON", _PHONE_AFTER_NAME, "PHONE_NUMBER", "PhoneAfterName",
                         _phone_digits)


def propagate_names(findings: list[Finding], text: str) -> list[Finding]:
    """Add the other mentions of a found person: "Joakim Westgård … starring Westgård".

    The span itself and each capitalised word of it are searched again as whole words, except a single capitalised
    ordinary word that is no listed name ("Router", "Request": the model's guesses on code, which would otherwise
    spread over a whole file; see `_mention_names_someone`). New mentions get the finding's score capped at 0.75
    and recognizer `NamePropagation`. Overlaps are resolved afterwards.
    """
    persons = [f for f in findings if f.entity_type == "PERSON"]
    if not persons:
        return findings
    # Each mention string -> the finding it came from (the first one wins).
    sources: dict[str, Finding] = {}
    for f in persons:
        value = text[f.start:f.end]
        words = [m.group() for m in _NAME_TOKEN.finditer(value)]
        # People are called by one part of a double first name: "Alwina" of "Alwina-Juliana".
        words += [p for w in words if "-" in w for p in w.split("-") if len(p) >= 3 and _is_listed_name(p)]
        for word in [value, *words]:
            word = word.removesuffix("'s").removesuffix("’s")
            if len(word) >= 3 and word not in _NOT_NAMES and (
                    (word == value and not value.istitle()) or _mention_names_someone(word)):
                sources.setdefault(word, f)
    if not sources:
        return findings
    added = []
    for start, end in whole_word_occurrences(text, sources):
        src = sources[text[start:end]]
        added.append(Finding(src.field, start, end, "PERSON", min(src.score, 0.75), "NamePropagation", src.language))
    return findings + added


def _merge_same_type(findings: list[Finding]) -> list[Finding]:
    """Union overlapping spans of the same entity type (the higher score and its recognizer survive)."""
    merged: list[Finding] = []
    for f in sorted(findings, key=lambda x: (x.entity_type, x.start, -x.end)):
        last = merged[-1] if merged else None
        if last is not None and last.entity_type == f.entity_type and f.start < last.end:
            best = last if last.score >= f.score else f
            merged[-1] = Finding(best.field, last.start, max(last.end, f.end), best.entity_type, best.score,
                                 best.recognizer, best.language)
        else:
            merged.append(f)
    return merged


def resolve_overlaps(findings: Iterable[Finding], text: str | None = None) -> list[Finding]:
    """One span per region: overlapping spans of one type are merged, then across types the higher score wins,
    then the longer span, then the earlier one. The result is sorted by start and has no overlaps.

    A span that loses only part of its region keeps the rest: an address block whose street name was read as a
    person keeps its town and postcode as LOCATION pieces, so nothing the losing span covered goes out in the clear.
    With `text`, a rest counts when it holds two letters or digits (not a stray `'s` or comma)."""
    candidates = _absorb(_merge_same_type(list(findings)))
    candidates.sort(key=lambda f: (-f.score, -(f.end - f.start), f.start, f.entity_type))
    # Chosen spans are disjoint, so sorted by start they are sorted by end too: a bisect finds the neighbours.
    starts: list[int] = []
    chosen: list[Finding] = []
    for f in candidates:
        i = bisect.bisect_right(starts, f.start)
        lo = i - 1 if i > 0 and chosen[i - 1].end > f.start else i
        hi = i
        while hi < len(chosen) and chosen[hi].start < f.end:
            hi += 1
        for piece in _rests(f, chosen[lo:hi], text):
            k = bisect.bisect_right(starts, piece.start)
            starts.insert(k, piece.start)
            chosen.insert(k, piece)
    return chosen


# A confirmed address or phone number is read as a whole: the names, places, dates and postcodes the model or the
# word lists saw inside it ("Vicolo Calcirelli", "Colorado Springs", "3591-3246") are parts of it, not findings of
# their own. Nothing else is absorbed: a secret or an e-mail inside a URL keeps its own type (and policy).
_ADDRESS_RECOGNIZERS = frozenset({"AddressBlockRecognizer", "ContinentalAddressRecognizer", "StreetAddressRecognizer",
                                  "StreetAddressNumberedRecognizer", "StreetAddressAnyCaseRecognizer",
                                  "PostcodeTownRecognizer", "TownPostcodeRecognizer",
                                  "IndianAddressRecognizer"})
_PARTS = frozenset({"PERSON", "LOCATION", "DATE_TIME", "NRP", "ORGANIZATION", "ZIP_CODE", "DE_POSTCODE_CITY"})
_ABSORBS = {"LOCATION": _PARTS, "PHONE_NUMBER": frozenset({"DATE_TIME", "ZIP_CODE", "DE_POSTCODE_CITY"})}


def _absorb(findings: list[Finding]) -> list[Finding]:
    """Drop the parts (see `_ABSORBS`) that lie inside a longer address or phone number finding."""
    wholes = [f for f in findings if f.entity_type in _ABSORBS
              and (f.entity_type != "LOCATION" or f.recognizer in _ADDRESS_RECOGNIZERS)]
    if not wholes:
        return findings
    return [f for f in findings
            if not any(w.start <= f.start and f.end <= w.end and w.end - w.start > f.end - f.start
                       and f.entity_type in _ABSORBS[w.entity_type] for w in wholes)]


def _rests(f: Finding, taken: list[Finding], text: str | None) -> list[Finding]:
    """The parts of `f` outside the (sorted, disjoint) `taken` spans: `f` itself when nothing is taken."""
    if not taken:
        return [f]
    pieces = []
    cursor = f.start
    for t in [*taken, None]:
        end = f.end if t is None else t.start
        start, end = cursor, min(end, f.end)
        if text is not None:
            while start < end and not text[start].isalnum():
                start += 1
            while end > start and not text[end - 1].isalnum():
                end -= 1
        if end - start >= 2 and (text is None or sum(c.isalnum() for c in text[start:end]) >= 2):
            pieces.append(Finding(f.field, start, end, f.entity_type, f.score, f.recognizer, f.language))
        if t is not None:
            cursor = max(cursor, t.end)
    return pieces
