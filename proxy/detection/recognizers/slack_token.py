"""Slack tokens (`xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`, `xoxe-`), app tokens (`xapp-`) and webhook URLs."""

from __future__ import annotations

from proxy.detection.recognizers.base import PatternSpec, RecognizerSpec

SPEC = RecognizerSpec(
    name="SlackTokenRecognizer",
    entity_type="SLACK_TOKEN",
    patterns=(
        PatternSpec("slack token", r"\bxox(?:[abprs]|e(?:\.xox[bp])?)-(?:\d+-)*[A-Za-z0-9]{8,}(?:-[A-Za-z0-9]+)*",
                    0.9),
        PatternSpec("slack app token", r"\bxapp-\d-[A-Z0-9]+-\d+-[a-f0-9]{16,}\b", 0.95),
        PatternSpec("slack webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/"
                                     r"[A-Za-z0-9_/]{20,}", 0.95),
    ),
    context=("slack", "token", "webhook"),
    case_sensitive=True,
)
