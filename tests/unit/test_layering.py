"""The request model and provider-body parsing are the ground floor: no lower layer imports an upper one.

Upper layers: proxy.api (receive), proxy.pipeline (the stage list), proxy.cli, proxy.web, proxy.app. The packages
below them (request, detection, policy, redaction, routing, response, audit, auth) may import each other and the
ground floor, never those."""

from __future__ import annotations

import ast
from pathlib import Path

PROXY = Path(__file__).resolve().parents[2] / "proxy"
UPPER = ("proxy.api", "proxy.pipeline", "proxy.cli", "proxy.web", "proxy.app")
LOWER = ("request", "detection", "policy", "redaction", "routing", "response", "audit", "auth", "budgets", "shared")


def imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_lower_layers_import_no_upper_layer() -> None:
    offenders = []
    for package in LOWER:
        for path in sorted((PROXY / package).rglob("*.py")):
            bad = sorted(m for m in imports(path) if m.startswith(UPPER))
            if bad:
                offenders.append(f"{path.relative_to(PROXY.parent)}: {', '.join(bad)}")
    assert offenders == []


def test_the_request_model_imports_no_stage_at_run_time() -> None:
    """proxy.request imports only the error types at run time (stage types only for annotations)."""
    for path in (PROXY / "request").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level, outside `if TYPE_CHECKING:`
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("proxy."):
                assert node.module.startswith(("proxy.request", "proxy.errors")), (path.name, node.module)
