"""Postal codes, phone numbers and addresses in the national forms of many countries: how many leak.

    python bench/faker_forms.py [--per 12] [--seed 7] [--json]

The evaluation sets hold a few dozen postal codes and phone numbers each, too few to tell a rule that fits them
from one that generalises. This benchmark makes its own: Faker's postcodes, phone numbers and full addresses for
24 locales, set in sentences written here (not taken from any evaluation set), with and without a word saying
what the value is. It also sends sentences full of numbers that are none of these (prices, versions, order ids,
dates, times, counts), and numbers of that kind right after names and places, and counts what is found in them.
Ours and plain Presidio defaults run in the same pass of `govproxy scan` over the same records (as in
detection_quality.py).

A planted value leaks when findings do not cover every one of its characters. Faker's output moves with its
version, which is printed; within a version, runs repeat (the string-hash seed is fixed, see main()).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import random
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from faker import Faker

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.detection_quality import run_scan  # noqa: E402

LOCALES = ("en_US", "en_GB", "en_CA", "en_AU", "en_IE", "en_IN", "en_NZ", "de_DE", "de_AT", "de_CH", "fr_FR",
           "fr_CH", "it_IT", "es_ES", "pt_PT", "pt_BR", "nl_NL", "nl_BE", "pl_PL", "cs_CZ", "sv_SE", "da_DK",
           "fi_FI", "hu_HU")

# {v} is the planted value. "cued" sentences say what it is; "bare" ones leave it to the value's form and place.
TEMPLATES = {
    "postcode": {
        "cued": ("My postcode is {v}.", "postal code: {v}", "Our zip is {v}, if that helps.",
                 "Please update the post code on file to {v}.", "ZIP {v}"),
        "bare": ("I moved to {city}, {v} last spring.", "Deliver to {street}, {v} {city}.",
                 "{city} {v} is where the office is now."),
    },
    "phone": {
        "cued": ("Call me at {v} after five.", "My number is {v}.", "Phone: {v}", "You can reach her on {v}.",
                 "mobile {v}", "Text me: {v}", "Tel. {v} (office)"),
        "bare": ("{name}, {v}", "Contact details: {name}\n{v}", "Ask for {name} at {v} tomorrow."),
    },
    "address": {
        "cued": ("Ship it to this address:\n{v}", "My address is {v}."),
        "bare": ("{name}\n{v}", "Sent from {v} on Monday."),
    },
}

NEGATIVES = ("The order total was 1234.50 EUR, paid on 2024-03-12.", "Upgrade to version 3.11.7 before Friday.",
             "Invoice 2024-0183 covers 15000 units shipped in Q3.", "Meet in room 4012 at 14:30.",
             "We grew revenue by 12 % to 48 200 000 USD in 2023.", "Ticket #58213 was closed after 72 hours.",
             "The batch had 3 520 rows and took 0.84 s.", "Chapter 12, pages 101-135.",
             "Build 20240312.4 failed on step 7 of 9.", "The flight lands at 06:45, gate B12.",
             "Item 12345 costs 19,99 € and ships in 3-5 days.", "Set the timeout to 30000 ms and retries to 5.",
             "Your order number is 4471 2210 93.", "My driver's license number is 6940579.")
# Numbers right after names and places that are neither phone numbers nor postcodes: only findings that cover a
# digit count here (the names and places themselves are rightly found).
NEAR_NAMES = ("Alice Walker, 1985-1990, led the team.", "Paid Tom Harris on 03/04/2024 for 3 hours.",
              "Ask Peter Lang at 14:30 in room 4012.", "Berlin 2024 was the best conference so far.",
              "Michael Jordan, 23, scored 63 points in Boston.", "Lisa Chen on 2023-11-05: the build passed.",
              "Order for John Miller, 3 items, 59.97 USD.", "London 2012 drew 10 500 athletes.",
              "Meet Jan Novak at gate 12 in Prague 1.", "Sarah Lee, 1.5 million views on 12 May 2023.",
              "Vienna 1900 was the capital of an empire.", "Invoice for Maria Lopez, total 1,204.00 EUR.",
              "Figures from Anna Berg\n12 345 678 visitors came in 2023.")


def planted(kind: str, fake: Faker) -> str:
    if kind == "postcode":
        return fake.postcode()
    if kind == "phone":
        return fake.phone_number()
    return fake.address()


def make_records(per: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    records = []
    for loc in LOCALES:
        fake = Faker(loc)
        fake.seed_instance(seed)
        for kind, groups in TEMPLATES.items():
            for cue, templates in groups.items():
                for i in range(per):
                    template = rnd.choice(templates)
                    value = planted(kind, fake)
                    fill = {"v": value, "city": fake.city(), "street": fake.street_address(), "name": fake.name()}
                    text = template.format(**fill)
                    start = text.index(value)
                    records.append({"id": f"{loc}-{kind}-{cue}-{i}", "text": text, "locale": loc, "kind": kind,
                                    "cue": cue, "span": [start, start + len(value)]})
    for i, text in enumerate(NEGATIVES):
        records.append({"id": f"neg-{i}", "text": text, "kind": "negative"})
    for i, text in enumerate(NEAR_NAMES):
        records.append({"id": f"near-{i}", "text": text, "kind": "near names"})
    return records


def covered(span: list[int], text: str, findings: list[dict]) -> bool:
    """Every non-space character of the span lies inside some finding."""
    start, end = span
    inside = [False] * (end - start)
    for f in findings:
        for k in range(max(start, f["start"]), min(end, f["end"])):
            inside[k - start] = True
    return all(flag or text[start + k].isspace() for k, flag in enumerate(inside))


def tally(records: list[dict], found: dict[str, list[dict]]) -> dict[str, object]:
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_locale: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    leaked_examples: dict[str, list[str]] = defaultdict(list)
    negative_findings, near_findings = [], []
    for r in records:
        fs = found.get(r["id"], [])
        if r["kind"] == "negative":
            negative_findings += [f"{f['entity_type']} {r['text'][f['start']:f['end']]!r}" for f in fs]
            continue
        if r["kind"] == "near names":
            near_findings += [f"{f['entity_type']} {r['text'][f['start']:f['end']]!r}" for f in fs
                              if any(c.isdigit() for c in r["text"][f["start"]:f["end"]])]
            continue
        leak = not covered(r["span"], r["text"], fs)
        for key, table in ((f"{r['kind']} {r['cue']}", by_kind), (r["locale"], by_locale)):
            table[key][0] += 1
            table[key][1] += leak
        if leak and len(leaked_examples[r["kind"]]) < 40:
            leaked_examples[r["kind"]].append(f"{r['locale']}: {r['text']!r}")
    return {"leak_by_kind": {k: round(v[1] / v[0], 3) for k, v in sorted(by_kind.items())},
            "leak_by_locale": {k: round(v[1] / v[0], 3) for k, v in sorted(by_locale.items())},
            "planted": sum(v[0] for v in by_kind.values()), "leaked": sum(v[1] for v in by_kind.values()),
            "negative_findings": negative_findings, "near_names_findings": near_findings,
            "leaked_examples": dict(leaked_examples)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--per", type=int, default=12, help="sentences per locale, kind and cue (default 12)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--examples", action="store_true", help="print the leaked sentences (ours)")
    args = ap.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        # Some of Faker's lists are built from sets (it_IT's cities), so their order, and the sentences made from
        # them, follow the string-hash seed: fix it, so that a run repeats the last one.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    records = make_records(args.per, args.seed)
    report: dict[str, object] = {"faker": importlib.metadata.version("faker"), "records": len(records)}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "forms.jsonl"
        src.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in records))
        for which, baseline in (("ours", False), ("presidio", True)):
            found, _ = run_scan(src, baseline, 0, REPO / "policies", extra=("--language", "en"))
            report[which] = tally(records, found)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    ours, base = report["ours"], report["presidio"]
    print(f"Faker {report['faker']}, {len(LOCALES)} locales, {report['records']} records")
    print(f"{'planted':<22}{'ours leak':>10}{'presidio leak':>15}")
    for key, value in ours["leak_by_kind"].items():
        print(f"{key:<22}{value:>10.3f}{base['leak_by_kind'][key]:>15.3f}")
    print(f"{'ALL':<22}{ours['leaked'] / ours['planted']:>10.3f}{base['leaked'] / base['planted']:>15.3f}")
    print("\nleak by locale (ours / presidio):")
    print("  " + ", ".join(f"{k} {v:.2f}/{base['leak_by_locale'][k]:.2f}" for k, v in ours["leak_by_locale"].items()))
    print(f"\nfindings in {len(NEGATIVES)} sentences of numbers that are no PII: ours {len(ours['negative_findings'])},"
          f" presidio {len(base['negative_findings'])}")
    for item in ours["negative_findings"]:
        print("  ours:", item)
    print(f"findings on the numbers of {len(NEAR_NAMES)} sentences of numbers after names and places that are no"
          f" phone or postcode: ours {len(ours['near_names_findings'])}, presidio {len(base['near_names_findings'])}")
    for item in ours["near_names_findings"]:
        print("  ours:", item)
    if args.examples:
        for kind, items in ours["leaked_examples"].items():
            print(f"\nleaked {kind} (ours, first {len(items)}):")
            for item in items:
                print("  " + item)


if __name__ == "__main__":
    main()
