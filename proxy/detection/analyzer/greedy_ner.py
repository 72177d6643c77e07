"""spaCy's greedy NER decoding, with the same weights, in numpy.

spaCy's `EntityRecognizer` reads a text in two parts: its network turns the tokens into vectors (`tok2vec`, then the
`lower` layer's features per token), and a loop in C walks the tokens and picks one move per token (O, or begin /
in / last / unit of an entity of some label), scoring each state with the `upper` layer. spaCy 3.8's wheels for
Python below 3.12 are compiled with Cython's profiling on, and there every call in that loop takes and gives back
the GIL twice (`StateC::B_` alone calls `PyGILState_Ensure` / `PyGILState_Release` twice, objdump of
`ner.cpython-311-x86_64-linux-gnu.so`). Measured here on 1 KB English prompts: the loop was 12 of the NER's 16 ms,
and spaCy 3.7.5 (built before that) ran the same model in 6.5 ms with the same entities. The loop also hands the
GIL to other threads thousands of times a text, which on the proxy's event loop is latency.

`GreedyNer` does what that loop does, for the NER's own transition system (`BiluoPushDown`, three state features,
maxout hidden layer, greedy search, no preset entities):

* the network runs as spaCy runs it (`tok2vec` and `lower` are the pipeline's own layers);
* with no entity open, a state's features are the token and two padding rows, so the scores of every such state
  are one matrix product, and the best valid move (O, B-x, U-x) at every token is one masked argmax;
* only inside an entity does a state depend on where the entity began; those few states are scored one by one.

The validity rules are spaCy's (`ner.pyx`, `Begin/In/Last/Unit/Out.is_valid`) for tokens without preset entities:
B needs a next token that does not start a sentence and a token that is not whitespace; U a token that is not
whitespace; I a next token that does not start a sentence and the open entity's label; L the open entity's label.
Ties go to the first move, as `arg_max_if_valid` does. Scores differ from the C loop's only in the order a matrix
product sums (OpenBLAS here, BLIS there). A doc with entities already set is left to spaCy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from spacy.attrs import ENT_IOB, IS_SPACE, SENT_START
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Doc, Span

_BEGIN, _IN, _LAST, _UNIT, _OUT = "B", "I", "L", "U", "O"


def _max_pieces(x: np.ndarray) -> np.ndarray:
    """The maxout over the last axis (the pieces), as `x.max(axis=-1)` gives it: numpy reduces a short last axis
    element by element (617 µs for 260 tokens x 64 x 2 pieces here), `np.maximum` of the pieces whole (15 µs)."""
    out = x[..., 0]
    for piece in range(1, x.shape[-1]):
        out = np.maximum(out, x[..., piece])
    return out


@dataclass(frozen=True)
class _Moves:
    """The transition system's moves as arrays over class indices (the first `n` of the `upper` layer's outputs)."""

    n: int
    labels: tuple[str, ...]                 # each move's label ("" for O and label-less moves)
    begin: np.ndarray                       # bool[n]: B-x with a label
    unit: np.ndarray                        # bool[n]: U-x with a label
    out: np.ndarray                         # bool[n]: O
    in_of: dict[str, int]                   # label -> index of I-label
    last_of: dict[str, int]                 # label -> index of L-label

    @classmethod
    def of(cls, names: Sequence[str]) -> _Moves:
        kinds = [name.split("-", 1)[0] for name in names]
        labels = tuple(name.split("-", 1)[1] if "-" in name else "" for name in names)
        unknown = set(kinds) - {_BEGIN, _IN, _LAST, _UNIT, _OUT, "M"}
        if unknown:
            raise ValueError(f"not a BILUO move: {sorted(unknown)}")

        def mask(kind: str) -> np.ndarray:
            return np.array([k == kind and bool(lab) for k, lab in zip(kinds, labels, strict=True)], dtype=bool)

        return cls(n=len(names), labels=labels, begin=mask(_BEGIN), unit=mask(_UNIT),
                   out=np.array([k == _OUT for k in kinds], dtype=bool),
                   in_of={lab: i for i, (k, lab) in enumerate(zip(kinds, labels, strict=True)) if k == _IN and lab},
                   last_of={lab: i for i, (k, lab) in enumerate(zip(kinds, labels, strict=True))
                            if k == _LAST and lab})


class GreedyNer:
    """Entities for docs, as `ner(doc)` / `ner.pipe(docs)` would set them, without spaCy's per-move C loop."""

    def __init__(self, ner: EntityRecognizer) -> None:
        if ner.cfg.get("beam_width", 1) != 1 or type(ner.moves).__name__ != "BiluoPushDown":
            raise ValueError("GreedyNer reads greedy BILUO NER only")
        model = ner.model
        if not model.attrs.get("has_upper", False) or model.get_ref("lower").get_dim("nF") != 3:
            raise ValueError("GreedyNer reads NER models with an upper layer and three state features only")
        self._ner = ner
        self._tok2vec = model.get_ref("tok2vec")
        self._lower = model.get_ref("lower")
        self._upper = model.get_ref("upper")
        # every class in order (`ner.move_names` leaves out "U-", the move that blocks preset entities)
        self._moves = _Moves.of([ner.moves.get_class_name(i) for i in range(ner.moves.n_moves)])
        self._unseen = np.array(sorted(c for c in model.attrs.get("unseen_classes", ()) if c < self._moves.n),
                                dtype=np.intp)

    def __call__(self, doc: Doc) -> Doc:
        self.set_entities([doc])
        return doc

    def set_entities(self, docs: Sequence[Doc]) -> None:
        """Read the docs in one batch and set `doc.ents` on each (tokens outside an entity become O)."""
        todo = []
        for doc in docs:
            if len(doc) and doc.to_array(ENT_IOB).any():
                self._ner(doc)  # entities already set: spaCy's own rules for them
            elif len(doc):
                todo.append(doc)
            else:
                doc.set_ents([], default="outside")
        if not todo:
            return
        features = self._lower.predict(self._tok2vec.predict(todo))  # (tokens + 1, 3, hidden, pieces); row 0: padding
        weights, bias = self._upper.get_param("W")[: self._moves.n], self._upper.get_param("b")[: self._moves.n]
        lower_bias = self._lower.get_param("b")
        # With no entity open a state's features are its token and padding for the other two.
        closed = ((features[1:, 0] + features[0, 1]) + features[0, 2]) + lower_bias
        closed_scores = self._scores(_max_pieces(closed), weights, bias)
        offset = 0
        for doc in todo:
            n = len(doc)
            spans = self._decode(doc, features, offset, closed_scores[offset:offset + n], weights, bias, lower_bias)
            doc.set_ents(spans, default="outside")
            offset += n

    def _scores(self, hidden: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
        scores = hidden @ weights.T + bias
        if self._unseen.size:  # spaCy gives classes never seen in training the lowest score
            scores[..., self._unseen] = scores.min(axis=-1, keepdims=True)
        return scores

    def _decode(self, doc: Doc, features: np.ndarray, offset: int, closed_scores: np.ndarray, weights: np.ndarray,
                bias: np.ndarray, lower_bias: np.ndarray) -> list[Span]:
        n = len(doc)
        attrs = doc.to_array([IS_SPACE, SENT_START])
        space = attrs[:, 0].astype(bool)
        # B and I need a next token that does not start a sentence
        next_ok = np.zeros(n, dtype=bool)
        next_ok[:-1] = attrs[1:, 1].astype(np.int64) != 1
        moves = self._moves
        valid = (moves.out[None, :]
                 | (moves.begin[None, :] & (next_ok & ~space)[:, None])
                 | (moves.unit[None, :] & ~space[:, None]))
        best = np.where(valid, closed_scores, -np.inf).argmax(axis=1)
        starts = np.flatnonzero(~moves.out[best])  # tokens where, with no entity open, an entity begins
        spans: list[Span] = []
        i = 0
        for t in starts.tolist():
            if t < i:
                continue  # inside an entity that began earlier
            move = int(best[t])
            label = moves.labels[move]
            if moves.unit[move]:
                spans.append(Span(doc, t, t + 1, label=label))
                i = t + 1
                continue
            # B: the entity stays open until an L; each state's features are the token, the entity's first token
            # and the token before (rows are token + 1; row offset + t is token t - 1)
            i = t + 1
            in_move, last_move = moves.in_of.get(label), moves.last_of[label]
            first = features[offset + t + 1, 1]
            while True:
                unmaxed = ((features[offset + i + 1, 0] + first) + features[offset + i, 2]) + lower_bias
                scores = self._scores(_max_pieces(unmaxed), weights, bias)
                if in_move is not None and next_ok[i] and (
                        scores[in_move] > scores[last_move]
                        or (scores[in_move] == scores[last_move] and in_move < last_move)):
                    i += 1  # I: the entity goes on
                    continue
                spans.append(Span(doc, t, i + 1, label=label))
                i += 1
                break
        return spans
