"""Which records of the evaluation sets' dev splits the German model trains on, and which stay held out.

The German pipeline trains on two thirds of the dev splits of GermEval 2014 (German Wikipedia and news) and German
LER (court decisions): the only labelled German text of today's kinds that the project has. The other third of each
dev split is never trained on; `bench/detection_quality.py --split dev` scores only that third (its `--dev-part`).
The test splits are never read by training. The rule is on the record id, so it needs no list: a record whose
number is divisible by 3 is held out.
"""

from __future__ import annotations

TRAINED_DATASETS = ("germeval2014", "german_ler")


def trained_on(dataset: str, record_id: str) -> bool:
    """True for a dev record the German model was trained on (`germeval2014-dev-7`, `ler-dev-11`)."""
    parts = record_id.split("-")
    return dataset in TRAINED_DATASETS and parts[-2] == "dev" and int(parts[-1]) % 3 != 0
