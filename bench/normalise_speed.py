"""What folding costs before detection: CPU time of `normalise()` (Unicode folding, HTML character references and
percent-encoding, look-alike letters) on the ~1 KB English prompts of bench/detection_speed.py, as they are and with
escapes planted (the first `@` as `&#64;`, three spaces as `%20`).

    python -m bench.normalise_speed [--prompts 100] [--repeats 20]

Compare two checkouts by running it in each (CPU time, so other load on the machine does not count).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.detection_speed import EVAL, pct, prompts_from  # noqa: E402
from proxy.detection.normalise import normalise  # noqa: E402


def cpu_us(prompts: list[str], repeats: int) -> tuple[float, float]:
    times: list[float] = []
    for _ in range(repeats):
        for p in prompts:
            t0 = time.process_time_ns()
            normalise(p)
            times.append((time.process_time_ns() - t0) / 1000)
    return pct(times, 50), pct(times, 99)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--prompts", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    plain = prompts_from(EVAL / "presidio_synth_v2" / "dev.jsonl", args.prompts)
    escaped = [p.replace("@", "&#64;", 1).replace(" ", "%20", 3) for p in plain]
    for name, prompts in (("as they are", plain), ("with escapes", escaped)):
        p50, p99 = cpu_us(prompts, args.repeats)
        print(f"normalise, {len(prompts)} x ~1 KB {name}: p50 {p50:.1f} us, p99 {p99:.1f} us CPU")


if __name__ == "__main__":
    main()
