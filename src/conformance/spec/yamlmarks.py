"""Read YAML and keep where each value stands, so problems can say ``file:line:col``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conformance.bounded import MAX_LINE, DepthLimitedLoader, LimitExceeded, check_yaml_nodes, clip
from conformance.errors import UserInputError

PathKey = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, located like a compiler message."""

    path: str
    line: int
    col: int
    message: str

    def __post_init__(self) -> None:  # a message quotes values: one line, cut, so an echoed bomb stays short
        one_line = self.message.replace("\r", "\\r").replace("\n", "\\n")
        object.__setattr__(self, "message", clip(one_line, MAX_LINE))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class InputError(UserInputError):
    """Raised with the problems that stop a file (or set of files) from being used."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Located:
    """Parsed YAML data plus the 1-based (line, col) of each value and of each mapping key."""

    data: Any
    values: dict[PathKey, tuple[int, int]]
    keys: dict[PathKey, tuple[int, int]]

    def where(self, path: PathKey) -> tuple[int, int]:
        """The position of the value at ``path``, or of its nearest located parent."""
        probe = tuple(path)
        while probe:
            if probe in self.values:
                return self.values[probe]
            probe = probe[:-1]
        return self.values.get((), (1, 1))

    def key_where(self, path: PathKey) -> tuple[int, int]:
        """The position of the key that names ``path`` (falls back to the value)."""
        return self.keys.get(tuple(path)) or self.where(path)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _walk(
    node: yaml.Node,
    path: PathKey,
    located: Located,
    problems: list[Problem],
    file: str,
) -> None:
    located.values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                line, col = _mark(key_node)
                problems.append(
                    Problem(
                        file, line, col, f"duplicate key '{clip(key, 80)}' (first at line {seen[key][0]}); remove one"
                    )
                )
            seen[key] = _mark(key_node)
            child = (*path, key)
            located.keys[child] = _mark(key_node)
            _walk(value_node, child, located, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), located, problems, file)


_CSafeLoader: type[Any] | None = getattr(yaml, "CSafeLoader", None)
"""libyaml's parser (PyYAML built with it), about ten times faster than the pure-Python one."""


class _PureLoader(DepthLimitedLoader):
    """The pure-Python SafeLoader, its composer stopped at the depth limit instead of a ``RecursionError``."""


def _limit_problem(exc: LimitExceeded, file: str) -> InputError:
    return InputError([Problem(file, exc.line or 1, exc.col or 1, exc.message)])


def _fast(text: str, file: str) -> Located | None:
    """One libyaml parse: compose, walk the nodes, then build the data from the same nodes.

    ``None`` when libyaml is missing, the text is one the two parsers might place differently (a BOM, a
    character the pure-Python reader refuses), or anything goes wrong (a limit of :mod:`conformance.bounded`
    included): then :func:`_pure` reads it, so every message and position is the pure-Python parser's.
    """
    if _CSafeLoader is None or text.startswith("\ufeff") or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None
    loader = _CSafeLoader(text)
    try:
        root = loader.get_single_node()
        check_yaml_nodes(root)
        located = Located(data=None, values={}, keys={})
        problems: list[Problem] = []
        if root is not None:
            _walk(root, (), located, problems, file)  # before construction, which flattens merge keys in place
        if problems:  # the pure-Python path says it, after any YAML error it would report first
            return None
        data = loader.construct_document(root) if root is not None else None
    except Exception:  # anything: the pure-Python parse then says what is wrong. libyaml raises the error classes
        # of the first import of yaml, which a re-import (pytester restores sys.modules after each in-process run)
        # no longer names yaml.YAMLError: a ParserError escaped as an INTERNALERROR.
        return None
    finally:
        loader.dispose()
    return Located(data=data, values=located.values, keys=located.keys)


def _reader_problem(exc: yaml.reader.ReaderError, text: str, file: str) -> InputError:
    """A character YAML does not allow (a NUL byte, a control character), at its line and column."""
    line = text.count("\n", 0, exc.position) + 1
    col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    return InputError([Problem(file, line, col, f"invalid YAML: character #x{exc.character:04x} is not allowed")])


def _pure(text: str, file: str) -> Located:
    try:
        loader = _PureLoader(text)
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(exc, text, file) from exc
    try:
        root = loader.get_single_node()
        check_yaml_nodes(root)
        located = Located(data=None, values={}, keys={})
        problems: list[Problem] = []
        if root is not None:
            _walk(root, (), located, problems, file)  # before construction, which flattens merge keys in place
        data = loader.construct_document(root) if root is not None else None  # its errors come first
    except LimitExceeded as exc:
        raise _limit_problem(exc, file) from exc
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(exc, text, file) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        raise InputError([Problem(file, line, col, f"invalid YAML: {what}")]) from exc
    except yaml.YAMLError as exc:
        raise InputError([Problem(file, 1, 1, f"invalid YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    if problems:
        raise InputError(problems)
    return Located(data=data, values=located.values, keys=located.keys)


def load_located(path: Path, *, fast: bool = True) -> Located:
    """Parse ``path``; raise :class:`InputError` with a located problem for bad YAML.

    ``fast=False`` skips libyaml (the tests compare both readers).
    """
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(file, 1, 1, f"cannot read file: {exc}")]) from exc
    located = _fast(text, file) if fast else None
    return located if located is not None else _pure(text, file)
