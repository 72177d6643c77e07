"""YAML with positions: parse a file once into data plus its node tree, and turn a key path into line:column.

PyYAML's `compose` keeps a start mark on every node; pydantic reports errors by key path. Joining the two gives
the policy owner `rules/20-pii.yaml:14:9: rules[1].action: ...` instead of a bare validation dump.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from proxy.policy.errors import Issue

# libyaml's loader where the wheel has it (about 10x faster on a large rule file), marks included either way.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class YamlDoc:
    source: str
    data: Any
    root: yaml.Node | None

    def issue(self, path: tuple[str | int, ...], message: str, *, at_key: bool = False) -> Issue:
        """An Issue located at the node `path` leads to (or the deepest node on the way there)."""
        line, column = locate(self.root, path, at_key=at_key)
        return Issue(self.source, path, message, line, column)


def parse_yaml(text: str, source: str) -> tuple[YamlDoc | None, list[Issue]]:
    """Parse one YAML document. Syntax errors and duplicate keys come back as located issues."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
        # Build the data from the same node tree (one parse, not two).
        data = _LOADER(text).construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "invalid YAML"
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        return None, [Issue(source, (), f"invalid YAML: {problem}", line, col)]
    doc = YamlDoc(source, data, root)
    return doc, [Issue(source, path, f"duplicate key {path[-1]!r} (the later one would silently win)",
                       key.start_mark.line + 1, key.start_mark.column + 1)
                 for path, key in _duplicate_keys(root, ())]


def _duplicate_keys(node: yaml.Node | None, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...],
                                                                                         yaml.Node]]:
    out: list[tuple[tuple[str | int, ...], yaml.Node]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                out.append(((*path, name), key))
            seen.add(name)
            out.extend(_duplicate_keys(value, (*path, name)))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.extend(_duplicate_keys(item, (*path, i)))
    return out


def locate(root: yaml.Node | None, path: tuple[str | int, ...], *, at_key: bool = False) -> tuple[int | None,
                                                                                                 int | None]:
    """1-based (line, column) of the node at `path`. Path parts the tree does not have (pydantic's union tags,
    a missing key) are skipped, so the answer is the deepest node that exists: for a missing key, its parent."""
    if root is None:
        return None, None
    node, key_node = root, None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            hit = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if hit is not None:
                key_node, node = hit
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            key_node, node = None, node.value[part]
    mark = (key_node if at_key and key_node is not None else node).start_mark
    return mark.line + 1, mark.column + 1


def validation_issues(doc: YamlDoc, exc: ValidationError, model: type[BaseModel]) -> list[Issue]:
    """Pydantic errors -> located issues saying what was expected (never echoing the value found)."""
    issues = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _fields_at(model, loc[:-1])
            hint = f"; expected one of: {', '.join(allowed)}" if allowed else ""
            issues.append(doc.issue(loc, f"unknown key {loc[-1]!r}{hint}", at_key=True))
        elif kind == "missing":
            issues.append(doc.issue(loc, f"missing required key {loc[-1]!r}"))
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if kind == "string_pattern_mismatch":
                msg = f"invalid name: {msg}"
            issues.append(doc.issue(loc, msg))
    return issues


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the model accepts at `loc` (best effort; [] where the shape is not a model)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) is list and isinstance(part, int):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _unwrap(tp: Any) -> Any:
    """`X | None` -> X; Annotated[X, ...] -> X."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp
