"""Anthropic-only request features (prompt caching, extended thinking, beta headers) and where they may go.

The Anthropic converter (proxy/request/anthropic.py) keeps `cache_control` markers and `thinking` in the chat
body; litellm passes them on to an Anthropic target. Any other target gets the body without them, and the caller
is told which were dropped (`x-govproxy-dropped`). The caller's `anthropic-beta` header goes to Anthropic targets
only.
"""

from __future__ import annotations

from typing import Any

from proxy.routing.catalogue import Target

BETA_HEADER = "anthropic-beta"


def speaks_anthropic(target: Target) -> bool:
    return target.model.startswith("anthropic/")


def without_anthropic_features(body: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The body with `thinking` and every `cache_control` marker removed, and the names of what was removed."""
    dropped: list[str] = []
    out = dict(body)
    if out.pop("thinking", None) is not None:
        dropped.append("thinking")
    cached = False

    def strip(node: Any) -> Any:
        nonlocal cached
        if isinstance(node, dict):
            if "cache_control" in node:
                cached = True
            return {k: strip(v) for k, v in node.items() if k != "cache_control"}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    for key in ("messages", "tools"):
        if key in out:
            out[key] = strip(out[key])
    if cached:
        dropped.append("cache_control")
    return out, dropped


def extra_headers(target: Target, headers: dict[str, str]) -> dict[str, str]:
    """Headers to pass on to the target: the caller's anthropic-beta, for Anthropic targets only."""
    beta = headers.get(BETA_HEADER)
    return {BETA_HEADER: beta} if beta and speaks_anthropic(target) else {}
