"""Hypothesis strategies for request bodies built from the official SDKs' own request types, with a canary planted
at a random string position (a value or a key): what the property tests of "nothing leaves unscanned" send.

`body_strategy(TypedDict)` reads the TypedDict's annotations (Required/NotRequired, unions, literals, lists,
dicts, nested TypedDicts) so every string-typed field the SDK knows can be generated, and adds unknown keys at every
object level. Literal values (roles, part types, enums) stay as the SDK defines them; every free string is a
`Free` instance, so the canary can be planted into exactly those after the body is drawn.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.canaries import leaked

# Canary values with the few words around them that a person would write; `leaked` greps for `CANARIES`.
CANARIES = {
    "CREDIT_CARD": "5425 2334 3010 9903",
    "IBAN_CODE": "DE89 3704 0044 0532 0130 00",
    "EMAIL_ADDRESS": "m.thornton.canary@example.org",
    "PERSON": "Margaret Thornton",
    "AWS_SECRET_ACCESS_KEY": "Xq7R2mK9pL4tN8wB3zV6yH1cF5dJ0sGaE2uI7oPq",
}
_PLANTED = {
    "CREDIT_CARD": "card 5425 2334 3010 9903",
    "IBAN_CODE": "IBAN DE89 3704 0044 0532 0130 00",
    "EMAIL_ADDRESS": "mail m.thornton.canary@example.org",
    "PERSON": "ask Margaret Thornton",
    "AWS_SECRET_ACCESS_KEY": "aws_secret_access_key=Xq7R2mK9pL4tN8wB3zV6yH1cF5dJ0sGaE2uI7oPq",
}
MAX_DEPTH = 5  # nested objects (TypedDicts and dicts); deeper ones become plain strings


class Free(str):
    """A generated free-text string (not a literal): a place a canary may be planted."""


_words = st.sampled_from(["hello", "the Q3 report", "ok", "lookup", "x1", "notes", "summary please", "id-7"])
_free = _words.map(Free)
_unknown_key = st.sampled_from(["x_extra", "vendorOption", "Notes", "custom-field", "meta2"]).map(Free)


def _unwrap(tp: Any) -> Any:
    """Required[X], NotRequired[X], Annotated[X, ...] -> X."""
    while True:
        origin = typing.get_origin(tp)
        if origin in (typing.Required, typing.NotRequired, typing.Annotated):
            tp = typing.get_args(tp)[0]
        else:
            return tp


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__annotations__")


def strategy_for(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    tp = _unwrap(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if depth > MAX_DEPTH:
        return _free
    if tp is str:
        return _free
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(1, 3)
    if tp is float:
        return st.floats(0, 1, allow_nan=False)
    if tp is object or tp is typing.Any:
        return st.dictionaries(_free, _free, max_size=2)
    if origin is typing.Literal:
        return st.sampled_from([a for a in args if a is not None] or [None])
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        options = [a for a in args if a is not type(None)]
        return st.one_of([strategy_for(a, depth) for a in options])
    if origin in (list, list, tuple) or (origin is not None and getattr(origin, "__name__", "") in (
            "Iterable", "Sequence", "SequenceNotStr", "List")) or getattr(tp, "__name__", "") == "SequenceNotStr":
        inner = args[0] if args else str
        return st.lists(strategy_for(inner, depth), min_size=1, max_size=2)
    if origin in (dict, dict) or getattr(origin, "__name__", "") in ("Dict", "Mapping"):
        value = args[1] if len(args) > 1 else str
        return st.dictionaries(_free, strategy_for(value, depth + 1), max_size=2)
    if _is_typeddict(tp):
        return _typeddict(tp, depth)
    return _free


def _typeddict(tp: type, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    hints = typing.get_type_hints(tp, include_extras=True)
    # The SDKs write `Required[...]` in postponed annotations, which __required_keys__ does not see on 3.11.
    declared = getattr(tp, "__required_keys__", frozenset())
    required_keys = {k for k, v in hints.items() if typing.get_origin(v) is typing.Required
                     or (k in declared and typing.get_origin(v) is not typing.NotRequired)}
    required = {k: strategy_for(v, depth + 1) for k, v in hints.items() if k in required_keys}
    optional = {k: strategy_for(v, depth + 1) for k, v in hints.items() if k not in required_keys}
    base = st.fixed_dictionaries(required, optional=optional)
    extra = st.dictionaries(_unknown_key, _free, max_size=1)
    return st.tuples(base, extra).map(lambda be: {**be[1], **be[0]})


@dataclass
class Planted:
    body: dict[str, Any]
    entity: str
    where: str  # the path of the planted string, for the failure message


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], bool]]:
    """(path, is_key) of every Free string in the body."""
    out: list[tuple[tuple[Any, ...], bool]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, Free):
                out.append(((*path, k), True))
            out.extend(_places(v, (*path, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_places(v, (*path, i)))
    elif isinstance(node, Free):
        out.append((path, False))
    return out


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return str(node) if isinstance(node, str) else node


def plant(data: st.DataObject, body: dict[str, Any], *, fixed: dict[str, Any]) -> Planted:
    """Plant one canary at one Free string (value or key) of `body`; `fixed` keys (model, stream) are set after."""
    places = _places(body)
    entity = data.draw(st.sampled_from(sorted(_PLANTED)), label="canary")
    if not places:
        body = {**body, Free("x_extra"): Free("notes")}
        places = _places(body)
    path, is_key = data.draw(st.sampled_from(places), label="place")
    parent: Any = body
    for p in path[:-1]:
        parent = parent[p]
    planted = f"{path[-1]} {_PLANTED[entity]} end"
    if is_key:
        parent[planted] = parent.pop(path[-1])
    else:
        parent[path[-1]] = f"{parent[path[-1]]} {_PLANTED[entity]} end"
    where = ".".join(str(p) for p in path) + (" (key)" if is_key else "")
    return Planted({**_plain(body), **fixed}, entity, where)


def leaked_canaries(text: str) -> list[str]:
    return leaked(text, CANARIES)


def compact(value: str) -> str:
    return re.sub(r"\s+", "", value)
