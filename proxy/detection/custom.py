"""Company-specific detection from `policies/recognizers.yaml`: custom regexes, deny-lists and allow-lists.

The file is validated strictly (pydantic, unknown keys refused, every regex compiled). An invalid file raises
`RecognizerConfigError` naming the file and the place in it; there is no silent fallback to defaults, because a
governance proxy that quietly stops detecting a customer's name is worse than one that refuses to start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import regex
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec
from proxy.detection.terms import terms_regex

FILE_NAME = "recognizers.yaml"
# Entity types that are found but not reported unless the file says otherwise. Presidio's UUID recognizer tags
# every request/trace id in developer prompts; policies treat unknown types as confidential, so reporting UUIDs
# would push ordinary code questions away from external models. UUID-shaped secrets next to key/token words are
# still GENERIC_SECRET. ORGANIZATION (spaCy's ORG) is found but not reported either, as in Presidio's defaults:
# measured on the dev sets its precision is 0.12-0.21, though reporting it would cut the names+places leak rate
# by 10-15 points (spaCy often labels people ORG). Enable it by leaving it out of `disabled_entities`.
DEFAULT_DISABLED: frozenset[str] = frozenset({"UUID", "ORGANIZATION"})

_ENTITY = r"^[A-Z][A-Z0-9_]*$"


class RecognizerConfigError(ValueError):
    """The recognizer file is invalid. The message names the file and the location, never a term's value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomPattern(_Strict):
    name: str = Field(min_length=1, max_length=100)
    entity_type: str = Field(pattern=_ENTITY)
    regex: str = Field(min_length=1)
    score: float = Field(default=0.8, ge=0.0, le=1.0)
    context: list[str] = Field(default_factory=list)
    languages: list[str] | None = None
    case_sensitive: bool = False

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            regex.compile(value)
        except regex.error as exc:
            raise ValueError(f"invalid regular expression ({exc.msg} at position {exc.pos})") from None
        if regex.compile(value).fullmatch(""):
            raise ValueError("regular expression matches the empty string")
        return value


class DenyList(_Strict):
    entity_type: str = Field(pattern=_ENTITY)
    terms: list[str] = Field(min_length=1)
    score: float = Field(default=1.0, ge=0.0, le=1.0)
    languages: list[str] | None = None

    @field_validator("terms")
    @classmethod
    def _non_blank(cls, value: list[str]) -> list[str]:
        if any(not t.strip() for t in value):
            raise ValueError("terms must not be blank")
        return value


class RecognizerFile(_Strict):
    api_version: Literal["govproxy/v1"] = Field(alias="apiVersion")
    patterns: list[CustomPattern] = Field(default_factory=list)
    deny_lists: list[DenyList] = Field(default_factory=list)
    allow_list: list[str] = Field(default_factory=list)
    # Entity types found but not reported; replaces the built-in default list when given.
    disabled_entities: list[str] | None = None


@dataclass(frozen=True, slots=True)
class CustomRecognizers:
    """What the file adds to detection, in the detector's own terms."""

    specs: tuple[RecognizerSpec, ...] = ()
    allow_list: tuple[str, ...] = ()
    disabled_entities: frozenset[str] = DEFAULT_DISABLED
    source: Path | None = None


def _location(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_recognizers(data: object, source: Path) -> CustomRecognizers:
    """Validate already-loaded YAML data and turn it into recognizer specs."""
    try:
        parsed = RecognizerFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_location(e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False))
        raise RecognizerConfigError(f"{source}: {problems}") from None
    specs: list[RecognizerSpec] = []
    seen: set[str] = set()
    for i, p in enumerate(parsed.patterns):
        if p.name in seen:
            raise RecognizerConfigError(f"{source}: patterns[{i}].name: duplicate recognizer name")
        seen.add(p.name)
        specs.append(RecognizerSpec(
            name=f"custom:{p.name}", entity_type=p.entity_type, patterns=(PatternSpec(p.name, p.regex, p.score),),
            context=tuple(w.lower() for w in p.context), languages=tuple(p.languages) if p.languages else None,
            case_sensitive=p.case_sensitive))
    for i, d in enumerate(parsed.deny_lists):
        # One regex per list, tolerant of case, spacing, hyphens and German/English word forms (terms.py).
        specs.append(RecognizerSpec(
            name=f"deny:{d.entity_type}:{i}", entity_type=d.entity_type,
            patterns=(PatternSpec("deny_list", terms_regex(d.terms), d.score),),
            languages=tuple(d.languages) if d.languages else None))
    disabled = DEFAULT_DISABLED if parsed.disabled_entities is None else frozenset(parsed.disabled_entities)
    return CustomRecognizers(tuple(specs), tuple(parsed.allow_list), disabled, source)


def parse_recognizers_text(text: str, source: Path) -> CustomRecognizers:
    """Parse and validate the file's text (the policy loader hands over the bytes it hashed)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        raise RecognizerConfigError(f"{source}: not valid YAML ({where})") from None
    return parse_recognizers(data if data is not None else {}, source)


def load_recognizers(policies_dir: Path) -> CustomRecognizers:
    """Read `<policies_dir>/recognizers.yaml`; no file means no custom recognizers (and the default lists)."""
    path = Path(policies_dir) / FILE_NAME
    if not path.exists():
        return CustomRecognizers()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecognizerConfigError(f"{path}: cannot be read ({exc.__class__.__name__})") from None
    return parse_recognizers_text(text, path)
