"""Names that the layout of a text announces, in any case: labelled fields, explicit name questions, chat speaker
labels, and a name standing alone on the first line of a block (a CV, a signature, an address block).

- `Name: Iva D. Grusová`, `Directed by: …`, `Patient: …`, `Bill to: …` at the start of a line;
- `my name is vitoria`, `What's your last name? Boyle`, `her maiden name is nyberg` (lower-case allowed here, since
  the cue says a name follows);
- `Ubul: What a wife.` at the start of a line, when at least two different speakers talk in the text (a label is
  capitalised and no camel-case identifier, so `app: ASGIApp` and `BucketName:` in code and YAML are none);
- `Einojuhani Pyysalo` alone on the first line of the text or after a blank line;
- `Thanks Amber`, `Hi Michter,`, `bye gaby`: the words after a greeting, thanks or farewell (see `_addressed`).

Each word of the value must look like a name: an initial, a name from the lists in `name_lists.py`, or no ordinary
English word, so `To: Sales Team`, `Note: …` and a heading like `Work Experience` are not names. English text only
(German capitalises every noun; its name cues are in `person_cue.py`).
"""

from __future__ import annotations

import regex

from proxy.detection.recognizers.base import RecognizerSpec, SpanMatch
from proxy.detection.recognizers.name_lists import (
    FIRST_NAMES,
    LAST_NAMES,
    is_english_word,
    is_first_name,
    is_last_name,
)

_LOWER_NAMES = frozenset(n.lower() for n in FIRST_NAMES | LAST_NAMES)
_LABELS = (r"(?:full |first |last |given |family |maiden |birth |contact |billing |customer |patient |account )?name"
           r"|surname|contact(?: person)?|directed by|written by|produced by|author|authors|by|patient|client"
           r"|customer|employee|attn|attention|from|to|cc|signed(?: by)?|guest|passenger|applicant|tenant|landlord"
           r"|owner|account holder|card ?holder|recipient|sender|bill to|ship to|billing address|shipping address"
           r"|insured|beneficiary|manager|supervisor|doctor|physician|teacher|student|candidate|speaker|host")
_CUES = (r"my name is|my name's|name is|i am|i'm|call me|calls me|last name\?|first name\?|surname\?|name\?"
         r"|maiden name is|last name is|first name is|surname is|full name is")
_VALUE = r"[\p{L}][\p{L}'’-]*\.?(?:[ ][\p{L}][\p{L}'’-]*\.?){0,3}"
_FIELD = regex.compile(rf"^[ \t>*-]*(?i:{_LABELS})[ \t]*:[ \t]*({_VALUE})[ \t]*(?:$|,|;)", regex.MULTILINE)
_CUE = regex.compile(rf"(?<![\w])(?i:{_CUES})[ \t]+({_VALUE})", regex.MULTILINE)
_SPEAKER = regex.compile(r"^[ \t>]*([\p{L}][\p{L}'’-]+(?:[ ][\p{Lu}][\p{L}'’-]+)?)[ \t]*:(?!//)", regex.MULTILINE)
_ALONE = regex.compile(rf"(?:\A(?:[ \t>]*\n)*|\n[ \t>]*\n)[ \t>]*({_VALUE})[ \t]*(?=\n)")
# Greetings, thanks and farewells address someone: "Thanks Amber", "Hi Michter,", "bye gaby".
_VOCATIVES = (r"hi|hey|hello|hiya|dear|thanks|thank you|thx|bye|goodbye|congrats|congratulations|cheers"
              r"|welcome back|love you|miss you|good job|well done|happy birthday")
_VOCATIVE = regex.compile(rf"(?<![\w])(?i:{_VOCATIVES})[ ,]+({_VALUE})")
FIELD, CUE, SPEAKER, ALONE, VOCATIVE = 0.6, 0.6, 0.55, 0.5, 0.5


def _name_word(word: str) -> bool:
    bare = word.rstrip(".")
    if len(bare) == 1:
        return bare.isupper()  # an initial
    return bare in FIRST_NAMES or bare in LAST_NAMES or bare.lower() in _LOWER_NAMES or not is_english_word(bare)


def _strong(word: str) -> bool:
    bare = word.rstrip(".")
    return len(bare) > 1 and (is_first_name(bare) or is_last_name(bare) or not is_english_word(bare))


