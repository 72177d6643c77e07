"""Generate the secrets corpus, reproducibly: `dev` (seed 17, templates_dev, negatives_dev), `heldout` (seed 4242,
templates_heldout, negatives_heldout) and `fresh` (seed 90210, templates_fresh, negatives_fresh: a second held-out
split, written after `heldout`'s false positives had been counted by type).

    python -m bench.secrets_corpus.generate --split dev --out /tmp/secrets-dev.jsonl

Each record: `id`, `text`, `secrets` (start, end, kind; empty for a negative), `language`, `template`.
The held-out splits use other surroundings and other seeds: rules are tuned on dev only.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from types import ModuleType

from bench.secrets_corpus import (
    negatives_dev,
    negatives_fresh,
    negatives_heldout,
    templates_dev,
    templates_fresh,
    templates_heldout,
)
from bench.secrets_corpus.build import HEADER_KINDS, NAMED_ONLY, PASSWORD_KINDS, Doc, make
from bench.secrets_corpus.tokens import MAKERS

SPLITS: dict[str, tuple[int, ModuleType, ModuleType]] = {
    "dev": (17, templates_dev, negatives_dev),
    "heldout": (4242, templates_heldout, negatives_heldout),
    "fresh": (90210, templates_fresh, negatives_fresh),
}
DOCS_PER_KIND = 3
NEGATIVE_ROUNDS = 10


def _templates_for(kind: str, t: ModuleType) -> tuple:
    if kind == "private-key":
        return t.PEM
    if kind == "django-secret-key":
        return t.DJANGO
    if kind == "pin":
        return t.PIN
    if kind in PASSWORD_KINDS:
        return t.PASSWORD + t.ASSIGN
    if kind in HEADER_KINDS:
        return t.HEADER + (t.ASSIGN if kind == "jwt" else ())
    if kind in NAMED_ONLY:
        return t.ASSIGN
    return t.ASSIGN + t.BARE


def generate(split: str) -> list[dict[str, object]]:
    seed, templates, negatives = SPLITS[split]
    g = random.Random(seed)
    records: list[dict[str, object]] = []
    for kind in sorted(MAKERS):
        for i in range(DOCS_PER_KIND):
            template = g.choice(_templates_for(kind, templates))
            secrets = [make(kind, g) for _ in range(g.choice((1, 1, 2)))]
            doc = Doc(template.__name__)
            language = template(doc, g, secrets)
            records.append(doc.record(f"{split}-{kind}-{i}", language))
    for round_ in range(NEGATIVE_ROUNDS):
        for template in negatives.NEGATIVES:
            doc = Doc(template.__name__)
            template(doc, g)
            records.append(doc.record(f"{split}-neg-{template.__name__}-{round_}", "en"))
    return records


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", choices=sorted(SPLITS), default="dev")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    records = generate(args.split)
    args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    n_secrets = sum(len(r["secrets"]) for r in records)  # type: ignore[arg-type]
    kinds = {s["kind"] for r in records for s in r["secrets"]}  # type: ignore[attr-defined]
    negatives = sum(1 for r in records if not r["secrets"])
    print(f"{args.split}: {len(records)} documents, {n_secrets} secrets of {len(kinds)} kinds, {negatives} negatives")


if __name__ == "__main__":
    main()
