"""Content detection cannot read (image, audio and file bytes, remote media, token ids) as findings, so that the
policy decides where it may go like any other data: the shipped policy blocks it to external targets."""

from __future__ import annotations

from collections.abc import Sequence

from proxy.detection.findings import Finding
from proxy.request.context import TextField

# Opaque kind (proxy/request/walk.py) -> entity type. All of them are in the policy's `unscannable` group.
ENTITY_TYPES = {"image": "UNSCANNED_IMAGE", "audio": "UNSCANNED_AUDIO", "file": "UNSCANNED_FILE",
                "tokens": "UNSCANNED_TOKENS"}


def unscannable_findings(fields: Sequence[TextField]) -> list[Finding]:
    """One finding over the whole of every opaque field."""
    return [Finding(i, 0, len(f.text), ENTITY_TYPES[f.opaque], 1.0, "unscannable", "none")
            for i, f in enumerate(fields) if f.opaque is not None]
