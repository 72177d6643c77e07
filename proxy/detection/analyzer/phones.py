"""Presidio's phone recognizer with libphonenumber's search done once for all regions.

Presidio runs `PhoneNumberMatcher` once per region: each run finds the same candidates (digit groups, with the same
checks for dates, times and page ranges) and only their parse depends on the region. With four regions that was
four searches of every text for what one search finds (about 6 % of the CPU per English prompt, py-spy). Here one
matcher walks the text and tries each region on a candidate, in Presidio's order, until one accepts it.

Most candidates are digit groups too short to be a number anywhere (house numbers, years, amounts: half of them have
three digits or fewer in the English prompts of `bench/detection_speed.py`), and each was parsed and validated once
per region before it was turned down. A number is valid only if its national significant number has one of the
lengths its region's metadata allows, and that number is made of the candidate's digits; so a region is not tried on
a candidate with fewer digits than any number it could accept has (`min_digits`, from libphonenumber's metadata).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatch, PhoneNumberMatcher
from phonenumbers.phonemetadata import PhoneMetadata
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import PhoneRecognizer

# A region's metadata, or the calling code's own where the code belongs to no country (+800, +882, ...).
_metadata = PhoneMetadata.metadata_for_region_or_calling_code


def _shortest(metadata: Iterable[PhoneMetadata | None]) -> int:
    """The fewest digits of a valid national significant number under any of `metadata` (0: no bound known)."""
    lengths = [m.general_desc.possible_length if m is not None and m.general_desc is not None else () for m in metadata]
    return min((min(pl) if pl else 0) for pl in lengths) if lengths else 0


def _added(metadata: PhoneMetadata | None) -> int:
    """At most how many digits the national prefix rule of `metadata` adds to a number: the literal digits of its
    transform (San Marino's `0549\\1` makes a 6-digit local number a 10-digit one)."""
    rule = metadata.national_prefix_transform_rule if metadata is not None else None
    return len(re.findall(r"(?<!\\)\d", rule)) if rule else 0


def _fewest_for_code(code: int, parsed_as: PhoneMetadata | None) -> int:
    """The fewest digits of a valid number with calling code `code`, its national part parsed under `parsed_as`."""
    same_code = _shortest(_metadata(code, r) for r in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ()))
    return max(0, same_code - _added(parsed_as)) if same_code else 0


@functools.cache
def min_digits(region: str) -> int:
    """The fewest digits a candidate must have for `region`'s parse of it to be a valid number (0: no bound).

    `is_valid_number` checks the national significant number's (NSN's) length against its region's
    `possible_length` before anything else, and the NSN is made of the candidate's digits. Parsed with `region` as
    the default, a candidate either keeps that region's calling code (its NSN is at most all its digits, plus what
    the region's prefix rule adds) or takes another code from its own digits after a + or an international prefix
    (then the code's digits are not in the NSN; the prefix rule of the code's main region applies)."""
    own = PhoneMetadata.metadata_for_region(region)
    if own is None:
        return 0
    bounds = [_fewest_for_code(own.country_code, own)]
    for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        fewest = _fewest_for_code(code, _metadata(code, regions[0]))  # parsed under the code's main region
        bounds.append(fewest + len(str(code)) if fewest else 0)
    return min(bounds)


def _digits(candidate: str) -> int | None:
    """How many digits `candidate` has, or None where its parse may make digits of letters (a vanity number, an
    extension word): only a candidate without letters is judged by its digits."""
    if any(ch.isalpha() for ch in candidate):
        return None
    return sum(ch.isdigit() for ch in candidate)


class _AnyRegionMatcher(PhoneNumberMatcher):
    """A matcher whose verdict on a candidate is the first region's (of `regions`) that calls it a number."""

    def __init__(self, text: str, regions: Sequence[str], leniency: int) -> None:
        super().__init__(text, regions[0], leniency=leniency)
        self._regions = tuple(regions)
        # Validity is judged by length only at VALID and stricter (POSSIBLE also accepts local-only lengths).
        self._min_digits = tuple(min_digits(r) if leniency >= Leniency.VALID else 0 for r in self._regions)
        self.region_of: dict[int, str] = {}  # match start -> the region that accepted it

    def _parse_and_verify(self, candidate: str, offset: int) -> PhoneNumberMatch | None:
        digits = _digits(candidate)
        for region, fewest in zip(self._regions, self._min_digits, strict=True):
            if digits is not None and digits < fewest:
                continue  # no number of this region has so few digits: its parse would be turned down
            self.preferred_region = region
            match = super()._parse_and_verify(candidate, offset)
            if match is not None:
                self.region_of[offset] = region
                return match
        return None


class OnePassPhoneRecognizer(PhoneRecognizer):
    """`PhoneRecognizer` (same name, score, context words and result shape) with one search for all its regions."""

    def __init__(self, *, supported_language: str, supported_regions: Sequence[str]) -> None:
        super().__init__(supported_language=supported_language, supported_regions=supported_regions,
                         name="PhoneRecognizer")

    def analyze(self, text: str, entities: list[str],
                nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        matcher = _AnyRegionMatcher(text, self.supported_regions, self.leniency)
        results = []
        for match in matcher:
            region = matcher.region_of.get(match.start, self.supported_regions[0])
            try:  # as Presidio explains it: the number's own region where it carries a country code
                region = phonenumbers.region_code_for_number(phonenumbers.parse(match.raw_string)) or region
            except phonenumbers.NumberParseException:
                pass
            results.append(self._get_recognizer_result(match, text, region, nlp_artifacts))
        return EntityRecognizer.remove_duplicates(results)
