"""Command-line and ini options of the pytest plugin, in one group.

Every option can also be set in ``[tool.conformance]`` (pyproject.toml) or as a
pytest ini option named ``conformance_<name>``; the command line wins.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.cassettes import RECORD_MODES
from conformance.config import ToolConfig
from conformance.resilience import DEFAULT_RETRIES, DEFAULT_RETRY_CAP
from conformance.traffic import DEFAULT_CONCURRENCY


class OptionError(Exception):
    """A bad option value; the message says which option and what to write instead."""


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance", "LLM API conformance (docs/spec-format.md)")
    group.addoption(
        "--live", action="store_true", default=None, help="send real requests (keys from the env vars in each spec)"
    )
    group.addoption(
        "--provider",
        action="append",
        default=[],
        metavar="NAME",
        help="only this provider's claims (repeatable; default: all)",
    )
    group.addoption(
        "--base-url",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="point a provider's spec at another server, e.g. anthropic-openai=http://127.0.0.1:8000/v1/",
    )
    group.addoption("--model", action="append", default=[], metavar="NAME=MODEL", help="model to use for a provider")
    group.addoption(
        "--specs", action="append", default=[], metavar="PATH", help="extra spec file or folder (repeatable)"
    )
    group.addoption("--conformance-json", default=None, metavar="PATH", help="write the results file here")
    group.addoption(
        "--conformance-expensive",
        action="store_true",
        default=None,
        help="also run cases marked 'expensive' (image generation, batches, 32 MB bodies): they cost real money",
    )
    group.addoption(
        "--conformance-timeout",
        default=None,
        type=float,
        metavar="SECONDS",
        help="per-request timeout (default 60)",
    )
    group.addoption(
        "--conformance-retries",
        default=None,
        type=int,
        metavar="N",
        help="retries after a 429 / 503 / 529 or a connection failure (default 3; then the case is an error)",
    )
    group.addoption(
        "--conformance-retry-cap",
        default=None,
        type=float,
        metavar="SECONDS",
        help="longest wait before a retry, whatever retry-after asks (default 60)",
    )
    group.addoption(
        "--conformance-max-requests",
        default=None,
        type=int,
        metavar="N",
        help="requests per provider, retries included; then the remaining cases skip with 'budget spent'",
    )
    group.addoption(
        "--conformance-max-tokens",
        default=None,
        type=int,
        metavar="N",
        help="tokens per provider (as its usage reports them); then the remaining cases skip with 'budget spent'",
    )
    group.addoption(
        "--conformance-concurrency",
        default=None,
        type=int,
        metavar="N",
        help="requests in flight per provider, across pytest-xdist workers too (default 4)",
    )
    group.addoption(
        "--imported",
        action="append",
        default=[],
        metavar="PATH",
        help="audit real recordings under PATH as imported evidence (repeatable; default: cassettes/imported)",
    )
    group.addoption(
        "--record-mode",
        default=None,
        choices=RECORD_MODES,
        help="with --live, write cassettes: none (default), once, new_episodes, all (VCR.py's names)",
    )
    group.addoption(
        "--cassette-dir", default=None, metavar="PATH", help="where cassettes are read and written (default: cassettes)"
    )
    parser.addini("conformance_record_mode", "like --record-mode", default="")
    parser.addini("conformance_cassette_dir", "like --cassette-dir", default="")
    parser.addini("conformance_live", "like --live", type="bool", default=False)
    parser.addini("conformance_imported", "like --imported", type="paths", default=[])
    parser.addini("conformance_provider", "like --provider", type="args", default=[])
    parser.addini("conformance_base_url", "like --base-url", type="args", default=[])
    parser.addini("conformance_model", "like --model", type="args", default=[])
    parser.addini("conformance_specs", "like --specs", type="paths", default=[])
    parser.addini("conformance_json", "like --conformance-json", default="")
    parser.addini("conformance_expensive", "like --conformance-expensive", type="bool", default=False)
    parser.addini("conformance_timeout", "like --conformance-timeout", default="60")
    for name, (_, default) in NUMBERS.items():
        parser.addini(f"conformance_{name}", f"like --conformance-{name.replace('_', '-')}", default=default)


NUMBERS: dict[str, tuple[type[int] | type[float], str]] = {
    "retries": (int, str(DEFAULT_RETRIES)),
    "retry_cap": (float, str(DEFAULT_RETRY_CAP)),
    "max_requests": (int, ""),
    "max_tokens": (int, ""),
    "concurrency": (int, str(DEFAULT_CONCURRENCY)),
}
"""The numeric live-run options: ``[tool.conformance]`` key -> (type, ini default; "" means no limit)."""


def _number(config: pytest.Config, raw: dict[str, object], name: str) -> float | None:
    """``--conformance-<name>``, else ini ``conformance_<name>``, else ``[tool.conformance] <name>``; >= 0."""
    kind, _ = NUMBERS[name]
    option = f"--conformance-{name.replace('_', '-')}"
    value: object = config.getoption(option)
    if value is None:
        ini = config.getini(f"conformance_{name}")
        value = raw.get(name, ini) if ini == NUMBERS[name][1] else ini
    if value in (None, ""):
        return None
    try:
        number = kind(str(value))
    except ValueError:
        raise OptionError(f"{option} {value!r}: expected {'a whole number' if kind is int else 'a number'}") from None
    if number < 0 or (name == "concurrency" and number < 1):
        raise OptionError(f"{option} {value!r}: expected {'at least 1' if name == 'concurrency' else 'zero or more'}")
    return number


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name or not rest:
            raise OptionError(f"{option} {value!r}: expected NAME=VALUE, e.g. {option} anthropic-openai=...")
        pairs[name.strip()] = rest.strip()
    return pairs


@dataclass(frozen=True, slots=True)
class Settings:
    """The resolved options of one run."""

    live: bool
    providers: tuple[str, ...]
    base_urls: dict[str, str]
    models: dict[str, str]
    specs: tuple[Path, ...]
    results_path: Path | None
    expensive: bool
    timeout: float
    imported: tuple[Path, ...] = ()
    record_mode: str = "none"
    cassette_dir: Path = Path("cassettes")
    retries: int = DEFAULT_RETRIES
    retry_cap: float = DEFAULT_RETRY_CAP
    max_requests: int | None = None
    max_tokens: int | None = None
    concurrency: int = DEFAULT_CONCURRENCY


def _list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, dict):
        return [f"{k}={v}" for k, v in value.items()]
    return [str(value)]


TOOL_KEYS = frozenset(
    {"live", "provider", "base_url", "model", "specs", "json", "expensive", "timeout", "imported", "record_mode"}
    | {"cassette_dir", *NUMBERS}
)
"""The keys ``[tool.conformance]`` may hold; any other is a typo, reported with the file."""


def resolve_settings(config: pytest.Config, tool: ToolConfig) -> Settings:
    """Command line, then ini options, then ``[tool.conformance]``; a bad value names where it may come from."""
    unknown = sorted(set(tool.raw) - TOOL_KEYS)
    if unknown:
        raise OptionError(
            f"{tool.path}: [tool.conformance] has no key {unknown[0]!r}; the keys are {', '.join(sorted(TOOL_KEYS))}"
        )
    try:
        return _resolve_settings(config, tool)
    except OptionError as exc:
        if not tool.raw:
            raise
        raise OptionError(f"{exc} (from the command line, the ini file or [tool.conformance] in {tool.path})") from None


def _resolve_settings(config: pytest.Config, tool: ToolConfig) -> Settings:
    raw = tool.raw

    def pick_bool(opt: str, ini: str, key: str) -> bool:
        cli = config.getoption(opt)
        if cli is not None:
            return bool(cli)
        if config.getini(ini):
            return True
        return bool(raw.get(key, False))

    def pick_list(opt: str, ini: str, key: str) -> list[str]:
        return _list(config.getoption(opt)) + _list(config.getini(ini)) + _list(raw.get(key))

    timeout_value = config.getoption("--conformance-timeout")
    if timeout_value is None:
        timeout_value = raw.get("timeout", config.getini("conformance_timeout"))
    try:
        timeout = float(timeout_value)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"conformance timeout {timeout_value!r}: expected a number of seconds") from exc
    record_mode = (
        config.getoption("--record-mode") or config.getini("conformance_record_mode") or raw.get("record_mode")
    )
    if (record_mode or "none") not in RECORD_MODES:
        raise OptionError(f"record mode {record_mode!r}: expected one of {', '.join(RECORD_MODES)}")
    cassette_dir = (
        config.getoption("--cassette-dir") or config.getini("conformance_cassette_dir") or raw.get("cassette_dir")
    )
    json_path = config.getoption("--conformance-json") or config.getini("conformance_json") or raw.get("json")
    specs = [Path(p) for p in config.getoption("--specs")] + [Path(str(p)) for p in config.getini("conformance_specs")]
    specs += list(tool.specs)
    numbers = {name: _number(config, raw, name) for name in NUMBERS}
    max_requests, max_tokens = numbers["max_requests"], numbers["max_tokens"]
    return Settings(
        retries=int(numbers["retries"] if numbers["retries"] is not None else DEFAULT_RETRIES),
        retry_cap=float(numbers["retry_cap"] if numbers["retry_cap"] is not None else DEFAULT_RETRY_CAP),
        max_requests=None if max_requests is None else int(max_requests),
        max_tokens=None if max_tokens is None else int(max_tokens),
        concurrency=int(numbers["concurrency"] or DEFAULT_CONCURRENCY),
        live=pick_bool("--live", "conformance_live", "live"),
        providers=tuple(dict.fromkeys(pick_list("--provider", "conformance_provider", "provider"))),
        base_urls=_pairs(pick_list("--base-url", "conformance_base_url", "base_url")[::-1], "--base-url"),
        models=_pairs(pick_list("--model", "conformance_model", "model")[::-1], "--model"),
        specs=tuple(specs),
        results_path=Path(json_path) if json_path else None,
        expensive=pick_bool("--conformance-expensive", "conformance_expensive", "expensive"),
        timeout=timeout,
        record_mode=record_mode or "none",
        cassette_dir=Path(cassette_dir) if cassette_dir else Path(str(config.rootpath)) / "cassettes",
        imported=tuple(
            [Path(p) for p in config.getoption("--imported")]
            + [Path(str(p)) for p in config.getini("conformance_imported")]
            + [(tool.path.parent if tool.path else Path()) / str(p) for p in _list(raw.get("imported"))]
        ),
    )


PATH_OPTIONS = ("--conformance-json", "--cassette-dir", "--specs", "--imported")


def misread_path_options(args: Sequence[str], invocation_dir: Path) -> list[tuple[str, str]]:
    """``--option VALUE`` pairs that pytest has already misread.

    pytest picks its rootdir (and so its config file) from the paths on the command line *before* it knows a
    plugin's options, so an existing path given as a separate word is taken for a test path. Outside the
    invocation folder that moves the rootdir: the project's config (testpaths, markers, ``[tool.conformance]``)
    is then not read. ``--option=VALUE`` is never misread.
    """
    here = invocation_dir.resolve()
    found = []
    for option, value in itertools.pairwise(args):
        if option in PATH_OPTIONS and not value.startswith("-"):
            path = (invocation_dir / value).resolve()
            if path.exists() and here != path and here not in path.parents:
                found.append((option, value))
    return found
