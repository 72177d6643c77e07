"""What can go wrong with policies: files that do not load, and requests the policy cannot place.

Messages name files, keys, levels, aliases and rule names only; never request text or detected values.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.errors import BadRequest, NotFound


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem in one policy file, located as precisely as the YAML allows (1-based line and column)."""

    source: str
    path: tuple[str | int, ...]
    message: str
    line: int | None = None
    column: int | None = None

    @property
    def where(self) -> str:
        if self.line is None:
            return self.source
        return f"{self.source}:{self.line}:{self.column}"

    def __str__(self) -> str:
        dotted = format_path(self.path)
        return f"{self.where}: {dotted + ': ' if dotted else ''}{self.message}"


def format_path(path: tuple[str | int, ...]) -> str:
    """`('rules', 2, 'match', 'teams')` -> `rules[2].match.teams`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class PolicyLoadError(ValueError):
    """The policy directory does not load; `issues` holds every problem found, each with its location."""

    def __init__(self, issues: list[Issue] | tuple[Issue, ...]) -> None:
        # Sorted by file and line, so the owner reads them top to bottom.
        self.issues = tuple(sorted(issues, key=lambda i: (i.source, i.line or 0, i.column or 0)))
        super().__init__("\n".join(str(i) for i in self.issues) or "invalid policy")


class UnknownClassification(BadRequest):
    """The caller's classification header names no level of the policy (a 400)."""

    code = "unknown_classification"


class UnknownModel(NotFound):
    """The requested model alias is neither in the catalogue nor a policy alias (a 404)."""


class UnsupportedEndpoint(NotFound):
    """The requested catalogue model exists but does not serve this endpoint (a chat-only model on
    /v1/completions): a 404, as OpenAI answers it, naming what the model does serve."""

    code = "model_not_supported"
