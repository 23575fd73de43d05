"""Command-line and ini options of the pytest plugin, in one group.

Every option can also be set in ``[tool.conformance]`` (pyproject.toml) or as a
pytest ini option named ``conformance_<name>``; the command line wins.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pytest

from conformance.defaults import DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_RETRY_CAP, RECORD_MODES
from conformance.errors import UserInputError
from conformance.pytest.config import ToolConfig
from conformance.results.outputs import OutputError, check_file


class OptionError(UserInputError):
    """A bad option value; the message says which option and what to write instead."""


@dataclass(frozen=True, slots=True)
class Option:
    """One option: its canonical ``--conformance-<name>`` spelling, the short spelling the README documents (added
    only where nothing else owns it), and argparse's attributes."""

    name: str
    short: str | None
    attrs: dict[str, Any]

    @property
    def canonical(self) -> str:
        return f"--conformance-{self.name}"

    @property
    def dest(self) -> str:
        return f"conformance_{self.name.replace('-', '_')}"


OPTIONS: tuple[Option, ...] = (
    Option("live", "--live", {"action": "store_true", "default": None, "help": "send real requests (keys from the env vars in each spec)"}),
    Option("provider", "--provider", {"action": "append", "default": [], "metavar": "NAME", "help": "only this provider's claims (repeatable; default: all)"}),
    Option("base-url", "--base-url", {"action": "append", "default": [], "metavar": "NAME=URL", "help": "point a provider's spec at another server, e.g. anthropic-openai=http://127.0.0.1:8000/v1/"}),
    Option("model", "--model", {"action": "append", "default": [], "metavar": "NAME=MODEL", "help": "model to use for a provider"}),
    Option("key-env", None, {"action": "append", "default": [], "metavar": "NAME=VAR", "help": "read a provider's key from env var VAR instead of the spec's (e.g. a gateway's key)"}),
    Option("specs", "--specs", {"action": "append", "default": [], "metavar": "PATH", "help": "extra spec file or folder (repeatable)"}),
    Option("json", None, {"default": None, "metavar": "PATH", "help": "write the results file here"}),
    Option("expensive", None, {"action": "store_true", "default": None, "help": "also run cases marked 'expensive' (image generation, batches, 32 MB bodies): they cost real money"}),
    Option("timeout", None, {"default": None, "type": float, "metavar": "SECONDS", "help": "per-request timeout (default 60)"}),
    Option("retries", None, {"default": None, "type": int, "metavar": "N", "help": "retries after a 429 / 503 / 529 or a connection failure (default 3; then the case is an error)"}),
    Option("retry-cap", None, {"default": None, "type": float, "metavar": "SECONDS", "help": "longest wait before a retry, whatever retry-after asks (default 60)"}),
    Option("max-requests", None, {"default": None, "type": int, "metavar": "N", "help": "requests per provider, retries included; then the remaining cases skip with 'budget spent'"}),
    Option("max-tokens", None, {"default": None, "type": int, "metavar": "N", "help": "tokens per provider (as its usage reports them); then the remaining cases skip with 'budget spent'"}),
    Option("concurrency", None, {"default": None, "type": int, "metavar": "N", "help": "requests in flight per provider, across pytest-xdist workers too (default 4)"}),
    Option("imported", "--imported", {"action": "append", "default": [], "metavar": "PATH", "help": "audit real recordings under PATH as imported evidence (repeatable; default: cassettes/imported)"}),
    Option("record-mode", "--record-mode", {"default": None, "choices": RECORD_MODES, "help": "with --conformance-live, write cassettes: none (default), once, new_episodes, all (VCR.py's names)"}),
    Option("cassette-dir", "--cassette-dir", {"default": None, "metavar": "PATH", "help": "where cassettes are read and written (default: cassettes)"}),
)  # fmt: skip
"""Every option of the plugin. Only the canonical names are registered up front: a short name that another plugin
or the project's conftest also defines (``--live``, ``--record-mode`` of pytest-recording) would break that
project's every pytest run."""

BY_NAME = {option.name: option for option in OPTIONS}
SHORT = pytest.StashKey[frozenset[str]]()
"""The short spellings this run registered (the others belong to another plugin or a conftest)."""
VCR_RECORD_MODES = {"none": "none", "once": "once", "new_episodes": "new_episodes", "all": "all", "rewrite": "all"}
"""pytest-recording's ``--record-mode`` values and ours: the same VCR.py names (its ``rewrite`` re-records all)."""


def add_options(parser: pytest.Parser) -> None:
    """The canonical ``--conformance-*`` options and the ini options (``conformance_<name>``)."""
    group = parser.getgroup("conformance", "LLM API conformance (docs/spec-format.md)")
    for option in OPTIONS:
        group.addoption(option.canonical, dest=option.dest, **option.attrs)
    for name, (kind, default) in INI.items():
        parser.addini(f"conformance_{name}", f"like --conformance-{name.replace('_', '-')}", type=kind, default=default)
    for name, (_, text) in NUMBERS.items():
        parser.addini(f"conformance_{name}", f"like --conformance-{name.replace('_', '-')}", default=text)


