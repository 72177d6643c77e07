"""Convert the German NER corpora and the synthetic business text into spaCy's binary format, with fixed seeds.

    python train/prepare.py --corpora ../shared/train/de_ner --eval ../shared/eval --out train/corpus

Writes train.spacy, dev.spacy and stats.json (documents, words and entities per source and split). Of shared/eval/
only two dev splits are read (GermEval 2014 and German LER; with `--hold-out-third`, the two thirds of them that
train/eval_split.py names); no test split is read. Splits: MobIE and NEISS Sturm keep their own train/dev files
(their test files are not used); Europeana Newspapers sentences are shuffled and 10 % held out for dev; SmartData v1
train is train and v1 test is split 85/15 into train and dev by document (SmartData v3 is not used: its documents
overlap v1's, so it could carry training text into dev); synthetic text is generated with one seed for train and
another for dev.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import corpora
import eval_split
import spacy
import swap_names
import synth_de
import synth_news
import tokenizer
from spacy.tokens import Doc, DocBin, Span
from spacy.training import biluo_tags_to_spans, iob_to_biluo
from spacy.util import filter_spans

SEED = 20261206


def from_words(nlp: spacy.Language, words: list[str], tags: list[str]) -> Doc:
    """Words joined by spaces and tokenised again by our tokenizer, so training sees the tokens inference sees
    (Europeana's OCR tokens hold punctuation: "Berlin," is one word there)."""
    words_doc = Doc(nlp.vocab, words=words, spaces=[True] * (len(words) - 1) + [False])
    spans = biluo_tags_to_spans(words_doc, iob_to_biluo(tags))
    return from_chars(nlp, words_doc.text, [(s.start_char, s.end_char, s.label_) for s in spans])


def from_chars(nlp: spacy.Language, text: str, spans: Iterable[tuple[int, int, str]]) -> Doc:
    """A doc with entity spans widened to whole tokens, then trimmed of punctuation at either end."""
    doc = nlp.make_doc(text)
    ents = []
    for start, end, label in spans:
        span = doc.char_span(start, end, label=label, alignment_mode="expand")
        if span is None:
            continue
        first, last = span.start, span.end
        while first < last and (doc[first].is_punct or doc[first].is_space):
            first += 1
        while last > first and (doc[last - 1].is_punct or doc[last - 1].is_space):
            last -= 1
        if first < last:
            ents.append(Span(doc, first, last, label=label))
    doc.ents = filter_spans(ents)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", type=Path, required=True)
    parser.add_argument("--eval", type=Path, required=True, help="shared/eval: two of its dev splits")
    parser.add_argument("--hold-out-third", action="store_true",
                        help="leave a third of those dev splits out (train/eval_split.py), to score a recipe on it")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--synthetic-train", type=int, default=3000)
    parser.add_argument("--synthetic-dev", type=int, default=600)
    parser.add_argument("--news-train", type=int, default=3000)
    parser.add_argument("--news-dev", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(SEED)
    nlp = tokenizer.add_separators(spacy.blank("de"))
    splits: dict[str, dict[str, list[Doc]]] = {"train": {}, "dev": {}}

    def put(split: str, source: str, docs: Iterable[Doc]) -> None:
        splits[split].setdefault(source, []).extend(d for d in docs if len(d))

    c = args.corpora
    enp = [s for f in sorted((c / "europeana_newspapers_de").glob("*.bio")) for s in corpora.europeana(f)]
    rng.shuffle(enp)
    cut = len(enp) // 10
    put("dev", "europeana", (from_words(nlp, w, t) for w, t in enp[:cut]))
    put("train", "europeana", (from_words(nlp, w, t) for w, t in enp[cut:]))
    for name, folder, train_file, dev_file in (("mobie", "mobie", "train.conll2003", "dev.conll2003"),
                                              ("sturm", "neiss_sturm", "train_sturm.conll", "dev_sturm.conll")):
        put("train", name, (from_words(nlp, w, t) for w, t in corpora.conll(c / folder / train_file)))
        put("dev", name, (from_words(nlp, w, t) for w, t in corpora.conll(c / folder / dev_file)))
    put("train", "smartdata", (from_chars(nlp, t, s) for t, s in corpora.smartdata(c / "smartdata/v1_train.json.gz")))
    for text, spans in corpora.smartdata(c / "smartdata/v1_test.json.gz"):
        put("dev" if rng.random() < 0.15 else "train", "smartdata", [from_chars(nlp, text, spans)])
    # The GermEval 2014 and German LER dev splits, or two thirds of them (train/eval_split.py; their test splits are
    # never read, and a held-out third is what bench/detection_quality.py scores). GermEval's text is the
    # modern general German (Wikipedia and news) the other corpora lack, so it counts twice.
    for dataset, copies in (("germeval2014", 2), ("german_ler", 1)):
        for _ in range(copies):
            dev = corpora.eval_dev(args.eval / dataset / "dev.jsonl", dataset, args.hold_out_third)
            put("train", dataset, (from_chars(nlp, t, s) for t, s in dev))
    # One copy of each real training sentence that names a person, with the names swapped (swap_names.py).
    real = [d for source in ("europeana", "smartdata", "sturm", "mobie", "germeval2014", "german_ler")
            for d in splits["train"][source]]
    put("train", "swapped_names", (from_chars(nlp, t, s) for t, s in swap_names.swapped(real, SEED + 4)))
    put("train", "synthetic", (from_chars(nlp, t, s) for t, s in synth_de.generate(args.synthetic_train, SEED)))
    put("dev", "synthetic", (from_chars(nlp, t, s) for t, s in synth_de.generate(args.synthetic_dev, SEED + 1)))
    put("train", "synthetic_news", (from_chars(nlp, t, s) for t, s in synth_news.generate(args.news_train, SEED + 2)))
    put("dev", "synthetic_news", (from_chars(nlp, t, s) for t, s in synth_news.generate(args.news_dev, SEED + 3)))

    args.out.mkdir(parents=True, exist_ok=True)
    stats: dict[str, object] = {"seed": SEED, "label_mapping": corpora.LABELS, "dropped": list(corpora.DROPPED),
                                eval_split.META_KEY: eval_split.TWO_THIRDS if args.hold_out_third else eval_split.ALL}
    for split, sources in splits.items():
        docs = [d for source in sorted(sources) for d in sources[source]]
        rng.shuffle(docs)
        DocBin(docs=docs, store_user_data=False).to_disk(args.out / f"{split}.spacy")
        stats[split] = {source: {"docs": len(ds), "words": sum(len(d) for d in ds),
                                 "entities": dict(Counter(e.label_ for d in ds for e in d.ents))}
                        for source, ds in sorted(sources.items())}
        total_words = sum(s["words"] for s in stats[split].values())
        for s in stats[split].values():
            s["word_share"] = round(s["words"] / total_words, 3)
    (args.out / "stats.json").write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: stats[k] for k in ("train", "dev")}, indent=1))


if __name__ == "__main__":
    main()
