"""Cassettes: our own recordings of real traffic, written in VCR.py's YAML format and replayed offline.

One file per case (``cassettes/<provider>/<case id>.yaml``): one interaction per HTTP request, SSE bodies as
readable text, plus a ``metadata`` block (recorded at, harness and SDK versions, model, base URL host, evidence
kind). Secrets are replaced in :func:`write_cassette`, last, so no path can skip it. Replay answers through an
``httpx2`` transport that never opens a socket and matches on VCR.py-named matchers: method, path and normalised
JSON body by default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import yaml

from conformance import __version__, bounded
from conformance.errors import UserInputError
from conformance.exchange.model import Attempt
from conformance.exchange.redact import REDACTED, redact_headers, redact_url, redact_value
from conformance.recordings import RecordingError, read_recording
from conformance.recordings.formats import RESTORE
from conformance.results.model import now, sdk_versions

DROPPED_RESPONSE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class CassetteError(UserInputError):
    """A cassette that cannot be used; the message names the file and the command that re-records it."""


def rerecord_hint(provider: str, env_vars: Iterable[str], claim_id: str) -> str:
    """The command that re-records every variant of one claim (``-k`` cannot hold a case id's ``@``)."""
    names = " or ".join(env_vars)
    return f"re-record with `pytest --live --record-mode all --provider {provider} -k '{claim_id}'` with {names} set"


def cassette_path(folder: Path, provider: str, case_id: str) -> Path:
    return folder / provider / f"{case_id}.yaml"


# --- writing ---------------------------------------------------------------------------------------------------------


def _redact_headers(headers: Mapping[str, str], secrets: tuple[str, ...], *, caller: bool) -> dict[str, list[str]]:
    return {k: [v] for k, v in redact_headers(headers, secrets, REDACTED, caller=caller).items()}


def _interaction(attempt: Attempt, secrets: tuple[str, ...]) -> dict[str, Any]:
    request = attempt.request
    response = attempt.response
    out: dict[str, Any] = {
        "request": {
            "method": request.method,
            "uri": redact_url(request.url, secrets, REDACTED),
            "headers": _redact_headers(request.headers, secrets, caller=False),
            "body": redact_value(request.body, secrets, REDACTED) or None,
        }
    }
    if response is not None:
        kept = {k: v for k, v in response.headers.items() if k.lower() not in DROPPED_RESPONSE_HEADERS}
        out["response"] = {
            "status": {"code": response.status, "message": ""},
            "headers": _redact_headers(kept, secrets, caller=True),
            "body": {"string": redact_value(response.body, secrets, REDACTED)},
        }
    return out


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (SSE streams, pretty JSON) as readable ``|`` blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and all(c.isprintable() or c == "\n" for c in value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def write_cassette(
    path: Path,
    attempts: Iterable[Attempt],
    metadata: Mapping[str, Any],
    secrets: Iterable[str],
) -> None:
    """Write (or replace) one cassette; every secret is replaced here, the last step before the disk."""
    keys = tuple(s for s in secrets if s)
    document = {
        "interactions": [_interaction(a, keys) for a in attempts if a.response is not None],
        "version": 1,
        "metadata": {
            "recorded_at": now(),
            "harness": __version__,
            "sdks": sdk_versions(),
            **{k: redact_value(str(v), keys, REDACTED) if isinstance(v, str) else v for k, v in metadata.items()},
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True), encoding="utf-8")


# --- reading and replaying -------------------------------------------------------------------------------------------


@dataclass
class Cassette:
    path: Path
    attempts: list[Attempt]
    metadata: dict[str, Any]


def read_cassette(path: Path, hint: str) -> Cassette:
    """A cassette of ours; a broken one raises CassetteError naming the file (and line) and ``hint``."""
    try:
        recording = read_recording(path)
    except RecordingError as exc:
        where = f"{exc.path}:{exc.line}" if exc.line is not None else str(exc.path)
        what = exc.message.split(f"; {RESTORE}")[0]
        raise CassetteError(f"{where}: {what}; {hint}") from None
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:  # pragma: no cover - read_recording has already parsed it
        raise CassetteError(f"{path}: {exc}; {hint}") from None
    metadata = document.get("metadata") if isinstance(document, dict) else None
    return Cassette(path, [i.attempt for i in recording.interactions], metadata if isinstance(metadata, dict) else {})


MULTIPART_BOUNDARY = re.compile(r"\A--([0-9A-Za-z'()+_,./:=?-]{8,70})\r?\n")
"""The first line of a multipart body; the SDKs draw a new random boundary for every request."""


def _normal_body(text: str) -> str:
    if not text:
        return ""
    boundary = MULTIPART_BOUNDARY.match(text)
    if boundary:
        return text.replace(boundary.group(1), "BOUNDARY")
    try:
        return json.dumps(bounded.loads(text), sort_keys=True, separators=(",", ":"))
    except ValueError:  # not JSON (or too deep to normalise): matched as it is
        return text


Matcher = Callable[[str, str, str], str]
"""(method, url, body) -> what two requests must share to match, as VCR.py's named matchers are."""

MATCHERS: dict[str, Matcher] = {
    "method": lambda method, url, body: method.upper(),
    "path": lambda method, url, body: urlsplit(url).path,
    "query": lambda method, url, body: urlsplit(url).query,
    "body": lambda method, url, body: _normal_body(body),
}
"""VCR.py's matcher names; ``body`` compares JSON bodies normalised (key order, spacing) and multipart bodies with
their random boundary replaced."""
DEFAULT_MATCH_ON = ("method", "path", "body")
"""What a replayed request must share with a recorded one: not the host (a cassette replays against any base URL)
nor the query."""


def _key(method: str, url: str, body: str, match_on: tuple[str, ...] = DEFAULT_MATCH_ON) -> tuple[str, ...]:
    return tuple(MATCHERS[name](method, url, body) for name in match_on)


@dataclass
class Replayer:
    """Answers requests from a cassette, in order among equals, and never touches the network on its own.

    With ``live`` transports (record mode ``new_episodes``) a request the cassette cannot answer is sent on for
    real; ``went_live`` says, per request in order, which ones were, so the writer can append just those.
    """

    cassette: Cassette
    live: tuple[httpx2.BaseTransport, httpx2.AsyncBaseTransport] | None = None
    used: set[int] = field(default_factory=set)
    mismatches: list[str] = field(default_factory=list)
    went_live: list[bool] = field(default_factory=list)
    match_on: tuple[str, ...] = DEFAULT_MATCH_ON

    def __post_init__(self) -> None:
        unknown = [name for name in self.match_on if name not in MATCHERS]
        if unknown:
            raise ValueError(f"unknown matcher(s) {unknown}: use {', '.join(MATCHERS)}")

    def _recorded(self, request: httpx2.Request, body: str) -> httpx2.Response | None:
        wanted = _key(request.method, str(request.url), body, self.match_on)
        for index, attempt in enumerate(self.cassette.attempts):
            recorded = attempt.request
            if index not in self.used and _key(recorded.method, recorded.url, recorded.body, self.match_on) == wanted:
                self.used.add(index)
                return _response(attempt, request)
        return None

    def _unmatched(self, request: httpx2.Request, body: str) -> httpx2.Response:
        self.mismatches.append(f"{request.method} {urlsplit(str(request.url)).path} {body[:200]}")
        return httpx2.Response(599, json={"error": "no matching interaction in the cassette"}, request=request)

    def _look_up(self, request: httpx2.Request) -> httpx2.Response | None:
        """The recorded answer, the "out of date" answer, or None when the request is to go live."""
        body = _text(request)
        found = self._recorded(request, body)
        self.went_live.append(found is None and self.live is not None)
        if found is None and self.live is None:
            return self._unmatched(request, body)
        return found

    def answer(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        found = self._look_up(request)
        if found is not None:
            return found
        assert self.live is not None
        return self.live[0].handle_request(request)

    async def answer_async(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        found = self._look_up(request)
        if found is not None:
            return found
        assert self.live is not None
        return await self.live[1].handle_async_request(request)

    def transports(self) -> tuple[httpx2.BaseTransport, httpx2.AsyncBaseTransport]:
        return httpx2.MockTransport(self.answer), httpx2.MockTransport(self.answer_async)

    def new_attempts(self, attempts: list[Attempt]) -> list[Attempt]:
        """Of the recorder's attempts (one per request this replayer answered), those that went live."""
        return [a for a, live in zip(attempts, self.went_live, strict=False) if live]


def _text(request: httpx2.Request) -> str:
    return request.content.decode("utf-8", errors="replace") if request.content else ""


def _response(attempt: Attempt, request: httpx2.Request) -> httpx2.Response:
    response = attempt.response
    assert response is not None
    return httpx2.Response(response.status, headers=response.headers, content=response.body.encode(), request=request)
