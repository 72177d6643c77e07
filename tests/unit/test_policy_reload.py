"""PolicyHolder: atomic swaps, the last good policy on a bad change, half-written and deleted files, the watcher."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from proxy.policy.decision import Action
from proxy.policy.errors import PolicyLoadError
from proxy.policy.evaluate import RequestFacts, evaluate
from proxy.policy.loader import PolicyHolder
from proxy.request.context import Endpoint
from tests.unit.policy_fixtures import CATALOGUE, caller, write_dir

BLOCK_ENG = "apiVersion: govproxy/v1\nrules:\n  - {name: block-eng, match: {teams: [eng]}, action: block}\n"
ROUTE_NEW = ("apiVersion: govproxy/v1\nrules:\n  - {name: route-new, match: {teams: [eng]}, action: route, "
             "to: brand-new}\n")
NEW_MODEL = "  - {alias: brand-new, model: openai/n, location: onprem, capabilities: [chat]}\n"


def decide(holder: PolicyHolder, team: str = "eng"):  # type: ignore[no-untyped-def]
    snap = holder.snapshot  # one snapshot per request
    return evaluate(snap.policy, RequestFacts(caller(team), Endpoint.CHAT, "onprem-a"), snap.catalogue)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_dir(tmp_path / "policies")


def test_start_fails_closed_on_an_invalid_directory(tmp_path: Path) -> None:
    root = write_dir(tmp_path, **{"rules/50-bad.yaml": "apiVersion: govproxy/v1\nrulez: []\n"})
    with pytest.raises(PolicyLoadError, match=r"50-bad\.yaml:2:1"):
        PolicyHolder(root)


def test_valid_change_applies_and_unchanged_is_a_no_op(root: Path) -> None:
    holder = PolicyHolder(root)
    v1 = holder.version
    assert decide(holder).action is Action.ALLOW
    assert holder.reload().unchanged
    (root / "rules" / "05-block.yaml").write_text(BLOCK_ENG)
    result = holder.reload()
    assert result.applied and result.previous_version == v1 and result.version == holder.version != v1
    d = decide(holder)
    assert d.action is Action.BLOCK and d.rule == "block-eng" and d.policy_version == holder.version
    assert holder.reloads == 1 and holder.last_error is None


def test_invalid_change_keeps_the_last_good_policy(root: Path) -> None:
    holder = PolicyHolder(root)
    good = holder.snapshot
    (root / "rules" / "05-block.yaml").write_text(BLOCK_ENG.replace("action: block", "action: blok"))
    result = holder.reload()
    assert not result.applied and result.version == good.version
    assert result.error and "rules/05-block.yaml:3:" in result.error and "rules[0].action" in result.error
    assert holder.snapshot is good and decide(holder).action is Action.ALLOW
    assert holder.last_error == result.error and holder.reload_failures == 1
    # Reverting the bad edit clears the error.
    (root / "rules" / "05-block.yaml").unlink()
    assert holder.reload().unchanged and holder.last_error is None


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.8])
def test_half_written_files_are_rejected(root: Path, cut: float) -> None:
    holder = PolicyHolder(root)
    good = holder.snapshot
    path = root / "rules" / "10-rules.yaml"
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * cut)])  # a save caught mid-write
    result = holder.reload()
    assert not result.applied and result.error and holder.snapshot is good


def test_half_written_catalogue_is_rejected(root: Path) -> None:
    holder = PolicyHolder(root)
    (root / "models.yaml").write_text(CATALOGUE[: CATALOGUE.index("ext-a") + 8])
    assert not holder.reload().applied and holder.snapshot.catalogue.get("ext-embed") is not None


def test_deleted_files(root: Path) -> None:
    holder = PolicyHolder(root)
    good = holder.snapshot
    (root / "models.yaml").unlink()
    assert "models.yaml: missing" in (holder.reload().error or "")
    (root / "models.yaml").write_text(CATALOGUE)
    (root / "rules" / "90-default.yaml").unlink()
    assert "no `default` rule" in (holder.reload().error or "")
    (root / "rules" / "90-default.yaml").write_text("apiVersion: govproxy/v1\ndefault: {action: allow}\n")
    assert holder.snapshot is good
    # Removing a rules file: the watcher's reload refuses it; an explicit reload confirms it.
    extra = root / "rules" / "20-extra.yaml"
    extra.write_text(BLOCK_ENG)
    assert holder.reload().applied
    extra.unlink()
    refused = holder.reload(allow_removals=False)
    assert not refused.applied and "20-extra.yaml" in (refused.error or "") and "disappeared" in refused.error
    assert decide(holder).action is Action.BLOCK
    assert holder.reload().applied and decide(holder).action is Action.ALLOW


def test_policy_and_catalogue_swap_together_under_concurrent_reads(root: Path) -> None:
    """Readers evaluate while the directory flips between a policy routing to a model only its own catalogue has
    and one without it. A mixed snapshot would show up as a route with no target; none may."""
    holder = PolicyHolder(root)
    states = {"plain": ({}, Action.ALLOW), "new": ({"rules/05-route.yaml": ROUTE_NEW}, Action.ROUTE)}
    expected: dict[str, Action] = {holder.version: Action.ALLOW}
    stop = threading.Event()
    seen: list[tuple[str, Action, tuple[str, ...]]] = []
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                d = decide(holder)
                seen.append((d.policy_version, d.action, d.targets))
                time.sleep(0)  # let the reloading thread in
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(12):
            name = "new" if i % 2 == 0 else "plain"
            files, action = states[name]
            (root / "models.yaml").write_text(CATALOGUE + (NEW_MODEL if name == "new" else ""))
            route = root / "rules" / "05-route.yaml"
            if files:
                route.write_text(files["rules/05-route.yaml"])
            else:
                route.unlink()
            assert holder.reload().applied
            expected[holder.version] = action
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures and seen
    for version, action, targets in seen:
        assert action is expected[version]
        assert targets == (("brand-new",) if action is Action.ROUTE else ("onprem-a", "onprem-b"))


async def _wait(predicate: Callable[[], bool], seconds: float = 10.0) -> bool:
    """Poll until the predicate holds (a bound, not a speed check)."""
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


def test_watch_applies_changes_and_rejects_a_bad_one_once(root: Path) -> None:
    holder = PolicyHolder(root)
    v1 = holder.version

    async def scenario() -> None:
        watcher = asyncio.create_task(holder.watch(0.02))
        try:
            (root / "rules" / "05-block.yaml").write_text(BLOCK_ENG)
            assert await _wait(lambda: holder.version != v1)
            assert decide(holder).action is Action.BLOCK
            v2 = holder.version
            (root / "rules" / "05-block.yaml").write_text("apiVersion: govproxy/v1\nrules: [\n")
            assert await _wait(lambda: holder.last_error is not None)
            await asyncio.sleep(0.3)  # many more polls: the same bad content is not retried
            assert holder.reload_failures == 1 and holder.version == v2
            # A deleted file is not applied by the watcher.
            (root / "rules" / "05-block.yaml").unlink()
            assert await _wait(lambda: holder.reload_failures == 2)
            assert "disappeared" in (holder.last_error or "") and holder.version == v2
        finally:
            watcher.cancel()

    asyncio.run(scenario())


def test_watch_disabled_with_zero_interval(root: Path) -> None:
    holder = PolicyHolder(root)
    asyncio.run(asyncio.wait_for(holder.watch(0), timeout=5))
    assert holder.reloads == 0
