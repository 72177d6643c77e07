"""Deny-list terms as people write them: one regex per term that ignores case, spacing and hyphens, and accepts the
German or English form of the common words a code name is built from.

"Project Falcon" in recognizers.yaml matches "project falcon", "PROJECT-FALCON", "project_falcon", "ProjectFalcon",
"Project  Falcon" and "Projekt Falcon". Only whole words: "Falconry" is not "Falcon". The word table is short on
purpose (each entry is a word that companies put in front of code names, in both languages); a word that is not in
it must match as written (apart from case).
"""

from __future__ import annotations

import re

# Each row: the forms of one word that name the same thing, English and German. Matched case-insensitively.
WORD_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("project", "projekt"),
    ("program", "programme", "programm"),
    ("product", "produkt"),
    ("customer", "kunde"),
    ("contract", "vertrag"),
    ("company", "firma"),
)
_VARIANTS = {form: row for row in WORD_VARIANTS for form in row}
# Between the words of a term: nothing, spaces, hyphens or underscores (a few of them at most).
_JOINER = r"[\s_\-]{0,3}"
_SPLIT = re.compile(r"[\s_\-]+")


def term_words(term: str) -> list[str]:
    """The words of a term: split at spaces, hyphens and underscores."""
    return [w for w in _SPLIT.split(term.strip()) if w]


def term_regex(term: str) -> str:
    """A regex (for Python's `re` and `regex`, to be run case-insensitively) matching `term` as people write it."""
    parts = []
    for word in term_words(term):
        forms = _VARIANTS.get(word.lower())
        parts.append("(?:" + "|".join(re.escape(f) for f in forms) + ")" if forms else re.escape(word))
    return r"(?<!\w)" + _JOINER.join(parts) + r"(?!\w)"


def terms_regex(terms: tuple[str, ...] | list[str]) -> str:
    """One regex for a whole deny list (longest terms first, so a longer term wins at the same place)."""
    ordered = sorted(dict.fromkeys(terms), key=len, reverse=True)
    return "|".join(f"(?:{term_regex(t)})" for t in ordered)
