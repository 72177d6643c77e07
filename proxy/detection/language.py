"""Which language a text is in, decided per segment (paragraph or sentence), so German text is read by the German
NER and English text by the English one, and a segment that mixes them by both.

py3langid restricted to the configured languages. `pick` gives one language for a whole text: texts too short to
judge get the configured default, and so do texts where the detector is unsure; a short text the detector is
nearly certain about ("Gegendarstellung") keeps its language (on the German dev sets, one-word German lines sent
to the English NER came back as people).

`plan` gives, per language, the parts of a text that language's pipeline must read. The whole text's language
(`pick`) reads all of it, as before; each segment (paragraph or sentence) is judged twice more, as written and with
its capitalised words left out (names, and German nouns, are capitalised), and another language also reads the
segments clearly in it or whose own words are in it: "Remind Annika Vogelsang and Bernd Kowalczyk tomorrow." reads
as German (the names) but "Remind and tomorrow" as English, so both pipelines read it. A segment made mostly of
capitalised words ("Assist Annika Vogelsang.") goes to every language unless the verdict is near certain.
"""

from __future__ import annotations

import array
import functools
from collections.abc import Sequence

import py3langid.langid as langid
import regex

# A segment ends at a line break or after a sentence's end mark followed by white space.
_SEGMENT = regex.compile(r"[^\n]+?(?:[.!?…](?=\s)|$)", regex.MULTILINE)
_WORD = regex.compile(r"\p{L}[\p{L}'’-]*")


@functools.cache
def _identifier(languages: tuple[str, ...]) -> langid.LanguageIdentifier:
    """One identifier per set of languages for the whole process. Loaded, the model is ~65 MiB of arrays (its file
    is ~1 MB); every picker shares it (detection, the metrics' language label, a reloaded recognizer set), and
    workers forked from a pre-loading parent (prefork.py) share the parent's copy instead of loading their own on
    their first request. `classify` only reads it, so threads may share it too."""
    identifier = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(languages))
    compact_tables(identifier)
    return identifier


def compact_tables(identifier: langid.LanguageIdentifier) -> None:
    """Hold the byte walk's per-state tables (104,583 row offsets and feature numbers) as arrays of machine integers
    instead of lists of int objects. Read the same way, but a list hands out its own objects, and each read writes
    the object's reference count: a forked worker copied every page of them its walks touched (a child's private
    memory after 600 language plans: +8.6 MiB with lists, +4.6 MiB with arrays). Tables of another shape are left
    as they are."""
    for name in ("_rowbase", "tk_output"):
        table = getattr(identifier, name, None)
        if isinstance(table, list) and all(type(v) is int for v in table):
            setattr(identifier, name, array.array("q", table))


class LanguagePicker:
    """Picks one of `languages` per text or per segment. Cheap to build once the model is loaded (the first picker
    for a set of languages loads it); `pick` is cheap (~0.1 ms/KB), `plan` about three times that."""

    def __init__(self, languages: Sequence[str], default: str, *, min_chars: int = 20,
                 min_confidence: float = 0.7, short_text_confidence: float = 0.98,
                 segment_confidence: float = 0.9) -> None:
        if default not in languages:
            raise ValueError(f"default language {default!r} is not one of {list(languages)}")
        self.languages = tuple(languages)
        self.default = default
        self.min_chars = min_chars
        self.min_confidence = min_confidence
        self.short_text_confidence = short_text_confidence
        self.segment_confidence = segment_confidence
        self._identifier = _identifier(tuple(sorted(self.languages))) if len(self.languages) > 1 else None

    def pick(self, text: str) -> str:
        """The language of `text`, or the default when there is one language, little text, or doubt."""
        stripped = text.strip()
        if self._identifier is None or not any(ch.isalpha() for ch in stripped):
            return self.default
        language, confidence = self._identifier.classify(stripped)
        needed = self.min_confidence if len(stripped) >= self.min_chars else self.short_text_confidence
        return language if confidence >= needed else self.default

    def plan(self, text: str) -> dict[str, list[tuple[int, int]]]:
        """Per language, the [start, end) regions of `text` its pipeline must read (merged, in order). The first
        key is the whole text's language (`pick`), which reads all of it, as it did when language was chosen per
        text; another language adds the segments that are clearly in it or that mix it in."""
        primary = self.pick(text)
        plan = {primary: [(0, len(text))]}
        if self._identifier is None:
            return plan
        for m in _SEGMENT.finditer(text):
            if sum(ch.isalpha() for ch in m.group()) < self.min_chars:
                continue
            for lang in self._also(m.group(), primary):
                spans = plan.setdefault(lang, [])
                if spans and not text[spans[-1][1]:m.start()].strip():
                    spans[-1] = (spans[-1][0], m.end())
                else:
                    spans.append((m.start(), m.end()))
        return plan

    def _also(self, segment: str, primary: str) -> set[str]:
        """Languages besides `primary` that must read `segment`: the one it is clearly in; the one its words say
        when its capitalised words are left out; every one when it is mostly capitalised words and unsure."""
        assert self._identifier is not None
        language, confidence = self._identifier.classify(segment)
        out = {language} if language != primary and confidence >= self.segment_confidence else set()
        words = _WORD.findall(segment)
        # Keep the first word (capitalised in both languages), words in capitals, and lower-case words.
        small = [w for i, w in enumerate(words) if i == 0 or not w[0].isupper() or w.isupper()]
        if len(small) == len(words):
            return out
        if len(small) < 2:
            # Mostly capitalised words ("Assist Annika Vogelsang."): the names decide; believe only a sure verdict.
            return out if confidence >= self.short_text_confidence else set(self.languages) - {primary}
        other, other_confidence = self._identifier.classify(" ".join(small))
        if other != primary and other_confidence >= self.segment_confidence:
            out.add(other)
        return out
