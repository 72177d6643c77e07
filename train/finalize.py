"""Copy the best trained pipeline into the package (proxy/detection/models/de_ner) with its meta set, and write
train/REPORT.md: corpus sizes and shares, label mapping, seed, dev scores per source and type, size and time."""

from __future__ import annotations

import argparse
import json
import platform
import shutil
from pathlib import Path

import eval_split
import spacy
from spacy.tokens import DocBin
from spacy.training import Example

NAME = "de_govproxy_ner"
VERSION = "1.0.0"
SOURCES = [
    {"name": "Europeana Newspapers NER corpora (German)", "license": "CC0-1.0",
     "url": "https://github.com/EuropeanaNewspapers/ner-corpora"},
    {"name": "MobIE (Hennig, Truong, Gabryszak, KONVENS 2021)", "license": "CC-BY-4.0",
     "url": "https://github.com/DFKI-NLP/MobIE"},
    {"name": "SmartData corpus v1 (Schiersch et al., LREC 2018)", "license": "CC-BY-4.0",
     "url": "https://github.com/DFKI-NLP/smartdata-corpus"},
    {"name": "NEISS Sturm (Zöllner et al., Information 2021, 12, 443)", "license": "CC-BY-4.0",
     "url": "https://github.com/NEISSproject/NERDatasets"},
    {"name": "GermEval 2014 NER data, {part} (Benikova, Biemann, Reznicek, LREC 2014)",
     "license": "CC-BY-4.0", "url": "https://sites.google.com/site/germeval2014ner/"},
    {"name": "German LER, {part} (Leitner, Rehm, Moreno-Schneider, SEMANTiCS 2019)",
     "license": "CC-BY-4.0", "url": "https://github.com/elenanereiss/Legal-Entity-Recognition"},
    {"name": "Synthetic German business text (train/synth_de.py, Faker de_DE/de_AT/de_CH)", "license": "Apache-2.0"},
    {"name": "German word clusters and probabilities (spacy-lookups-data 1.0.5, ExplosionAI GmbH)", "license": "MIT",
     "url": "https://github.com/explosion/spacy-lookups-data"},
]


DEV_PARTS = {eval_split.ALL: "the dev split", eval_split.TWO_THIRDS: "two thirds of the dev split"}


def dev_scores(model: Path, corpus: Path) -> dict[str, dict[str, float]]:
    """Entity P/R/F on the whole dev split and per type."""
    nlp = spacy.load(model)
    docs = list(DocBin().from_disk(corpus).get_docs(nlp.vocab))
    examples = [Example(nlp(d.text), d) for d in docs]
    scores = nlp.get_pipe("ner").scorer(examples)
    return {"all": {k: round(scores[k], 4) for k in ("ents_p", "ents_r", "ents_f")},
            **{label: {k: round(v, 4) for k, v in s.items()} for label, s in scores["ents_per_type"].items()}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--best", type=Path, required=True)
    ap.add_argument("--target", type=Path, required=True)
    ap.add_argument("--seconds", type=int, default=0)
    ap.add_argument("--corpus", type=Path, default=Path("train/corpus"))
    args = ap.parse_args()
    if args.target.exists():
        shutil.rmtree(args.target)
    shutil.copytree(args.best, args.target)
    shutil.copy(Path("NOTICE"), args.target / "NOTICE")  # attributions travel with the weights
    meta_path = args.target / "meta.json"
    meta = json.loads(meta_path.read_text())
    stats = json.loads((args.corpus / "stats.json").read_text())
    meta.update(name=NAME.removeprefix("de_"), version=VERSION, license="CC-BY-4.0", author="govproxy",
                description="German NER (PER, LOC, ORG) for govproxy: CNN tok2vec over word clusters and hashed word"
                            " features + transition-based NER, no vectors, trained on CPU by train/run.sh."
                            " Attributions: NOTICE.",
                sources=[{**src, "name": src["name"].format(part=DEV_PARTS[stats[eval_split.META_KEY]])}
                         for src in SOURCES],
                **{eval_split.META_KEY: stats[eval_split.META_KEY]})
    meta_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    dev = dev_scores(args.target, args.corpus / "dev.spacy")
    size = sum(f.stat().st_size for f in args.target.rglob("*") if f.is_file())
    lookups = spacy.load(args.target).vocab.lookups
    clustered = len(lookups.get_table("lexeme_norm")) if lookups.has_table("lexeme_norm") else 0
    log = Path("train/output.log").read_text() if Path("train/output.log").exists() else ""
    curve = [line for line in log.splitlines() if line.strip()[:1].isdigit()]
    lines = [
        "# German NER pipeline: training report", "",
        f"Pipeline `{meta['lang']}_{meta['name']}` {meta['version']} (spaCy {meta['spacy_version']}), labels "
        f"{', '.join(meta['labels']['ner'])}; {size / 1e6:.1f} MB on disk; seed {stats['seed']}; "
        f"wall time {args.seconds} s on {platform.machine()} ({platform.processor() or 'cpu'}), CPU only.",
        "Rerun: `bash train/run.sh [--hold-out-third] [CORPORA_DIR [EVAL_DIR]]` (prepare -> spacy train -> spacy "
        "evaluate -> this report).",
        f"GermEval 2014 and German LER dev splits trained on: {DEV_PARTS[stats[eval_split.META_KEY]]} of each "
        "(train/eval_split.py); no test split.", "",
        "## Word clusters", "",
        f"{clustered} words carry their Brown cluster as NORM (the `lexeme_norm` lookups table saved with the"
        " pipeline): spacy-lookups-data 1.0.5's `de_lexeme_cluster`, the most frequent words by its `de_lexeme_prob`"
        " (train/tokenizer.py). The model embeds LOWER beside it.", "",
        "## Label mapping", "",
        "| source label | ours |", "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in stats["label_mapping"].items()],
        *[f"| {k} | O (not a place: road and line numbers) |" for k in stats["dropped"]],
        "| anything else (dates, times, triggers, misc) | O |", "",
        "## Corpus sizes", "",
        "| split | source | docs | words | PER | LOC | ORG | word share |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for split in ("train", "dev"):
        for source, s in stats[split].items():
            e = s["entities"]
            lines.append(f"| {split} | {source} | {s['docs']} | {s['words']} | {e.get('PER', 0)} | {e.get('LOC', 0)} "
                         f"| {e.get('ORG', 0)} | {s['word_share']:.3f} |")
    lines += ["", "## Dev scores (model-best, exact span match)", "",
              "| type | P | R | F |", "| --- | ---: | ---: | ---: |",
              *[f"| {k} | {v.get('ents_p', v.get('p', 0)):.3f} | {v.get('ents_r', v.get('r', 0)):.3f} "
                f"| {v.get('ents_f', v.get('f', 0)):.3f} |" for k, v in dev.items()],
              "", "## Training curve (every 500 steps: epoch, step, loss, F, P, R, score)", "",
              "```", *curve, "```", "",
              "## meta.json", "", "```json", json.dumps(meta, indent=2, ensure_ascii=False), "```", ""]
    Path("train/REPORT.md").write_text("\n".join(lines))
    print(f"{args.target}: {size / 1e6:.1f} MB; dev {dev['all']}")


if __name__ == "__main__":
    main()
