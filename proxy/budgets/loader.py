"""Load `<policies>/budgets.yaml` and hot-reload it, the way the policy reloads: a file that does not validate is
refused at start-up (fail closed) and, later, leaves the last good budgets in force. No file: no budgets.

Kept apart from the policy loader on purpose (its own small watcher), so changes to one do not touch the other.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import structlog
import yaml
from pydantic import ValidationError

from proxy.budgets.schema import BudgetFile

log = structlog.get_logger()
FILENAME = "budgets.yaml"


class BudgetLoadError(ValueError):
    pass


def load_budgets(policies_dir: Path) -> tuple[BudgetFile, str]:
    """The budgets and a short hash of the file's bytes (its version); no file gives no budgets."""
    path = Path(policies_dir) / FILENAME
    if not path.exists():
        return BudgetFile(apiVersion="govproxy/v1"), "none"
    raw = path.read_bytes()
    try:
        doc = yaml.safe_load(raw) or {}
        if not isinstance(doc, dict):
            raise BudgetLoadError(f"{FILENAME}: expected a mapping with apiVersion and budgets")
        budgets = BudgetFile.model_validate(doc)
    except yaml.YAMLError as exc:
        raise BudgetLoadError(f"{FILENAME}: not valid YAML: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors())
        raise BudgetLoadError(f"{FILENAME}: {problems}") from None
    return budgets, hashlib.sha256(raw).hexdigest()[:12]


class BudgetHolder:
    """The budgets in force (an immutable snapshot swapped whole on reload)."""

    def __init__(self, policies_dir: Path) -> None:
        self.policies_dir = Path(policies_dir)
        self.budgets, self.version = load_budgets(self.policies_dir)  # raises: fail closed at start-up
        self.last_error: str | None = None

    def reload(self) -> bool:
        """Re-read the file; True when a new version is now in force."""
        try:
            budgets, version = load_budgets(self.policies_dir)
        except (BudgetLoadError, OSError) as exc:
            if str(exc) != self.last_error:
                log.error("budgets_reload_rejected", error=str(exc), version_in_force=self.version)
            self.last_error = str(exc)
            return False
        self.last_error = None
        if version == self.version:
            return False
        self.budgets, self.version = budgets, version
        log.info("budgets_reloaded", version=version, budgets=len(budgets.budgets))
        return True

    async def watch(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(max(interval_s, 0.5))
            try:
                self.reload()
            except Exception as exc:  # noqa: BLE001 - one bad read must not stop the watcher: last good stays
                log.error("budgets_reload_failed", error_class=type(exc).__name__, version_in_force=self.version)
