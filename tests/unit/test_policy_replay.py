"""Replay and the rule-reachability warnings on hand-built inputs (the CLI and HTTP tests run them end to end)."""

from __future__ import annotations

import shutil
from pathlib import Path

from proxy.policy.loader import load_policies
from proxy.policy.replay import PastRequest, replay

REPO = Path(__file__).resolve().parents[2]
CHAT = "/v1/chat/completions"


def past(id: str, entities: dict[str, int], action: str, location: str | None, targets: tuple[str, ...],
         model: str = "gpt-4o", **kw: object) -> PastRequest:
    return PastRequest(id=id, endpoint=CHAT, model=model, team="eng", user="u", entities=entities, action=action,
                       location=location, targets=targets, **kw)  # type: ignore[arg-type]


def test_replay_counts_changes_with_examples(tmp_path: Path) -> None:
    shutil.copytree(REPO / "policies", tmp_path / "p")
    snap = load_policies(tmp_path / "p")
    history = [
        past("r1", {}, "allow", "external", ("gpt-4o",)),
        past("r2", {"EMAIL_ADDRESS": 1}, "redact", "external", ("gpt-4o",),
             strategies={"EMAIL_ADDRESS": "placeholder"}),
        past("r3", {"EMAIL_ADDRESS": 2}, "redact", "external", ("gpt-4o",),
             strategies={"EMAIL_ADDRESS": "placeholder"}),
        # Recorded under the old shipped policy: a place made it confidential and auto went on-prem.
        past("r4", {"LOCATION": 1}, "allow", "onprem", ("local-llama",), model="auto"),
        past("r5", {}, "route", "onprem", ("local-llama",), model="auto", header_classification="restricted"),
    ]
    same = replay(snap, history)
    assert (same.records, same.changed) == (5, 1)
    (change,) = same.table()
    assert (change.before, change.after, change.count, change.examples) == ("allow@onprem", "redact@external", 1,
                                                                            ["r4"])

    rules = tmp_path / "p" / "rules" / "15-email.yaml"
    rules.write_text("apiVersion: govproxy/v1\nrules:\n  - name: block-email\n    match:\n"
                     "      entities: [{type: EMAIL_ADDRESS}]\n    action: block\n")
    report = replay(load_policies(tmp_path / "p"), history, baseline=snap)
    assert report.changed == 2
    (change,) = report.table()
    assert (change.before, change.after, change.count, change.examples) == ("redact@external", "block", 2,
                                                                            ["r2", "r3"])
    # An alias the candidate no longer has: the request would now be refused.
    gone = replay(snap, [past("r6", {}, "allow", "external", ("gpt-9",), model="gpt-9")])
    assert [(c.before, c.after) for c in gone.table()] == [("allow@external", "refused")]
