"""A person's age: `31 y/o`, `a 19 year old man`, `aged 45`, `just turned 60`, `when he was 78`, `45 Jahre alt`,
`im Alter von 45`. The number is reported (ages 1-129); bare numbers are never ages on their own."""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec

_N = r"(?<![\d.,])\d{1,3}(?![\d.,]\d)"


def validate(value: str) -> Check:
    """An age between 1 and 129."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return Check.UNKNOWN if digits and 1 <= int(digits) <= 129 else Check.REJECTED


SPEC = RecognizerSpec(
    name="AgeRecognizer",
    entity_type="AGE",
    patterns=(
        PatternSpec("n years old", rf"{_N}(?=[ -]?(?:years?|yrs?)[ -]old\b|[ ]?y/?o\b)", 0.7),
        PatternSpec("age cue", rf"(?<=\b(?:aged|age[:]?|age of|turned|turn|turning)[ ]){_N}"
                               rf"(?=[ ]?(?:[.!,;)]|$|years?\b|yrs?\b))", 0.5),
        # "when he was 78." is an age: a person then, a number at the end of the clause.
        PatternSpec("when a person was", rf"(?<=\bwhen[ ](?:he|she|I)[ ]was[ ]|\bwhen[ ](?:we|they|you)[ ]were[ ])"
                                         rf"{_N}(?=[ ]?(?:[.!,;)]|$))", 0.5),
        # "I'm 31." or "it was 78." is an age only with an age word nearby ("birthday", "old", "born").
        PatternSpec("weak age cue", rf"(?<=\b(?:I'm|I am|was|is)[ ]){_N}(?=[ ]?(?:[.!,;)]|$))", 0.2),
        PatternSpec("german age", rf"{_N}(?=[ ]Jahre[ ]alt\b|[ ]?J\.[ ]alt\b)|(?<=\bim[ ]Alter[ ]von[ ]){_N}", 0.7),
    ),
    context=("age", "old", "birthday", "born", "alt", "alter", "geburtstag", "geboren"),
    validate=validate,
)
