"""Names, dates of birth and Steuer-IDs in German and English business text: how many leak, govproxy vs Presidio.

    python bench/business_names.py [--parts de_dev,de_heldout,en_dev,en_heldout] [--show-misses] [--json]

Builds the corpus of bench/business_corpus.py (fixed seeds; letters, signatures, CSV/TSV/Markdown/JSON exports,
HR notes, tickets, meeting notes, chat logs) and runs `govproxy scan` over each part, once as shipped and once with
`--presidio-defaults`, as bench/detection_quality.py does. Per part it prints:

- PERSON leak: the share of gold names with any letter or digit that no finding an external model would not get
  covers (findings the default policy lets through to external models, DATE_TIME, ZIP_CODE, ORGANIZATION, URL
  and UUID, do not count as cover);
- PERSON precision: PERSON findings that overlap a gold name, over all PERSON findings;
- the same leak for DATE_OF_BIRTH and DE_TAX_ID gold spans.

`--show-misses` prints the leaked values and the wrong PERSON findings of the dev parts only: the held-out parts
are for the report, never for writing rules.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.business_corpus import parts  # noqa: E402
from bench.detection_quality import run_scan  # noqa: E402

# What the default policy sends to an external model as it is (level internal or public).
NOT_COVER = frozenset({"DATE_TIME", "ZIP_CODE", "ORGANIZATION", "URL", "UUID"})
LABELS = ("PERSON", "DATE_OF_BIRTH", "DE_TAX_ID")


def _leaks(text: str, span: dict, findings: list[dict]) -> bool:
    covered = set()
    for f in findings:
        if f["entity_type"] not in NOT_COVER:
            covered.update(range(f["start"], f["end"]))
    return any(text[i].isalnum() and i not in covered for i in range(span["start"], span["end"]))


def score(records: list[dict], found: dict[str, list[dict]], misses: list[str] | None = None) -> dict[str, dict]:
    out: dict[str, dict] = defaultdict(lambda: {"gold": 0, "leaked": 0})
    person_found = person_correct = 0
    for rec in records:
        fs = found.get(rec["id"], [])
        for s in rec["spans"]:
            t = out[s["label"]]
            t["gold"] += 1
            if _leaks(rec["text"], s, fs):
                t["leaked"] += 1
                if misses is not None:
                    misses.append(f"  leak {s['label']:<14} {s['text']!r:<40} [{rec['kind']}, {rec['id']}]")
        for f in fs:
            if f["entity_type"] != "PERSON":
                continue
            person_found += 1
            ok = any(s["label"] == "PERSON" and f["start"] < s["end"] and s["start"] < f["end"] for s in rec["spans"])
            person_correct += ok
            if not ok and misses is not None:
                misses.append(f"  fp   PERSON         {rec['text'][f['start']:f['end']]!r:<40} [{rec['kind']}, "
                              f"{rec['id']}, {f['recognizer']}]")
    result = {k: dict(v) | {"leak": v["leaked"] / v["gold"] if v["gold"] else None} for k, v in out.items()}
    result["PERSON"] = result.get("PERSON", {"gold": 0, "leaked": 0, "leak": None}) | {
        "found": person_found, "precision": person_correct / person_found if person_found else None}
    return result


def _fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:5.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--parts", default="de_dev,de_heldout,de_unlisted_dev,de_unlisted,en_dev,en_heldout")
    ap.add_argument("--show-misses", action="store_true", help="print the dev parts' leaks and wrong names")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    corpus = parts()
    report = {}
    for name in args.parts.split(","):
        records = corpus[name]
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "input.jsonl"
            src.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in records))
            row = {}
            for which, baseline in (("ours", False), ("presidio", True)):
                misses: list[str] | None = [] if (args.show_misses and which == "ours"
                                                  and name.endswith("_dev")) else None
                found, seconds = run_scan(src, baseline, 0, REPO / "policies")
                row[which] = score(records, found, misses) | {"seconds": round(seconds, 1)}
                if misses:
                    print(f"-- {name} misses (ours)\n" + "\n".join(misses))
        report[name] = row | {"records": len(records)}
        if not args.json:
            print(f"\n== {name} ({len(records)} texts)")
            for which in ("ours", "presidio"):
                r = row[which]
                p = r["PERSON"]
                extra = "  ".join(f"{lb} leak {_fmt(r[lb]['leak'])} ({r[lb]['leaked']}/{r[lb]['gold']})"
                                  for lb in LABELS[1:] if lb in r)
                print(f"  {which:<9} PERSON leak {_fmt(p['leak'])} ({p['leaked']}/{p['gold']})  precision "
                      f"{_fmt(p['precision'])} ({p['found']} found)  {extra}")
    if args.json:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
