"""Findings on source code: what the detector reports on text that holds no personal data, so that every finding
is a placeholder the upstream model sees instead of code. Next to plain Presidio defaults, in the same run.

    python bench/code_findings.py [--json]

The text is source files of packages the proxy installs (Starlette, SQLAlchemy, httpx, litellm), the first 40,000
characters of each, scanned as English with `govproxy scan` (a subprocess, as in detection_quality.py). It prints
findings per 10 KB by entity type and the values found most often (identifiers, not personal data). Package
versions are printed: the figures move with them.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.detection_quality import run_scan  # noqa: E402

FILES = (("starlette", "starlette/routing.py"), ("sqlalchemy", "sqlalchemy/orm/session.py"),
         ("httpx", "httpx/_client.py"), ("litellm", "litellm/router.py"))
CHARS = 40_000


def sources() -> list[dict[str, str]]:
    records = []
    for dist, rel in FILES:
        path = Path(str(importlib.metadata.distribution(dist).locate_file(rel)))
        version = importlib.metadata.version(dist)
        records.append({"id": f"{dist}-{version}:{rel}", "text": path.read_text(encoding="utf-8")[:CHARS]})
    return records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    records = sources()
    kb = sum(len(r["text"].encode()) for r in records) / 1024
    report: dict[str, object] = {"files": [r["id"] for r in records], "kb": round(kb, 1)}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "code.jsonl"
        src.write_text("".join(json.dumps(r) + "\n" for r in records))
        for which, baseline in (("ours", False), ("presidio", True)):
            found, _ = run_scan(src, baseline, 0, REPO / "policies", extra=("--language", "en"))
            by_type: Counter[str] = Counter()
            values: Counter[str] = Counter()
            for r in records:
                for f in found.get(r["id"], []):
                    by_type[f["entity_type"]] += 1
                    values[f"{f['entity_type']} {r['text'][f['start']:f['end']]!r}"] += 1
            total = sum(by_type.values())
            report[which] = {"findings": total, "per_10kb": round(total / kb * 10, 1), "by_type": dict(by_type),
                             "top": values.most_common(12)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{len(records)} files, {kb:.0f} KB: " + ", ".join(report["files"]))  # type: ignore[arg-type]
    for which in ("ours", "presidio"):
        r = report[which]  # type: ignore[index]
        print(f"\n{which}: {r['findings']} findings, {r['per_10kb']} per 10 KB")
        print("  by type: " + ", ".join(f"{k} {v}" for k, v in sorted(r["by_type"].items(), key=lambda x: -x[1])))
        print("  most often: " + ", ".join(f"{k} x{v}" for k, v in r["top"]))
    ours, base = report["ours"]["findings"], report["presidio"]["findings"]  # type: ignore[index]
    print(f"\nratio ours/presidio findings: {ours / base:.3f}" if base else "")


if __name__ == "__main__":
    main()
