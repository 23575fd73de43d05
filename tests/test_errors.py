"""The one exception tree (``conformance/errors.py``): every exception class the package defines derives from
``ConformanceError``, and the ones that must stay built-in or library exceptions still are."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import httpx2
import pytest

import conformance
from conformance.errors import CheckSignal, ConformanceError, NoAnswer, UserInputError

NOT_IMPORTED = {"conformance.__main__": "runs the CLI (sys.exit) when imported"}


def _module_names() -> list[str]:
    names = ["conformance"]
    names += [m.name for m in pkgutil.walk_packages(conformance.__path__, "conformance.", onerror=_raise)]
    return names


def _raise(name: str) -> None:
    raise AssertionError(f"{name}: could not be walked")


def _defined_exceptions(module: object) -> list[type[BaseException]]:
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == getattr(module, "__name__", None)
    ]


def test_every_exception_of_the_package_derives_from_conformance_error() -> None:
    names = _module_names()
    assert len(names) > 40  # the walk found the package's modules, sub-packages included
    outside: list[str] = []
    seen = 0
    for name in names:
        if name in NOT_IMPORTED:  # not imported, but read: it must define no class at all
            spec = importlib.util.find_spec(name)
            assert spec is not None
            assert spec.origin is not None
            tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
            assert not [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)], name
            continue
        module = importlib.import_module(name)  # an import error fails the test: no module is skipped silently
        for cls in _defined_exceptions(module):
            seen += 1
            if not issubclass(cls, ConformanceError):
                outside.append(f"{name}.{cls.__qualname__}")
    assert not outside, f"exception classes outside conformance.errors.ConformanceError: {outside}"
    assert seen >= 20


@pytest.mark.parametrize(
    ("path", "bases"),
    [
        ("conformance.checks.registry.ConformanceFailure", (AssertionError, CheckSignal)),
        ("conformance.recordings.formats.FormatError", (ValueError, UserInputError)),
        ("conformance.bounded.LimitExceeded", (ValueError, UserInputError)),
        ("conformance.exchange.retry.ResponseBroken", (httpx2.TransportError, NoAnswer)),
        ("conformance.exchange.retry.RetriesExhausted", (httpx2.TransportError, NoAnswer)),
        ("conformance.report.model.ReportError", (UserInputError,)),
        ("conformance.spec.yamlmarks.InputError", (UserInputError,)),
        ("conformance.pytest.config.ConfigError", (UserInputError,)),
        ("conformance.pytest.options.OptionError", (UserInputError,)),
        ("conformance.results.outputs.OutputError", (UserInputError,)),
        ("conformance.cassettes.store.CassetteError", (UserInputError,)),
        ("conformance.recordings.reader.RecordingError", (UserInputError,)),
        ("conformance.providers.base.ProbeError", (ConformanceError,)),
        ("conformance.run.outcomes.HarnessBug", (ConformanceError,)),
    ],
)
def test_classes_keep_their_other_bases(path: str, bases: tuple[type[BaseException], ...]) -> None:
    module, _, name = path.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    for base in bases:
        assert issubclass(cls, base), f"{path} is not a {base.__name__}"


def test_transport_errors_keep_their_message_and_request() -> None:
    from conformance.exchange.retry import ResponseBroken, RetriesExhausted

    broken = ResponseBroken("cut after 3 bytes", b"abc", timed_out=False)
    assert str(broken).startswith("cut after 3 bytes")
    assert broken.received == b"abc"
    assert str(RetriesExhausted("3 attempts")) == "3 attempts"