INI: dict[str, tuple[Literal["string", "paths", "args", "bool"], Any]] = {
    "record_mode": ("string", ""),
    "cassette_dir": ("string", ""),
    "live": ("bool", False),
    "imported": ("paths", []),
    "provider": ("args", []),
    "base_url": ("args", []),
    "model": ("args", []),
    "key_env": ("args", []),
    "specs": ("paths", []),
    "json": ("string", ""),
    "expensive": ("bool", False),
    "timeout": ("string", "60"),
}
"""The ini options (``conformance_<name>``): their type and default; the numbers of ``NUMBERS`` come on top."""


def ini_given(config: pytest.Config) -> bool:
    """Whether the project's ini file sets any ``conformance_*`` option (it configures the harness there)."""
    if config.inipath is None:
        return False
    defaults = {**{name: default for name, (_, default) in INI.items()}, **{n: d for n, (_, d) in NUMBERS.items()}}
    return any(config.getini(f"conformance_{name}") != default for name, default in defaults.items())


def _owned(parser: pytest.Parser, flag: str) -> bool:
    """Whether an option registered so far (by any plugin or conftest) already answers to ``flag``."""
    try:
        _, unknown = parser.parse_known_and_unknown_args([flag, "x"])
    except (pytest.UsageError, SystemExit):  # taken, by an option whose choices refuse "x"
        return True
    return flag not in unknown


def add_short_options(parser: pytest.Parser) -> frozenset[str]:
    """The short spellings, each as a second name of its canonical option, where nothing else owns it.

    Called after the initial conftests are loaded (``pytest_load_initial_conftests``), when every plugin and the
    project's root conftests have registered theirs; a project's own ``--live`` or pytest-recording's
    ``--record-mode`` keep working, and ours stay reachable as ``--conformance-live`` / ``--conformance-record-mode``.
    """
    group = parser.getgroup("conformance")
    added = set()
    for option in OPTIONS:
        if option.short is None or _owned(parser, option.short):
            continue
        attrs = {**option.attrs, "help": f"short for {option.canonical}"}
        group.addoption(option.short, dest=option.dest, **attrs)
        added.add(option.short)
    return frozenset(added)


def spelling(config: pytest.Config, name: str) -> str:
    """How to write option ``name`` in this run: the short spelling where it is ours (or, for ``--record-mode``,
    where pytest-recording's serves both), else the canonical one."""
    option = BY_NAME[name]
    short = config.stash.get(SHORT, frozenset())
    if option.short in short or (name == "record-mode" and _vcr_record_mode(config)):
        return option.short or option.canonical
    return option.canonical


def _vcr_record_mode(config: pytest.Config) -> bool:
    """Whether another plugin (pytest-recording) owns ``--record-mode`` with VCR.py's names, which then sets ours."""
    try:
        value = config.getoption("record_mode")
    except ValueError:
        return False
    return value is None or str(value) in VCR_RECORD_MODES


def given_on_command_line(config: pytest.Config) -> bool:
    """Whether any option of the harness was given on the command line (then it is set up before collection)."""
    for option in OPTIONS:
        value = config.getoption(option.dest)
        if value not in (None, [], option.attrs.get("default")):
            return True
    return False


NUMBERS: dict[str, tuple[type[int] | type[float], str]] = {
    "retries": (int, str(DEFAULT_RETRIES)),
    "retry_cap": (float, str(DEFAULT_RETRY_CAP)),
    "max_requests": (int, ""),
    "max_tokens": (int, ""),
    "concurrency": (int, str(DEFAULT_CONCURRENCY)),
}
"""The numeric live-run options: ``[tool.conformance]`` key -> (type, ini default; "" means no limit)."""


_AT_LEAST_ONE = frozenset({"concurrency", "max_requests", "max_tokens"})
"""Numbers that must be positive (zero would stop every case); retries and the retry cap may be zero."""


