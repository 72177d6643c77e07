"""The model catalogue (policies/models.yaml): aliases callers use -> upstream targets reached through litellm."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proxy.policy.decision import Location

CATALOGUE_FILE = "models.yaml"
Capability = Literal["chat", "completions", "embeddings"]
_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)(?::-([^}]*))?\}")


class CatalogueError(ValueError):
    """The catalogue file is missing or invalid; the message says where."""


class _TargetSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alias: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
    model: str
    api_base: str | None = None
    api_key_env: str | None = None
    api_version: str | None = None
    location: Location
    # The highest classification this target may receive; a policy file defines the levels.
    clearance: str | None = None
    capabilities: list[Capability] = Field(default_factory=lambda: ["chat", "completions"])
    fallbacks: list[str] = Field(default_factory=list)
    timeout_s: float | None = None
    description: str = ""


class _CatalogueSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    apiVersion: Literal["govproxy/v1"]
    models: list[_TargetSpec]


@dataclass(frozen=True, slots=True)
class Target:
    alias: str
    model: str
    location: Location
    clearance: str | None = None
    api_base: str | None = None
    api_key_env: str | None = None
    api_version: str | None = None
    capabilities: frozenset[str] = frozenset({"chat", "completions"})
    fallbacks: tuple[str, ...] = ()
    timeout_s: float | None = None
    description: str = ""

    def api_key(self, environ: Mapping[str, str] | None = None) -> str | None:
        env = os.environ if environ is None else environ
        return env.get(self.api_key_env) if self.api_key_env else None


@dataclass(frozen=True, slots=True)
class Catalogue:
    """An immutable snapshot; reload builds a new one."""

    targets: Mapping[str, Target] = field(default_factory=dict)
    version: str = ""

    def get(self, alias: str) -> Target | None:
        return self.targets.get(alias)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.targets.values())


def _expand_env(value: Any, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: environ.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, list):
        return [_expand_env(v, environ) for v in value]
    if isinstance(value, dict):
        return {k: _expand_env(v, environ) for k, v in value.items()}
    return value


def parse_catalogue(text: str, *, source: str = CATALOGUE_FILE,
                    environ: Mapping[str, str] | None = None) -> Catalogue:
    """Parse and validate catalogue YAML. `${VAR}` / `${VAR:-default}` in values are taken from the environment."""
    import hashlib

    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise CatalogueError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    try:
        spec = _CatalogueSpec.model_validate(_expand_env(raw, os.environ if environ is None else environ))
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise CatalogueError(f"{source}: {details}") from None
    targets: dict[str, Target] = {}
    for t in spec.models:
        if t.alias in targets:
            raise CatalogueError(f"{source}: duplicate alias {t.alias!r}")
        targets[t.alias] = Target(
            alias=t.alias, model=t.model, location=t.location, clearance=t.clearance,
            api_base=t.api_base or None, api_key_env=t.api_key_env, api_version=t.api_version,
            capabilities=frozenset(t.capabilities), fallbacks=tuple(t.fallbacks), timeout_s=t.timeout_s,
            description=t.description,
        )
    for t in targets.values():
        missing = [f for f in t.fallbacks if f not in targets]
        if missing:
            raise CatalogueError(f"{source}: {t.alias}: unknown fallback alias(es) {missing}")
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return Catalogue(targets=targets, version=version)


def load_catalogue(policies_dir: Path, environ: Mapping[str, str] | None = None) -> Catalogue:
    path = Path(policies_dir) / CATALOGUE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_catalogue(text, source=str(path), environ=environ)
