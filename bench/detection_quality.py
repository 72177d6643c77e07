"""Detection quality on the shared evaluation sets: govproxy vs plain Presidio defaults, measured in the same run.

    python bench/detection_quality.py [--split dev|test] [--limit N] [--eval-dir DIR] [--datasets a,b] [--json]
                                      [--save FILE] [--before FILE]

Runs `govproxy scan --format jsonl` (a subprocess, as a user would) over `<eval-dir>/<dataset>/<split>.jsonl`,
once as shipped and once with `--presidio-defaults` (Presidio's default recognizers, the same spaCy model, every
text read as English). Per dataset and mapped label it prints precision, recall and F1 (a finding counts when it
overlaps a gold span of the same mapped label) and the leak rate: the share of gold spans that no finding
overlaps at all, whatever its label (what would reach the model unredacted).

Precision counts findings whose mapped label the dataset annotates; findings of other types (say DE_TAX_ID on a
news corpus) are listed separately as "not annotated here", with how many of them touch any gold span.
Tune on dev only; the test split is for the final report. The shipped German model trains on the GermEval 2014 and
German LER dev splits (train/eval_split.py), so on `--split dev` those two sets are skipped; a model trained with
`train/run.sh --hold-out-third` (its meta.json says so) is scored on the held-out third of each. `--dev-part all`
scores every record, which says nothing about the model where it trained on them. The German model is the one
`govproxy scan` loads: the packaged one, or GOVPROXY_GERMAN_SPACY_MODEL.

`--save FILE` writes the JSON report beside the tables; `--before FILE` (a report saved from an earlier tree, say
the commit before a change) adds one table of PERSON and LOCATION precision, recall and leak per dataset: Presidio's
defaults, before, and now.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "train"))
import eval_split  # noqa: E402  (train/ is not a package; the rule lives with the training)

sys.path.insert(0, str(REPO))
from proxy.detection.text_analyzer import german_model_path  # noqa: E402
from proxy.settings import Settings  # noqa: E402

DEFAULT_EVAL = REPO.parent / "shared" / "eval"

# Our entity types -> the eval sets' `mapped` labels.
LABEL_MAP = {
    "PERSON": "PERSON", "LOCATION": "LOCATION", "DE_POSTCODE_CITY": "LOCATION", "ORGANIZATION": "ORGANIZATION",
    "DATE_TIME": "DATE_TIME", "DATE_OF_BIRTH": "DATE_TIME", "NRP": "NRP", "PHONE_NUMBER": "PHONE_NUMBER",
    "DE_PHONE": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS", "URL": "URL", "IBAN_CODE": "IBAN_CODE", "IP_ADDRESS": "IP_ADDRESS",
    "US_SSN": "US_SSN", "US_DRIVER_LICENSE": "US_DRIVER_LICENSE", "CREDIT_CARD": "CREDIT_CARD",
    "ZIP_CODE": "ZIP_CODE", "AGE": "AGE",
}
STRUCTURED = {"CREDIT_CARD", "PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE", "IP_ADDRESS", "US_SSN",
              "US_DRIVER_LICENSE", "ZIP_CODE", "URL"}
NAMES_PLACES = {"PERSON", "LOCATION"}


@dataclass
class Tally:
    gold: int = 0
    gold_found: int = 0  # gold spans overlapped by a finding of the same label
    gold_leaked: int = 0  # gold spans overlapped by no finding at all
    found: int = 0
    found_correct: int = 0

    def add(self, other: Tally) -> None:
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    @property
    def precision(self) -> float | None:
        return self.found_correct / self.found if self.found else None

    @property
    def recall(self) -> float | None:
        return self.gold_found / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)

    @property
    def leak(self) -> float | None:
        return self.gold_leaked / self.gold if self.gold else None

    def as_dict(self) -> dict[str, object]:
        return {**vars(self), "precision": self.precision, "recall": self.recall, "f1": self.f1, "leak": self.leak}


@dataclass
class Result:
    labels: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    other: Counter[str] = field(default_factory=Counter)
    other_touching_gold: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def total(self, only: set[str] | None = None) -> Tally:
        t = Tally()
        for label, tally in self.labels.items():
            if only is None or label in only:
                t.add(tally)
        return t


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(records: list[dict], findings_by_id: dict[str, list[dict]], annotated: set[str]) -> Result:
    """Compare findings with gold spans record by record."""
    res = Result()
    for rec in records:
        gold = [s for s in rec["spans"] if s.get("mapped")]
        found = findings_by_id.get(rec["id"], [])
        for s in gold:
            span = (s["start"], s["end"])
            t = res.labels[s["mapped"]]
            t.gold += 1
            hits = [f for f in found if _overlaps(span, (f["start"], f["end"]))]
            t.gold_found += any(LABEL_MAP.get(f["entity_type"]) == s["mapped"] for f in hits)
            t.gold_leaked += not hits
        for f in found:
            label = LABEL_MAP.get(f["entity_type"])
            fspan = (f["start"], f["end"])
            if label is None or label not in annotated:
                name = f["entity_type"] if label is None else f"{f['entity_type']}->{label}"
                res.other[name] += 1
                res.other_touching_gold[name] += any(_overlaps(fspan, (s["start"], s["end"])) for s in rec["spans"])
                continue
            t = res.labels[label]
            t.found += 1
            t.found_correct += any(s["mapped"] == label and _overlaps(fspan, (s["start"], s["end"])) for s in gold)
    return res


def run_scan(path: Path, baseline: bool, processes: int, policies: Path | None,
             extra: tuple[str, ...] = ()) -> tuple[dict[str, list[dict]], float]:
    """`govproxy scan` over a JSONL file; findings per record id and the wall time."""
    cmd = [str(Path(sys.executable).parent / "govproxy"), "scan", str(path), "--format", "jsonl", "--input", "jsonl",
           "--processes", str(processes), *extra]
    if policies is not None:
        cmd += ["--policies", str(policies)]
    if baseline:
        cmd.append("--presidio-defaults")
    started = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO).stdout
    elapsed = time.perf_counter() - started
    by_id = {}
    for line in out.splitlines():
        item = json.loads(line)
        by_id[item["id"]] = item["findings"]
    return by_id, elapsed


def _fmt(x: float | None) -> str:
    return "   -  " if x is None else f"{x:6.3f}"


def print_dataset(name: str, n: int, ours: Result, base: Result) -> None:
    print(f"\n== {name} ({n} records; ours {ours.seconds:.1f} s, presidio {base.seconds:.1f} s)")
    print(f"{'label':<20}{'gold':>6} | {'ours: found':>11} {'P':>6} {'R':>6} {'F1':>6} {'leak':>6} |"
          f" {'presidio: found':>15} {'P':>6} {'R':>6} {'F1':>6} {'leak':>6}")
    labels = sorted(set(ours.labels) | set(base.labels))
    rows = [(lb, ours.labels[lb], base.labels[lb]) for lb in labels]
    rows.append(("ALL (annotated)", ours.total(), base.total()))
    for title, group in (("structured", STRUCTURED), ("names+places", NAMES_PLACES)):
        if any(lb in group for lb in labels):
            rows.append((f"ALL {title}", ours.total(group), base.total(group)))
    for label, o, b in rows:
        print(f"{label:<20}{o.gold:>6} | {o.found:>11} {_fmt(o.precision)} {_fmt(o.recall)} {_fmt(o.f1)}"
              f" {_fmt(o.leak)} | {b.found:>15} {_fmt(b.precision)} {_fmt(b.recall)} {_fmt(b.f1)} {_fmt(b.leak)}")
    for title, res in (("ours", ours), ("presidio", base)):
        if res.other:
            items = ", ".join(f"{k} {v} ({res.other_touching_gold[k]} on gold)" for k, v in res.other.most_common())
            print(f"  not annotated here, {title}: {items}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", default="dev", choices=["dev", "test"])
    ap.add_argument("--dev-part", default="held", choices=["held", "all"],
                    help="dev split: only the records the German model was not trained on (default; none of GermEval "
                         "2014 and German LER for the shipped model), or all")
    ap.add_argument("--limit", type=int, default=0, help="first N records per dataset (0: all)")
    ap.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL)
    ap.add_argument("--datasets", default="", help="comma-separated subset of dataset directory names")
    ap.add_argument("--processes", type=int, default=0, help="detector worker processes for the scans")
    ap.add_argument("--policies", type=Path, default=REPO / "policies",
                    help="policies directory whose recognizers.yaml applies (default: the repo's policies/)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of tables")
    ap.add_argument("--save", type=Path, help="also write the JSON report to this file")
    ap.add_argument("--before", type=Path, help="a JSON report from an earlier tree: print before/after beside it")
    args = ap.parse_args()

    wanted = {d for d in args.datasets.split(",") if d}
    german = german_model_path(Settings().german_spacy_model)
    trained = eval_split.eval_dev_part(Path(german)) if german else None
    hold_out_third = trained == eval_split.TWO_THIRDS
    if trained is None:  # another pipeline, or none: not trained on the evaluation sets
        hold_out_third, args.dev_part = False, "all"
    report = {}
    for ds in sorted(p for p in args.eval_dir.iterdir() if (p / f"{args.split}.jsonl").exists()):
        if wanted and ds.name not in wanted:
            continue
        lines = (ds / f"{args.split}.jsonl").read_text(encoding="utf-8").splitlines()
        records = [json.loads(x) for x in lines if x.strip()]
        if args.split == "dev" and args.dev_part == "held":
            records = [r for r in records if not eval_split.trained_on(ds.name, r["id"], hold_out_third)]
            if not records:
                print(f"\n== {ds.name}: skipped, the German model trained on all of its dev split "
                      f"(--split test, or a model from train/run.sh --hold-out-third)",
                      file=sys.stderr if args.json else sys.stdout)
                continue
        records = records[:args.limit] if args.limit else records
        annotated = {s["mapped"] for r in records for s in r["spans"] if s.get("mapped")}
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "input.jsonl"
            src.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in records))
            results = {}
            for which, baseline in (("ours", False), ("presidio", True)):
                found, seconds = run_scan(src, baseline, args.processes, args.policies)
                results[which] = score(records, found, annotated)
                results[which].seconds = seconds
        report[ds.name] = {
            which: {"labels": {k: v.as_dict() for k, v in sorted(r.labels.items())},
                    "all": r.total().as_dict(), "structured": r.total(STRUCTURED).as_dict(),
                    "names_places": r.total(NAMES_PLACES).as_dict(), "not_annotated": dict(r.other),
                    "seconds": round(r.seconds, 2)}
            for which, r in results.items()} | {"records": len(records)}
        if not args.json:
            print_dataset(ds.name, len(records), results["ours"], results["presidio"])
    full = {"split": args.split, "dev_part": args.dev_part if args.split == "dev" else None, "limit": args.limit,
            "german_model_trained_on_dev": trained, "datasets": report}
    if args.save:
        args.save.write_text(json.dumps(full, indent=2) + "\n")
    if args.json:
        print(json.dumps(full, indent=2))
    elif args.before:
        print_before_after(report, json.loads(args.before.read_text())["datasets"])


def print_before_after(now: dict, before: dict, labels: tuple[str, ...] = ("PERSON", "LOCATION")) -> None:
    """PERSON and LOCATION per dataset: Presidio's defaults (this run), the earlier tree, and this tree."""
    def cells(entry: dict | None) -> str:
        if not entry:
            return f"{'-':>6} {'-':>6} {'-':>6}"
        return f"{_fmt(entry['precision'])} {_fmt(entry['recall'])} {_fmt(entry['leak'])}"

    print(f"\n== before/after ({'P R leak' :>8} each)")
    print(f"{'dataset':<19}{'label':<10}{'gold':>6} | {'presidio defaults':^20} | {'before':^20} | {'after':^20}")
    for ds, res in now.items():
        for label in labels:
            after = res["ours"]["labels"].get(label)
            if after is None:
                continue
            prior = before.get(ds, {}).get("ours", {}).get("labels", {}).get(label)
            base = res["presidio"]["labels"].get(label)
            print(f"{ds:<19}{label:<10}{after['gold']:>6} | {cells(base)} | {cells(prior)} | {cells(after)}")


if __name__ == "__main__":
    main()
