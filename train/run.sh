#!/usr/bin/env bash
# Train govproxy's German NER pipeline from scratch, on CPU, with fixed seeds (needs `pip install -e '.[train]'
# first, for the word clusters); one command:
#     bash train/run.sh [--hold-out-third] [CORPORA_DIR [EVAL_DIR]]   (defaults ../shared/train/de_ner and
#                                                                     ../shared/eval beside the repository)
# Steps: corpora + synthetic text -> train/corpus/*.spacy; `spacy train` (train/config.cfg); `spacy evaluate` on
# the dev split; the best pipeline is copied into proxy/detection/models/de_ner (package data) with its meta set;
# train/REPORT.md records corpus sizes, label mapping, seed, scores and time. Of shared/eval/ it reads two dev
# splits (train/eval_split.py), never a test split. --hold-out-third leaves a third of them out, for trying a recipe:
# bench/detection_quality.py --split dev then scores that third.
set -euo pipefail
HOLD=()
if [[ "${1:-}" == "--hold-out-third" ]]; then HOLD=(--hold-out-third); shift; fi
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
CORPORA=${1:-../shared/train/de_ner}
EVAL=${2:-../shared/eval}
OUT=train/output
$PY -c "import spacy_lookups_data" 2>/dev/null || {
    echo "train/run.sh needs the German word clusters: pip install -e '.[train]' (spacy-lookups-data)" >&2; exit 1; }
start=$(date +%s)
$PY train/prepare.py --corpora "$CORPORA" --eval "$EVAL" --out train/corpus "${HOLD[@]}"
$PY -m spacy train train/config.cfg --code train/tokenizer.py --paths.train train/corpus/train.spacy --paths.dev train/corpus/dev.spacy \
    --output "$OUT" 2>&1 | tee train/output.log
$PY -m spacy evaluate "$OUT/model-best" train/corpus/dev.spacy --output train/dev_scores.json
$PY train/finalize.py --best "$OUT/model-best" --target proxy/detection/models/de_ner \
    --seconds $(( $(date +%s) - start ))
