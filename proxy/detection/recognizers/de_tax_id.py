"""German tax identification number (Steuer-ID, IdNr): 11 digits, grouped as people write them (`12 345 678 901`,
`503 746 814 45`, `503.746.814.45`, `503/746/814/45`, or none).

Checks (Bundeszentralamt für Steuern): the first digit is not 0; in the first ten digits exactly one digit repeats
(twice, or three times but not three in a row) and the others appear at most once; the eleventh digit is the
ISO 7064 MOD 11,10 check digit. A random 11-digit number passes about one time in 500, so a confirmed match is
reported without context words; a failed check is dropped.
"""

from __future__ import annotations

from collections import Counter

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, strip_separators


def iso7064_mod11_10(digits: str) -> int:
    """The ISO 7064 MOD 11,10 check digit of a digit string."""
    product = 10
    for ch in digits:
        total = (int(ch) + product) % 10 or 10
        product = (total * 2) % 11
    check = 11 - product
    return 0 if check == 10 else check


def _frequency_rule(first_ten: str) -> bool:
    counts = Counter(first_ten)
    repeated = [d for d, n in counts.items() if n > 1]
    if len(repeated) != 1 or counts[repeated[0]] > 3:
        return False
    return counts[repeated[0]] < 3 or repeated[0] * 3 not in first_ten


def validate(value: str) -> Check:
    """Confirm by the frequency rule and the check digit; reject anything else."""
    digits = strip_separators(value)
    if len(digits) != 11 or not digits.isdigit() or digits[0] == "0":
        return Check.REJECTED
    if not _frequency_rule(digits[:10]) or iso7064_mod11_10(digits[:10]) != int(digits[10]):
        return Check.REJECTED
    return Check.CONFIRMED


SPEC = RecognizerSpec(
    name="DeTaxIdRecognizer",
    entity_type="DE_TAX_ID",
    patterns=(
        PatternSpec("steuer-id", r"(?<![\d-])[1-9]\d{10}(?![\d-])", 0.3),
        # Any grouping people write, one separator throughout: 12 345 678 901, 503 746 814 45, 503.746.814.45,
        # 503/746/814/45, 5037 4681 445. The check below requires eleven digits in all.
        PatternSpec("steuer-id grouped",
                    r"(?<![\d+./-])[1-9]\d{0,3}(?P<sep>[ ./])\d{1,4}(?:(?P=sep)\d{1,4}){1,3}(?![\d-]|[./]\d)", 0.3),
    ),
    context=("steuer", "steuerid", "steuer-id", "identifikationsnummer", "idnr", "steueridentifikationsnummer",
             "tin", "tax"),
    validate=validate,
    confirmed_score=0.85,
)
