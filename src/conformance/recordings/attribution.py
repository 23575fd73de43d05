"""Which provider API a recorded exchange hit, and where each recording came from.

A recording is evidence about one API's behaviour only if we know which API it is: the
same ``/v1/chat/completions`` path means OpenAI's own API on ``api.openai.com`` and
Gemini's compatibility layer under ``generativelanguage.googleapis.com/…/openai/``.
:func:`api_of` decides from method, host and path alone and answers None for anything
else, so that unknown traffic is listed by the caller rather than guessed.
:func:`read_sources` reads the attribution table (SOURCES.md) that must travel with copies.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from conformance.exchange.model import RecordedRequest
from conformance.spec.model import Spec

ANTHROPIC_HOST = "api.anthropic.com"
GEMINI_HOST = "generativelanguage.googleapis.com"
OPENAI_HOST = "api.openai.com"

_ANTHROPIC_NATIVE = ("/v1/messages", "/v1/models", "/v1/complete")
_GEMINI_METHOD = re.compile(
    r"/models/[^/:]+:(generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents)"
)
_GEMINI_MODELS = re.compile(r"/v1[a-z0-9]*/models(/[^/:]+)?/?")


def api_of(request: RecordedRequest, specs: Iterable[Spec] = ()) -> str | None:
    """``anthropic``, ``anthropic-openai``, ``gemini``, ``gemini-openai``, ``openai``, or None when the exchange
    is not one of those APIs' documented endpoints; on any other host, the loaded spec (``specs``: a user's
    gateway spec) whose ``base_url`` has that host and port and a path the request's starts with (the longest)."""
    try:
        parts = urlsplit(request.url)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:  # a malformed URL (``http://[::1``) is traffic of no known API
        return None
    path = unquote(parts.path)
    if host == ANTHROPIC_HOST:
        return _anthropic_api(path)
    if host == GEMINI_HOST:
        return _gemini_api(request.method.upper(), path)
    if host == OPENAI_HOST:
        return "openai"
    return _spec_api(host, port, path, specs)


def on_loopback(request: RecordedRequest) -> bool:
    """Whether the exchange went to this machine (``localhost``, ``127.0.0.0/8``, ``::1``): a test's own server or a
    local gateway, never a provider's API unless a loaded spec names that address as its base URL."""
    try:
        host = (urlsplit(request.url).hostname or "").lower()
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _spec_api(host: str, port: int | None, path: str, specs: Iterable[Spec]) -> str | None:
    best: tuple[int, str] | None = None
    for spec in specs:
        base = urlsplit(spec.provider.base_url)
        if (base.hostname or "").lower() != host or base.port != port:
            continue
        prefix = base.path.rstrip("/")
        if (path == prefix or path.startswith(prefix + "/")) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), spec.provider.id)
    return best[1] if best else None


def _anthropic_api(path: str) -> str | None:
    if path.startswith("/v1/chat/completions"):
        return "anthropic-openai"
    if any(path == prefix or path.startswith(prefix + "/") for prefix in _ANTHROPIC_NATIVE):
        return "anthropic"
    return None


def _gemini_api(method: str, path: str) -> str | None:
    if "/openai/" in path:
        return "gemini-openai"
    if _GEMINI_METHOD.search(path) or (method == "GET" and _GEMINI_MODELS.fullmatch(path)):
        return "gemini"
    return None


@dataclass(frozen=True)
class Source:
    """Where a recording was copied from: the attribution its licence asks to keep, and the date of the source
    commit that last changed the file (``YYYY-MM-DD``, "" when SOURCES.md does not say)."""

    repository: str
    path: str
    commit: str
    license: str
    committed: str = ""


def source_rows(sources_md: Path) -> list[dict[str, str]]:
    """Each row of the markdown table in ``sources_md`` as column name to cell text, backticks stripped.

    The first table whose header has a ``file`` column is read; a file without one raises ValueError, because a
    silently empty attribution would drop licences."""
    for columns, rows in _tables(sources_md):
        if "file" in columns:
            return rows
    raise ValueError(f"{sources_md}: no markdown table with a 'file' column")


def commit_dates(sources_md: Path) -> dict[str, str]:
    """File name to the date its source commit last changed it, from the table of ``sources_md`` whose header has
    ``recording`` and ``committed`` columns (none: an empty map)."""
    for columns, rows in _tables(sources_md):
        if "recording" in columns and "committed" in columns:
            return {row["recording"]: row["committed"] for row in rows if row["committed"]}
    return {}


def _tables(sources_md: Path) -> list[tuple[list[str], list[dict[str, str]]]]:
    """Every markdown table of ``sources_md``: its columns and its rows (column name to cell text)."""
    tables: list[tuple[list[str], list[dict[str, str]]]] = []
    columns: list[str] | None = None
    rows: list[dict[str, str]] = []
    for number, line in enumerate(sources_md.read_text(encoding="utf-8").splitlines(), start=1):
        cells = _cells(line)
        if cells is None:
            if columns is not None:
                tables.append((columns, rows))
            columns, rows = None, []
        elif columns is None:
            columns = cells
        elif not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            if len(cells) != len(columns):
                raise ValueError(f"{sources_md}:{number}: {len(cells)} cells in a table of {len(columns)} columns")
            rows.append(dict(zip(columns, cells, strict=True)))
    if columns is not None:
        tables.append((columns, rows))
    return tables


def _cells(line: str) -> list[str] | None:
    stripped = line.strip()
    if not stripped.startswith("|"):
        return None
    return [cell.strip().strip("`").strip() for cell in stripped.strip("|").split("|")]


def read_sources(sources_md: Path) -> dict[str, Source]:
    """File name (as listed, backticks stripped) to its source repository, original path, commit, licence and
    commit date (a ``date`` column of the main table, else the ``recording | committed`` table)."""
    dates = commit_dates(sources_md)
    return {
        row["file"]: Source(
            repository=row.get("source repository", ""),
            path=row.get("original path", ""),
            commit=row.get("commit", ""),
            license=row.get("license", ""),
            committed=row.get("date") or dates.get(row["file"], ""),
        )
        for row in source_rows(sources_md)
    }
