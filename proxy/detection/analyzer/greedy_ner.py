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
from thinc.api import Model

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


def _mean(scores: Sequence[np.ndarray]) -> np.ndarray:
    if len(scores) == 1:
        return scores[0]
    total = scores[0] + scores[1]
    for more in scores[2:]:
        total = total + more
    return total / len(scores)


class _Net:
    """One NER network: `tok2vec` and `lower` as spaCy runs them, and the `upper` layer scoring the moves."""

    def __init__(self, model: Model, n: int) -> None:
        self._tok2vec = model.get_ref("tok2vec")
        self._lower = model.get_ref("lower")
        self._upper = model.get_ref("upper")
        self._n = n
        self._unseen = np.array(sorted(c for c in model.attrs.get("unseen_classes", ()) if c < n), dtype=np.intp)

    def read(self, docs: Sequence[Doc]) -> _Read:
        """The docs' state features, and the scores of every token's state with no entity open (its features are
        the token and padding for the other two)."""
        features = self._lower.predict(self._tok2vec.predict(docs))  # (tokens + 1, 3, hidden, pieces); row 0: padding
        # the parameters are read per batch: `shift_entity_starts` sets a new bias
        weights, bias = self._upper.get_param("W")[: self._n], self._upper.get_param("b")[: self._n]
        lower_bias = self._lower.get_param("b")
        closed = ((features[1:, 0] + features[0, 1]) + features[0, 2]) + lower_bias
        return _Read(self, features, weights, bias, lower_bias, self.scores(_max_pieces(closed), weights, bias))

    def scores(self, hidden: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
        scores = hidden @ weights.T + bias
        if self._unseen.size:  # spaCy gives classes never seen in training the lowest score
            scores[..., self._unseen] = scores.min(axis=-1, keepdims=True)
        return scores


@dataclass(frozen=True)
class _Read:
    """What one network made of one batch of docs."""

    net: _Net
    features: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    lower_bias: np.ndarray
    closed_scores: np.ndarray

    def open_scores(self, first: int, token: int) -> np.ndarray:
        """The scores of the state at batch token `token` inside an entity that began at batch token `first`: its
        features are the token, the entity's first token and the token before (row r is token r - 1)."""
        f = self.features
        unmaxed = ((f[token + 1, 0] + f[first + 1, 1]) + f[token, 2]) + self.lower_bias
        return self.net.scores(_max_pieces(unmaxed), self.weights, self.bias)


class GreedyNer:
    """Entities for docs, as `ner(doc)` / `ner.pipe(docs)` would set them, without spaCy's per-move C loop.

    Given `members` too, an ensemble: each network (`ner`'s and every member's) scores every state, and the mean of
    their scores picks the move, under the same validity rules. The members must have `ner`'s moves in its order.
    """

    def __init__(self, ner: EntityRecognizer, *members: EntityRecognizer) -> None:
        nets = (ner, *members)
        for one in nets:
            if one.cfg.get("beam_width", 1) != 1 or type(one.moves).__name__ != "BiluoPushDown":
                raise ValueError("GreedyNer reads greedy BILUO NER only")
            model = one.model
            if not model.attrs.get("has_upper", False) or model.get_ref("lower").get_dim("nF") != 3:
                raise ValueError("GreedyNer reads NER models with an upper layer and three state features only")
        # every class in order (`ner.move_names` leaves out "U-", the move that blocks preset entities)
        names = [[one.moves.get_class_name(i) for i in range(one.moves.n_moves)] for one in nets]
        if any(other != names[0] for other in names[1:]):
            raise ValueError("an ensemble's members must have the same moves in the same order")
        self._ner = ner
        self._moves = _Moves.of(names[0])
        self._nets = tuple(_Net(one.model, self._moves.n) for one in nets)

    def __call__(self, doc: Doc) -> Doc:
        self.set_entities([doc])
        return doc

    def set_entities(self, docs: Sequence[Doc]) -> None:
        """Read the docs in one batch and set `doc.ents` on each (tokens outside an entity become O)."""
        todo = []
        for doc in docs:
            if len(doc) and doc.to_array(ENT_IOB).any():
                self._ner(doc)  # entities already set: spaCy's own rules for them (the first network's)
            elif len(doc):
                todo.append(doc)
            else:
                doc.set_ents([], default="outside")
        if not todo:
            return
        reads = [net.read(todo) for net in self._nets]
        closed_scores = _mean([r.closed_scores for r in reads])
        offset = 0
        for doc in todo:
            n = len(doc)
            doc.set_ents(self._decode(doc, reads, offset, closed_scores[offset:offset + n]), default="outside")
            offset += n

    def _decode(self, doc: Doc, reads: Sequence[_Read], offset: int, closed_scores: np.ndarray) -> list[Span]:
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
            # B: the entity stays open until an L
            i = t + 1
            in_move, last_move = moves.in_of.get(label), moves.last_of[label]
            while True:
                scores = _mean([r.open_scores(offset + t, offset + i) for r in reads])
                if in_move is not None and next_ok[i] and (
                        scores[in_move] > scores[last_move]
                        or (scores[in_move] == scores[last_move] and in_move < last_move)):
                    i += 1  # I: the entity goes on
                    continue
                spans.append(Span(doc, t, i + 1, label=label))
                i += 1
                break
        return spans
