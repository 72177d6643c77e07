"""Which records of the evaluation sets' dev splits the German model trains on.

The German pipeline trains on the dev splits of GermEval 2014 (German Wikipedia and news) and German LER (court
decisions): the only labelled German text of today's kinds that the project has. The shipped model trains on all
of both. To try a recipe, `bash train/run.sh --hold-out-third` leaves out the records whose number is divisible by
3 (the rule is on the record id, so it needs no list) and writes `two_thirds` into the model's meta;
`bench/detection_quality.py --split dev` reads that and scores only the held-out third of a model trained so, and
skips those two sets for a model trained on all of them. The test splits are never read by training.
"""

from __future__ import annotations

import json
from pathlib import Path

TRAINED_DATASETS = ("germeval2014", "german_ler")
META_KEY = "govproxy_eval_dev"  # in the model's meta.json: "all" or "two_thirds" of the two dev splits
ALL, TWO_THIRDS = "all", "two_thirds"


def trained_on(dataset: str, record_id: str, hold_out_third: bool = False) -> bool:
    """True for a dev record the German model trains on (`germeval2014-dev-7`, `ler-dev-11`): every record of the
    two sets' dev splits, or with `hold_out_third` those whose number is not divisible by 3."""
    parts = record_id.split("-")
    if dataset not in TRAINED_DATASETS or parts[-2] != "dev":
        return False
    return not hold_out_third or int(parts[-1]) % 3 != 0


def eval_dev_part(model_dir: Path) -> str | None:
    """What of the two dev splits the pipeline at `model_dir` was trained on (`ALL`, `TWO_THIRDS`), or None: a
    pipeline that did not record it (another model, or none) is taken as trained on neither."""
    meta = model_dir / "meta.json"
    if not meta.is_file():
        return None
    return json.loads(meta.read_text(encoding="utf-8")).get(META_KEY)