def _number(config: pytest.Config, raw: dict[str, object], name: str) -> float | None:
    """``--conformance-<name>``, else ini ``conformance_<name>``, else ``[tool.conformance] <name>``."""
    kind, _ = NUMBERS[name]
    option = f"--conformance-{name.replace('_', '-')}"
    value: object = config.getoption(f"conformance_{name}")
    if value is None:
        ini = config.getini(f"conformance_{name}")
        value = raw.get(name, ini) if ini == NUMBERS[name][1] else ini
    if value in (None, ""):
        return None
    try:
        number = kind(str(value))
    except ValueError:
        raise OptionError(f"{option} {value!r}: expected {'a whole number' if kind is int else 'a number'}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise OptionError(f"{option} {value!r}: expected a finite number")
    if number < 0 or (name in _AT_LEAST_ONE and number < 1):
        raise OptionError(f"{option} {value!r}: expected {'at least 1' if name in _AT_LEAST_ONE else 'zero or more'}")
    return number


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name or not rest:
            raise OptionError(f"{option} {value!r}: expected NAME=VALUE, e.g. {option} anthropic-openai=...")
        pairs[name.strip()] = rest.strip()
    return pairs


def check_base_url(option: str, name: str, url: str) -> None:
    """A base URL must be http(s) with a host: ``--base-url P=foo`` would error every case of the run."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OptionError(f"{option} {name}={url}: not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(
            f"{option} {name}={url}: expected an http:// or https:// URL with a host, e.g. {name}=http://127.0.0.1:8000/v1/"
        )
    del port


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
    key_envs: dict[str, str] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)
    """How the user writes each option in this run (``live`` -> ``--live`` or ``--conformance-live``), for hints."""

    def flag(self, name: str) -> str:
        return self.flags.get(name) or BY_NAME[name].short or BY_NAME[name].canonical


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
    | {"cassette_dir", "key_env", *NUMBERS}
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


def _shared_record_mode(config: pytest.Config) -> str | None:
    """pytest-recording's ``--record-mode`` when it owns the name: one option serves both (VCR.py's names)."""
    if "--record-mode" in config.stash.get(SHORT, frozenset()):
        return None
    try:
        value = config.getoption("record_mode")
    except ValueError:
        return None
    return VCR_RECORD_MODES.get(str(value)) if value not in (None, "none") else None


def _resolve_settings(config: pytest.Config, tool: ToolConfig) -> Settings:
    raw = tool.raw

    def pick_bool(name: str, key: str) -> bool:
        cli = config.getoption(f"conformance_{name}")
        if cli is not None:
            return bool(cli)
        if config.getini(f"conformance_{name}"):
            return True
        return bool(raw.get(key, False))

    def pick_list(name: str) -> list[str]:
        key = name.replace("-", "_")
        return (
            _list(config.getoption(f"conformance_{key}"))
            + _list(config.getini(f"conformance_{key}"))
            + _list(raw.get(key))
        )

    flags = {option.name: spelling(config, option.name) for option in OPTIONS}
    timeout_value = config.getoption("conformance_timeout")
    if timeout_value is None:
        timeout_value = raw.get("timeout", config.getini("conformance_timeout"))
    try:
        timeout = float(timeout_value)
    except (TypeError, ValueError) as exc:
        raise OptionError(f"{flags['timeout']} {timeout_value!r}: expected a number of seconds") from exc
    if not 0 < timeout < float("inf"):
        raise OptionError(f"{flags['timeout']} {timeout_value!r}: expected a number of seconds above zero")
    record_mode = (
        config.getoption("conformance_record_mode")
        or config.getini("conformance_record_mode")
        or raw.get("record_mode")
        or _shared_record_mode(config)
    )
    if (record_mode or "none") not in RECORD_MODES:
        raise OptionError(f"record mode {record_mode!r}: expected one of {', '.join(RECORD_MODES)}")
    cassette_dir = (
        config.getoption("conformance_cassette_dir")
        or config.getini("conformance_cassette_dir")
        or raw.get("cassette_dir")
    )
    json_path = config.getoption("conformance_json") or config.getini("conformance_json") or raw.get("json")
    if json_path:
        try:
            check_file(Path(json_path), flags["json"])
        except OutputError as exc:
            raise OptionError(str(exc)) from None
    specs = [Path(p) for p in config.getoption("conformance_specs")]
    specs += [Path(str(p)) for p in config.getini("conformance_specs")]
    specs += list(tool.specs)
    numbers = {name: _number(config, raw, name) for name in NUMBERS}
    max_requests, max_tokens = numbers["max_requests"], numbers["max_tokens"]
    base_urls = _pairs(pick_list("base-url")[::-1], flags["base-url"])
    for name, url in base_urls.items():
        check_base_url(flags["base-url"], name, url)
    return Settings(
        retries=int(numbers["retries"] if numbers["retries"] is not None else DEFAULT_RETRIES),
        retry_cap=float(numbers["retry_cap"] if numbers["retry_cap"] is not None else DEFAULT_RETRY_CAP),
        max_requests=None if max_requests is None else int(max_requests),
        max_tokens=None if max_tokens is None else int(max_tokens),
        concurrency=int(numbers["concurrency"] or DEFAULT_CONCURRENCY),
        live=pick_bool("live", "live"),
        providers=tuple(dict.fromkeys(pick_list("provider"))),
        base_urls=base_urls,
        models=_pairs(pick_list("model")[::-1], flags["model"]),
        key_envs=_pairs(pick_list("key-env")[::-1], flags["key-env"]),
        specs=tuple(specs),
        results_path=Path(json_path) if json_path else None,
        expensive=pick_bool("expensive", "expensive"),
        timeout=timeout,
        record_mode=record_mode or "none",
        cassette_dir=Path(cassette_dir) if cassette_dir else Path(str(config.rootpath)) / "cassettes",
        imported=tuple(
            [Path(p) for p in config.getoption("conformance_imported")]
            + [Path(str(p)) for p in config.getini("conformance_imported")]
            + [(tool.path.parent if tool.path else Path()) / str(p) for p in _list(raw.get("imported"))]
        ),
        flags=flags,
    )


PATH_OPTIONS = tuple(
    flag
    for option in OPTIONS
    if option.name in ("json", "cassette-dir", "specs", "imported")
    for flag in (option.canonical, option.short)
    if flag
)


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
