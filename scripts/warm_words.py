"""Write the word lists that the spaCy pipelines read once at start-up (proxy/detection/models/warm_words/).

    python scripts/warm_words.py [--words N]      (needs spacy-lookups-data: pip install -e '.[train]')

Per language (en, de), the N most frequent words made of letters only, by spacy-lookups-data 1.0.5's word
probabilities (`<lang>_lexeme_prob`, MIT, Explosion AI; attribution in NOTICE), most frequent first, one per line.
Why: `detection/analyzer/nlp.py` (`warm_vocabulary`).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.resources
import json
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "proxy" / "detection" / "models" / "warm_words"


def frequent_words(language: str, count: int) -> list[str]:
    data = importlib.resources.files("spacy_lookups_data") / "data" / f"{language}_lexeme_prob.json.gz"
    probs: dict[str, float] = json.loads(gzip.decompress(data.read_bytes()))
    ranked = sorted((w for w in probs if w.isalpha()), key=lambda w: (-probs[w], w))
    return ranked[:count]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, default=10_000)
    args = ap.parse_args()
    TARGET.mkdir(parents=True, exist_ok=True)
    for language in ("en", "de"):
        words = frequent_words(language, args.words)
        (TARGET / f"{language}.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
        print(f"{language}: {len(words)} words -> {TARGET / f'{language}.txt'}")


if __name__ == "__main__":
    main()
