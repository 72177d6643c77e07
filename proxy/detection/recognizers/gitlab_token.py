"""GitLab tokens: personal/project/group access (`glpat-`), deploy (`gldt-`), runner (`glrt-`, `GR1348941…`),
CI job (`glcbt-`), trigger (`glptt-`), feed (`glft-`), OAuth app secrets (`gloas-`) and SCIM (`glsoat-`)."""

from __future__ import annotations

from proxy.detection.recognizers.base import Check, PatternSpec, RecognizerSpec, shannon_entropy


def validate(value: str) -> Check:
    """Reject placeholders such as `glpat-xxxxxxxxxxxxxxxxxxxx`."""
    body = value.split("-", 1)[-1] if "-" in value else value[9:]
    return Check.REJECTED if shannon_entropy(body) < 2.8 else Check.UNKNOWN


SPEC = RecognizerSpec(
    name="GitLabTokenRecognizer",
    entity_type="GITLAB_TOKEN",
    patterns=(
        PatternSpec("gitlab token", r"\b(?:glpat|gldt|glrt|glcbt|glptt|glft|gloas|glsoat|glimt|glagent)-"
                                    r"[A-Za-z0-9_-]{20,}", 0.9),
        PatternSpec("gitlab runner registration token", r"\bGR1348941[A-Za-z0-9_-]{20}\b", 0.9),
    ),
    context=("gitlab", "token"),
    case_sensitive=True,
    validate=validate,
)
