"""Detection CPU time of two checkouts, prompt by prompt in turn, for before/after figures on a noisy machine.

    python bench/detection_ab.py --before PATH [--after PATH] [--prompts 100] [--rounds 4] [--bytes 1024] [--json]

Four worker processes, two per checkout (`--after` defaults to this one), started in the order before, after, after,
before, each build their detector as bench/detection_speed.py does (cache off) and wait. In each round the parent
gives every prompt to one worker of each checkout, one and then the other (which goes first: a seeded coin per
prompt); rounds alternate between the two pairs. Each worker process runs at a speed of its own within a few
percent: two worktrees of one commit read 0.948-0.987 "after / before" with one worker each and the order tied to
the prompt's number (8 figures), 0.966-1.010 this way (8 figures), so run such an A/A pass beside a comparison and
read differences under about 3 % as unresolved. Both sides see the same machine at nearly the same moment:
on a shared machine whose speed drifts by tens of percent between runs, the paired ratio stays put. Per kind of
prompt (English, German, mixed, English with the language given) it prints each side's CPU p50 (the analysing thread's
`thread_time`) and the median of the per-prompt ratios after / before. Prompts are those of
bench/detection_speed.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
import detection_speed  # noqa: E402

# Runs in each worker: builds that checkout's detector, then analyses prompt `i` of a kind per input line; its answers
# start with "@" (log lines may come on stdout too).
WORKER = """
import json, sys, time
tree, prompts_file = sys.argv[1], sys.argv[2]
sys.path[:0] = [tree, tree + "/bench"]
import detection_speed
detector, _ = detection_speed.build(cache_size=0)
prompts = json.load(open(prompts_file, encoding="utf-8"))
print("@ready", flush=True)
for line in sys.stdin:
    kind, i = line.split()
    text, language = prompts[kind][int(i)], {"en_forced": "en"}.get(kind)
    c0 = time.thread_time()
    detector.analyze(text, language)
    print("@", (time.thread_time() - c0) * 1000, flush=True)
"""
KINDS = ("en", "de", "mixed", "en_forced")


class Side:
    def __init__(self, tree: Path, prompts_file: str) -> None:
        self.tree = tree
        # stderr passes through, so a worker that fails to start says why.
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER, str(tree), prompts_file], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(tree)})
        self.ask("ready")

    def ask(self, expect: str | None = None, line: str | None = None) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if line is not None:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        while True:
            out = self.proc.stdout.readline()
            if not out:
                raise RuntimeError(f"the worker for {self.tree} stopped")
            if out.startswith("@"):
                break
        answer = out[1:].strip()
        if expect is not None and answer != expect:
            raise RuntimeError(f"the worker for {self.tree} answered {answer!r}")
        return answer

    def time(self, kind: str, i: int) -> float:
        return float(self.ask(line=f"{kind} {i}"))

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, required=True, help="the other checkout (e.g. a worktree of main)")
    ap.add_argument("--after", type=Path, default=REPO)
    ap.add_argument("--prompts", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=4, help="passes over the prompts (even: each pair of workers "
                    "runs half)")
    ap.add_argument("--bytes", type=int, default=1024, help="prompt size (about; 150 for chat-sized messages)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    eval_dir = detection_speed.EVAL
    size = args.bytes
    prompts = {"en": detection_speed.prompts_from(eval_dir / "presidio_synth_v2" / "dev.jsonl", args.prompts, size),
               "de": detection_speed.prompts_from(eval_dir / "germeval2014" / "dev.jsonl", args.prompts, size)}
    prompts["mixed"] = detection_speed.mixed_prompts(eval_dir / "presidio_synth_v2" / "dev.jsonl",
                                                     eval_dir / "germeval2014" / "dev.jsonl", args.prompts, size)
    prompts["en_forced"] = prompts["en"]
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as f:
        json.dump(prompts, f)
        f.flush()
        # Two workers per checkout, started before, after, after, before: with one each (before started first), two
        # workers of the same checkout measured 0.95-0.98 "after / before", the one started second the faster. Round
        # r uses pair r % 2, so each checkout has the first- and the last-started worker for half the rounds.
        sides: list[Side] = []
        try:
            for tree in (args.before, args.after, args.after, args.before):
                sides.append(Side(tree.resolve(), f.name))
            pairs = ((sides[0], sides[1]), (sides[3], sides[2]))
            for side in sides:  # warm-up: each kind once
                for kind in KINDS:
                    side.time(kind, 0)
            times: dict[str, dict[str, list[float]]] = {k: {"before": [], "after": []} for k in KINDS}
            coin = random.Random(1)  # who goes first on a prompt: a fair coin, not tied to the prompt's number
            for r in range(args.rounds):
                before, after = pairs[r % 2]
                for kind in KINDS:
                    for i in range(args.prompts):
                        order = ((before, "before"), (after, "after"))
                        for side, name in order if coin.random() < 0.5 else order[::-1]:
                            times[kind][name].append(side.time(kind, i))
        finally:
            for side in sides:
                side.close()
    report = {}
    for kind, t in times.items():
        ratios = [a / b for a, b in zip(t["after"], t["before"], strict=True) if b > 0]
        report[kind] = {"before_p50_ms": round(statistics.median(t["before"]), 2),
                        "after_p50_ms": round(statistics.median(t["after"]), 2),
                        "median_ratio": round(statistics.median(ratios), 3), "n": len(ratios)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"before {args.before}, after {args.after}: {args.prompts} prompts of ~{size} B x {args.rounds} rounds, "
          "in turn")
    for kind, r in report.items():
        print(f"{kind:<10} CPU p50 before {r['before_p50_ms']:7.2f} ms  after {r['after_p50_ms']:7.2f} ms  "
              f"median after/before {r['median_ratio']:.3f} (n={r['n']})")


if __name__ == "__main__":
    main()