def _names(value: str, *, min_words: int = 1, capitalised: bool = False, strict: bool = True) -> int:
    """How many leading words of `value` look like a name (0 when fewer than `min_words` do). `strict`: one of them
    must be no ordinary word ("To: Sales" is no name; after "last name?" a listed surname like Boyle is)."""
    words = value.split(" ")
    n = 0
    for w in words:
        bare = w.rstrip(".")
        if not _name_word(w) or (capitalised and not bare[:1].isupper()) or (n == 0 and len(bare) == 1):
            break
        n += 1
    while n and len(words[n - 1].rstrip(".")) == 1:  # a name does not end in an initial
        n -= 1
    if strict and not any(_strong(w) for w in words[:n]):
        return 0
    return n if n >= min_words else 0


def _span(m: regex.Match[str], value: str, n: int) -> tuple[int, int]:
    start = m.start(1)
    words = value.split(" ")[:n]
    end = start + len(" ".join(words))
    return start, end - 1 if value[end - start - 1:end - start] == "." and len(words[-1]) > 2 else end


# "BucketName:", "maxRetries:": a capital inside a word marks an identifier (YAML keys, type annotations), unless the
# word is a listed name (McDonald, DeShawn).
_INNER_CAPITAL = regex.compile(r"\p{Ll}\p{Lu}")


def _speaker(label: str) -> bool:
    """A chat speaker label is a capitalised name ("Ubul:", "Nicole Smith:"); "app:", "routes:", "func:" in code,
    and camel-case keys, are not."""
    words = label.split(" ")
    if not label[:1].isupper() or any(_INNER_CAPITAL.search(w) and w not in FIRST_NAMES and w not in LAST_NAMES
                                      for w in words):
        return False
    # "Attendees:", "Notes:", "Action items:" head the sections of meeting notes: the plural of an ordinary word is
    # a heading, not a speaker (listed names such as Daniels are never read as plurals).
    if any(is_english_word(w, plurals=True) and not is_english_word(w) for w in words):
        return False
    return _names(label) == len(words)


# "I'm", "it's", "we've": a contraction is no name (O'Brien is).
_CONTRACTION = regex.compile(r"(?i:[a-z]+['’](?:m|s|re|ve|ll|d|t))")


def _addressed(value: str) -> int:
    """How many leading words of what follows a greeting are a name: a listed first or last name (Amber, Will and
    Grant too, since the greeting says a name may follow), or a capitalised word that is no ordinary word (Michter);
    in lower case only a listed name that is no ordinary word ("bye gaby", not "hi there")."""
    words = value.split(" ")
    first = words[0].rstrip(".")
    if _CONTRACTION.fullmatch(first):
        return 0
    if first[:1].isupper():
        if not (first in FIRST_NAMES or first in LAST_NAMES or (len(first) > 2 and not is_english_word(first))):
            return 0
    elif first.title() not in FIRST_NAMES or is_english_word(first):
        return 0
    n = 1
    for w in words[1:]:
        bare = w.rstrip(".")
        if not bare[:1].isupper() or not (bare in FIRST_NAMES or bare in LAST_NAMES or not is_english_word(bare)):
            break
        n += 1
    return n


def find_names(text: str) -> list[SpanMatch]:
    """Name spans announced by the layout of `text` (see the module docstring)."""
    found = []
    for pattern, score, label, min_words in ((_FIELD, FIELD, "labelled field", 1), (_CUE, CUE, "name cue", 1),
                                             (_ALONE, ALONE, "name alone on a line", 2)):
        for m in pattern.finditer(text):
            n = _names(m.group(1), min_words=min_words, strict=pattern is not _CUE)
            if n and (pattern is not _ALONE or m.group(1).count(" ") + 1 == n):
                found.append(SpanMatch(*_span(m, m.group(1), n), score, label))
    for m in _VOCATIVE.finditer(text):
        if n := _addressed(m.group(1)):
            found.append(SpanMatch(*_span(m, m.group(1), n), VOCATIVE, "addressed by a greeting"))
    speakers = [m for m in _SPEAKER.finditer(text) if _speaker(m.group(1))]
    if len({m.group(1).lower() for m in speakers}) >= 2:
        found.extend(SpanMatch(m.start(1), m.end(1), SPEAKER, "chat speaker") for m in speakers)
    return found


SPEC = RecognizerSpec(name="NameFieldRecognizer", entity_type="PERSON", finder=find_names, languages=("en",))
