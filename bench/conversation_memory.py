"""What conversation memory costs: CPU time of the recall stage's work (remember, then recall) per turn of a chat
that resends its whole history, built from presidio_synth_v2 dev sentences (~300 characters a turn, the gold spans
of the newest turn standing in for the detector's findings, so every older value is found again by memory).

    python -m bench.conversation_memory [--turns 20] [--repeats 5]

Prints the median CPU milliseconds of the last turn and of all turns together, with the text size, the values
remembered and the findings recalled. CPU time (process_time), so other load on the machine does not count.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from proxy.detection.findings import Finding  # noqa: E402
from proxy.redaction.memory import recall, remember  # noqa: E402
from proxy.redaction.pseudonyms import PseudonymMap  # noqa: E402

EVAL = REPO.parent / "shared" / "eval" / "presidio_synth_v2" / "dev.jsonl"


def chat(turns: int, size: int = 300) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """`turns` texts of about `size` characters, each with its gold spans (start, end, entity type)."""
    rows = [json.loads(x) for x in EVAL.read_text(encoding="utf-8").splitlines() if x.strip()]
    out: list[tuple[str, list[tuple[int, int, str]]]] = []
    i = 0
    while len(out) < turns:
        parts: list[str] = []
        spans: list[tuple[int, int, str]] = []
        while sum(len(p) + 1 for p in parts) < size:
            row = rows[i % len(rows)]
            i += 1
            offset = sum(len(p) + 1 for p in parts)
            parts.append(row["text"])
            spans += [(offset + s["start"], offset + s["end"], s["mapped"]) for s in row["spans"]]
        out.append((" ".join(parts), spans))
    return out


def one_chat(turns: list[tuple[str, list[tuple[int, int, str]]]]) -> tuple[list[float], int, int]:
    """CPU ms per turn, the last turn's recalled findings, and the values remembered at the end."""
    pmap = PseudonymMap()
    per_turn: list[float] = []
    recalled = 0
    for n in range(1, len(turns) + 1):
        texts = [t for t, _ in turns[:n]]
        findings = [Finding(n - 1, s, e, typ, 0.85, "gold") for s, e, typ in turns[n - 1][1]]
        t0 = time.process_time()
        remember(pmap, texts, findings)
        recalled = len(recall(pmap, texts, findings))
        per_turn.append((time.process_time() - t0) * 1000)
    return per_turn, recalled, len(pmap.remembered())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--turns", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    turns = chat(args.turns)
    runs = [one_chat(turns) for _ in range(args.repeats)]
    last = statistics.median(r[0][-1] for r in runs)
    total = statistics.median(sum(r[0]) for r in runs)
    chars = sum(len(t) for t, _ in turns)
    print(f"turn {args.turns} ({chars} characters of history, {runs[0][2]} remembered values, {runs[0][1]} findings "
          f"recalled): {last:.2f} ms CPU; all {args.turns} turns: {total:.1f} ms CPU (median of {args.repeats})")


if __name__ == "__main__":
    main()
