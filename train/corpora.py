"""Readers for the openly licensed German NER corpora in shared/train/de_ner/, mapped to PER, LOC and ORG.

Each reader yields `(words, tags)` sentences (BIO) or `(text, [(start, end, label)])` documents. Label mapping
(see train/README.md): persons -> PER; places, cities, streets and stops -> LOC; organisations and companies ->
ORG; road and line numbers (`location-route`: "A100", "S1", "U2"), dates, times, triggers and the rest -> O.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from eval_split import trained_on

# Source label -> our label; anything not listed becomes O.
LABELS = {
    # Europeana Newspapers (IOB1; a few tags are misspelt "PEr")
    "PER": "PER", "PEr": "PER", "LOC": "LOC", "ORG": "ORG",
    # MobIE and SmartData
    "person": "PER", "location": "LOC", "location-city": "LOC", "location-street": "LOC", "location-stop": "LOC",
    "organization": "ORG", "organization-company": "ORG",
    # NEISS Sturm
    "pers": "PER", "place": "LOC",
}
# Not places: road and public-transport line numbers.
DROPPED = ("location-route",)

Sentence = tuple[list[str], list[str]]


def _bio(raw_tags: list[str], *, iob1: bool) -> list[str]:
    """Tags mapped to our labels in BIO. IOB1 ("I-" opens an entity unless it continues one of the same type)."""
    out: list[str] = []
    prev = "O"
    for raw in raw_tags:
        prefix, _, label = raw.partition("-") if raw[:2] in ("B-", "I-") else ("O", "", "")
        mapped = LABELS.get(label)
        if mapped is None:
            out.append("O")
            prev = "O"
            continue
        if prefix == "B" or (iob1 and prev != mapped) or (not iob1 and prev != mapped):
            out.append(f"B-{mapped}")
        else:
            out.append(f"I-{mapped}")
        prev = mapped
    return out


def europeana(path: Path, *, max_len: int = 60) -> Iterator[Sentence]:
    """Token-per-line newspaper OCR without sentence breaks: cut after '.', '!' or '?' (or every `max_len` tokens
    outside an entity)."""
    words: list[str] = []
    raw: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 2:
            continue
        word, tag = parts[0], parts[-1]
        words.append(word)
        raw.append(tag if tag[:2] in ("B-", "I-") else "O")
        if word in (".", "!", "?") or (len(words) >= max_len and raw[-1] == "O"):
            if len(words) > 2:
                yield words, _bio(raw, iob1=True)
            words, raw = [], []
    if words:
        yield words, _bio(raw, iob1=True)


def conll(path: Path) -> Iterator[Sentence]:
    """CoNLL files (MobIE: 4 columns with -DOCSTART-; Sturm: 2 columns): blank line between sentences."""
    words: list[str] = []
    raw: list[str] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        parts = line.split("\t") if "\t" in line else line.split()
        if not line.strip() or parts[0] == "-DOCSTART-":
            if words:
                yield words, _bio(raw, iob1=False)
            words, raw = [], []
            continue
        words.append(parts[0])
        raw.append(parts[-1] if parts[-1][:2] in ("B-", "I-") else "O")


def smartdata(path: Path) -> Iterator[tuple[str, list[tuple[int, int, str]]]]:
    """SmartData JSON stream: one document per paragraph (line), concept mentions as character spans."""
    text = gzip.open(path, "rt", encoding="utf-8").read()
    decoder = json.JSONDecoder()
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return
        doc, i = decoder.raw_decode(text, i)
        body = doc["text"]["string"]
        spans = []
        for m in (doc.get("conceptMentions") or {}).get("array", []):
            label = LABELS.get(m["type"])
            if label is not None and m["type"] not in DROPPED:
                spans.append((m["span"]["start"], m["span"]["end"], label))
        start = 0
        for para in body.split("\n"):
            end = start + len(para)
            if para.strip():
                inside = [(s - start, e - start, lab) for s, e, lab in spans if s >= start and e <= end]
                yield para, inside
            start = end + 1


# The evaluation sets' labels (their `mapped` field) -> ours. GermEval's ...deriv and ...part spans ("deutsche",
# "Fontane-Lesungen") and LER's laws, rulings and the like have no mapping and stay O.
EVAL_LABELS = {"PERSON": "PER", "LOCATION": "LOC", "ORGANIZATION": "ORG"}


def eval_dev(path: Path, dataset: str,
             hold_out_third: bool = False) -> Iterator[tuple[str, list[tuple[int, int, str]]]]:
    """The records of an evaluation set's dev split that the model trains on (train/eval_split.py), as
    `(text, spans)`. Only dev.jsonl is accepted: the test splits are never trained on."""
    if path.name != "dev.jsonl":
        raise ValueError(f"only dev splits are trained on, not {path}")
    for line in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        if trained_on(dataset, rec["id"], hold_out_third):
            yield rec["text"], [(s["start"], s["end"], EVAL_LABELS[s["mapped"]])
                                for s in rec["spans"] if s.get("mapped") in EVAL_LABELS]
