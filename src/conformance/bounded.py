"""Limits on what one input file can make the harness do, shared by every parser.

A spec, a recording or a results file is untrusted text: an alias bomb, a body that nests 100,000 levels deep or
a message that echoes megabytes must end in one short, located message, never in a ``RecursionError``, a
``MemoryError`` or minutes of work. Each limit is far above what real files need:

* :data:`MAX_DEPTH`: nesting of YAML nodes and JSON values (real specs nest about 8 levels, API bodies about 20);
* :data:`MAX_ALIAS_VALUES`: values that YAML aliases may add beyond those written out in the file;
* :data:`MAX_MESSAGE`: the characters of a value a message quotes; :data:`MAX_LINE`: of a whole message.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

import yaml

from conformance.errors import UserInputError

MAX_DEPTH = 100
MAX_ALIAS_VALUES = 10_000
MAX_MESSAGE = 300
MAX_LINE = 2_000


class LimitExceeded(UserInputError, ValueError):
    """An input over one of the limits; ``line`` and ``col`` (1-based) say where, when known."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def too_deep(what: str) -> str:
    return f"{what} nests deeper than {MAX_DEPTH} levels; flatten it (no real file needs that many)"


# --- JSON ------------------------------------------------------------------------------------------------------------

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """How deep the brackets of ``text`` nest outside JSON strings (an upper bound of its JSON nesting)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return text.count("[") + text.count("{")
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(_STEP[c] for c in brackets), default=0)


def loads(text: str | bytes, what: str = "the JSON") -> Any:
    """``json.loads`` that refuses nesting deeper than :data:`MAX_DEPTH` with :class:`LimitExceeded` (a
    ``ValueError``, like the ``JSONDecodeError`` of text that is not JSON), so nothing downstream recurses too deep."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if json_depth(text) > MAX_DEPTH:
        raise LimitExceeded(too_deep(what))
    return json.loads(text)


# --- YAML ------------------------------------------------------------------------------------------------------------


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _at(node: yaml.Node, message: str) -> LimitExceeded:
    return LimitExceeded(message, node.start_mark.line + 1, node.start_mark.column + 1)


def check_yaml_nodes(root: yaml.Node | None) -> None:
    """Raise :class:`LimitExceeded` at the first node that nests deeper than :data:`MAX_DEPTH`, at an alias that
    refers to a value containing it, or at the anchor whose aliases add more than :data:`MAX_ALIAS_VALUES` values
    or nest deeper than :data:`MAX_DEPTH` once expanded. Linear in the nodes written in the file: aliases are
    counted, never expanded; a file without aliases takes one quick pass."""
    if root is None:
        return
    order: list[yaml.Node] = []  # every distinct node, in document order (an alias only points back)
    seen: set[int] = set()
    shared = False
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    pop, push, keep, mark = stack.pop, stack.append, order.append, seen.add
    while stack:
        node, depth = pop()
        if id(node) in seen:
            shared = True
            continue
        if depth > MAX_DEPTH:
            raise _at(node, too_deep("the YAML"))
        mark(id(node))
        keep(node)
        kind = type(node)
        if kind is yaml.MappingNode:
            for key, value in reversed(node.value):
                push((value, depth + 1))
                push((key, depth + 1))
        elif kind is yaml.SequenceNode:
            for item in reversed(node.value):
                push((item, depth + 1))
    if not shared:
        return
    size: dict[int, int] = {}  # values once every alias is written out
    height: dict[int, int] = {}
    uses: dict[int, int] = {}
    path: set[int] = set()
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    while pending:  # post-order: a node's size and height once its children have theirs
        node, children_done = pending.pop()
        children = _children(node)
        if children_done:
            path.discard(id(node))
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            height[id(node)] = 1 + max((height[id(c)] for c in children), default=0)
            for child in children:
                uses[id(child)] = uses.get(id(child), 0) + 1
            continue
        if id(node) in size:
            continue
        path.add(id(node))
        pending.append((node, True))
        for child in reversed(children):
            if id(child) in path:
                raise _at(child, "an alias refers to a value that contains it (a loop); write the value out")
            if id(child) not in size:
                pending.append((child, False))
    if height[id(root)] > MAX_DEPTH:
        anchor = max((n for n in order if uses.get(id(n), 0) > 1), key=lambda n: height[id(n)], default=root)
        raise _at(anchor, too_deep("the YAML, with its aliases expanded,"))
    added = size[id(root)] - len(order)
    if added > MAX_ALIAS_VALUES:
        anchor = max(order, key=lambda n: (uses.get(id(n), 0) - 1) * size[id(n)])
        raise _at(
            anchor,
            f"aliases add {added:,} values to the {len(order):,} written out (more than {MAX_ALIAS_VALUES:,}; "
            "an alias bomb?); write the values out or use fewer aliases",
        )


class DepthLimitedLoader(yaml.SafeLoader):
    """PyYAML's pure-Python SafeLoader, whose composer recurses once per level, stopped at :data:`MAX_DEPTH` with
    the same :class:`LimitExceeded` as :func:`check_yaml_nodes` (libyaml's composer stops by itself at 1,000
    levels). Combine it with another SafeLoader subclass by listing it first: ``class L(DepthLimitedLoader, Other)``."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise LimitExceeded(too_deep("the YAML"), mark.line + 1, mark.column + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
