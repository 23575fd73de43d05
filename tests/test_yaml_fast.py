"""libyaml's reader (the fast path) gives the same data, positions and problems as the pure-Python one."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.recordings import reader
from conformance.recordings.formats import CassetteLoader
from conformance.spec.loader import builtin_specs_dir
from conformance.spec.yamlmarks import InputError, Located, load_located

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = [
    "a: &x {b: 1, c: [1, 2, {d: é€😀}]}\ne:\n  <<: *x\n  f: |\n    multi\n    line\n  g: >-\n    folded\n",
    "# comment\n---\nk: v\n...\n",
    "- a\n- b: c\n  d: 😀😀 x\n  e: 2020-01-01\n",
    "\ufeffa: 1\nb: 2\n",
    "a: 1\r\nb:\r\n  - 2\r\n",
    "",
    "x: 1\nx: 2\n",
    "a: [1\n",
    "a: !foo 3\n",
    "a:\n\t- b\n",
    "k: \x07\n",
    "a: 1\n---\nb: 2\n",
    "a: b: c\n",
    "x: !foo 1\nx: 2\n",
    # limits (conformance.bounded): both readers stop at the same node with the same message
    "a: " + "[" * 150 + "]" * 150 + "\n",
    "a: " + "[" * 1500 + "]" * 1500 + "\n",
    "a:\n  b: &x [1, *x]\n",
    "a: &x " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 60 + "*x" + "]" * 60 + "\n",
    "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 6)),
    "a: 1\nb: x\0y\n",
    "x: 1\nx: 2\ny: " + "[" * 150 + "]" * 150 + "\n",
]


def _read(path: Path, fast: bool) -> tuple[object, object, object] | str:
    try:
        located: Located = load_located(path, fast=fast)
    except InputError as exc:
        return str(exc)
    return located.data, located.values, located.keys


@pytest.mark.parametrize("text", SAMPLES)
def test_spec_reader_same_with_and_without_libyaml(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert _read(path, fast=True) == _read(path, fast=False)


def test_builtin_specs_same_with_and_without_libyaml() -> None:
    for path in sorted(builtin_specs_dir().glob("*.yaml")):
        assert _read(path, fast=True) == _read(path, fast=False), path


def test_recordings_same_with_and_without_libyaml() -> None:
    files = sorted([*(ROOT / "cassettes").rglob("*.yaml"), *(ROOT / "tests" / "data").rglob("*.y*ml")])
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast = reader._parse_fast(text)
        assert fast is not None, path
        loader = CassetteLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
        assert fast[1] == data, path
        for key in ("interactions", "http_interactions"):
            assert reader._entry_lines(fast[0], key) == reader._entry_lines(root, key), path
