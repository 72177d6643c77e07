"""Unicode folding (and markup escapes, escapes.py) before detection, with a map back to the original offsets.

Evasion tricks hide values from regexes and NER: full-width digits (`４１１１…`), zero-width characters inside a
key (`AKIA\u200bIOSF…`), bidi controls, and Unicode "tag" characters that smuggle invisible ASCII. We detect on a
folded copy and report spans in the original text, so redaction replaces the original characters, invisible ones
inside a span included.

Look-alike letters (`sk-prоj-…` with a Cyrillic `о`) are folded to Latin only inside a token that also holds Latin
letters: a mixed-script token is a disguise, a Cyrillic or Greek word is text (Russian stays Russian). The
folding is one character for one, so offsets do not move.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from proxy.detection.escapes import decode_escapes

# Zero-width and formatting characters that render as nothing.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad\u034f")
# Bidi embedding, override and isolate controls, and the implicit marks.
_BIDI = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REMOVED = _INVISIBLE | _BIDI
# Variation selectors only pick a glyph style.
_VARIATION = range(0xFE00, 0xFE10)
# Tag characters U+E0020..U+E007E mirror printable ASCII invisibly ("ASCII smuggling"): fold them to what they
# spell so hidden values are detected too; the rest of the tag block is dropped.
_TAG_ASCII = range(0xE0020, 0xE007F)
_TAG_BLOCK = range(0xE0000, 0xE0080)
# Cyrillic and Greek letters that render like a Latin letter in common fonts (after Unicode's TR39 confusables),
# one for one. An explicit table rather than a confusables package: the packages map every script to sequences
# (many-to-one, multi-character); we need exactly these 1:1 letter pairs, reviewable here.
_LATIN_LOOKALIKES = {
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "һ": "h", "і": "i", "ј": "j", "к": "k", "ӏ": "l",
    "м": "m", "о": "o", "р": "p", "ԛ": "q", "г": "r", "ѕ": "s", "т": "t", "ѵ": "v", "ԝ": "w",
    "х": "x", "у": "y", "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K",
    "М": "M", "О": "O", "Р": "P", "Ԛ": "Q", "Ѕ": "S", "Т": "T", "Ԝ": "W", "Х": "X", "У": "Y", "Ү": "Y",
    "Ӏ": "I",
    # Greek
    "α": "a", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "υ": "u", "χ": "x", "γ": "y", "Α": "A",
    "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Υ": "Y", "Χ": "X",
}
_TO_LATIN = str.maketrans(_LATIN_LOOKALIKES)
_LOOKALIKE = re.compile("[" + "".join(sorted(_LATIN_LOOKALIKES)) + "]")
_CHANGED_BY_FOLD_CHAR = re.compile("[" + "".join(sorted(_REMOVED)) + "\ufe00-\ufe0f\U000e0000-\U000e007f]")
_TOKEN = re.compile(r"\S+")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """Folded text plus, for each of its characters, the original range it came from.

    `starts`/`ends` are None when every character kept its position (the common case): offsets are the same.
    """

    text: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    @property
    def is_identity(self) -> bool:
        """Offsets are unchanged (the text may still differ, by one-for-one replacements)."""
        return self.starts is None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span [start, end) of the folded text to the smallest original span that produced it."""
        if self.starts is None or self.ends is None:
            return start, end
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else (self.ends[-1] if self.ends else 0)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


def _fold_char(ch: str) -> str | None:
    """What one character becomes before NFKC, or None when it is removed."""
    if ch in _REMOVED:
        return None
    code = ord(ch)
    if code in _VARIATION:
        return None
    if code in _TAG_BLOCK:
        return chr(code - 0xE0000) if code in _TAG_ASCII else None
    return ch


def _needs_folding(text: str) -> bool:
    if text.isascii():
        return False
    if _CHANGED_BY_FOLD_CHAR.search(text):  # what `_fold_char` changes, found at C speed
        return True
    return not unicodedata.is_normalized("NFKC", text)


def fold_lookalikes(text: str) -> str:
    """`text` with Cyrillic/Greek look-alike letters made Latin inside tokens that also hold Latin letters."""
    if text.isascii() or not _LOOKALIKE.search(text):
        return text

    def fold(m: re.Match[str]) -> str:
        token = m.group()
        if _LATIN_LETTER.search(token) and _LOOKALIKE.search(token):
            return token.translate(_TO_LATIN)
        return token

    return _TOKEN.sub(fold, text)


def normalise(text: str) -> NormalisedText:
    """NFKC-fold `text`, drop invisible and bidi characters, decode tag characters, decode HTML character
    references and percent-encoding (escapes.py), make look-alike letters in mixed-script tokens Latin; keep an
    offset map."""
    folded = _fold(text)
    escapes = decode_escapes(folded.text)  # after folding, so a full-width `％４０` is decoded too
    if escapes is not None:
        decoded, starts, ends = escapes
        folded = _then(folded, NormalisedText(decoded, tuple(starts), tuple(ends)))
        # A reference may spell what folding removes or changes (`&#8203;`, `&#xFF14;`): fold once more.
        folded = _then(folded, _fold(folded.text))
    latin = fold_lookalikes(folded.text)
    return folded if latin == folded.text else NormalisedText(latin, folded.starts, folded.ends)


def _then(first: NormalisedText, second: NormalisedText) -> NormalisedText:
    """`second`, a folding of `first.text`, with its offsets mapped through `first` to the original text."""
    if second.starts is None or second.ends is None:
        return NormalisedText(second.text, first.starts, first.ends)
    if first.starts is None or first.ends is None:
        return second
    starts, ends = first.starts, first.ends
    return NormalisedText(second.text, tuple(starts[s] for s in second.starts),
                          tuple(ends[e - 1] for e in second.ends))


def _fold(text: str) -> NormalisedText:
    """Everything but the look-alikes.

    NFKC is applied per cluster (a base character and the combining marks after it) so each folded character
    maps back to the cluster it came from; that matches whole-string NFKC for everything but rare cross-cluster
    compositions (Hangul jamo), which do not matter for detection.
    """
    if not _needs_folding(text):
        return NormalisedText(text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        folded = _fold_char(text[i])
        if folded is None:
            i += 1
            continue
        j = i + 1
        # Keep combining marks with their base so NFKC can compose them (e + ◌́ -> é).
        while j < n and unicodedata.combining(text[j]) and _fold_char(text[j]) is not None:
            j += 1
        cluster = unicodedata.normalize("NFKC", folded + text[i + 1:j])
        for ch in cluster:
            out.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    return NormalisedText("".join(out), tuple(starts), tuple(ends))
