"""Read recordings of real HTTP traffic made by other projects into the harness's own :class:`Attempt` objects.

Other projects' cassettes are evidence the harness did not produce: what a provider really
answered, to requests real clients really sent. Turning them into the same
:class:`~conformance.exchange.model.Attempt` a live probe records lets the checks run on both.
A file that cannot be read becomes a :class:`RecordingError` that names the file, the line
and what to do; :func:`read_all` turns those into warnings so one bad file never hides the rest, and a file in an
audited folder that no reader takes is such a file too: it is named in a warning, never skipped silently.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import brotli
import yaml

from conformance.bounded import MAX_DEPTH, DepthLimitedLoader, LimitExceeded, check_yaml_nodes, clip, json_depth
from conformance.errors import ConformanceError, UserInputError
from conformance.exchange.model import Attempt, RecordedRequest, RecordedResponse
from conformance.exchange.recorder import MAX_BODY_BYTES
from conformance.recordings import formats
from conformance.recordings.formats import RESTORE, FormatError, RawExchange

RECORDING_SUFFIXES = (".yaml", ".yml", ".httprr", ".json")
"""The suffixes of the formats read here (``.json``: Llama Stack's recordings and vcrpy's JSON serializer)."""

NOT_RECORDINGS = (".md", ".markdown")
"""Documentation beside the recordings (README, SOURCES.md), skipped even when named directly."""

_LICENCE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE)([.-].*)?", re.IGNORECASE)
"""Licence and notice files, which must travel with copied recordings: skipped in folders like documentation."""


class RecordingError(UserInputError):
    """A recording that cannot be read; ``str()`` is ``<file>:<line>: <message>`` (``<file>: <message>`` when
    no line is known), in the form editors and CI annotations jump to."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(f"{path}:{line}: {message}" if line is not None else f"{path}: {message}")


@dataclass(frozen=True)
class Interaction:
    """One exchange of a recording: its 0-based position, the exchange as an :class:`Attempt`, and the line it
    starts on (the YAML list item, or httprr's ``N M`` sizes line), so a finding can point into the file.

    ``notes`` says where the stored exchange differs from the file for a reason a reader should know (a body
    the recorder had already decoded, a compression nothing here can undo). ``unreadable`` says why the recorded
    response body is not the text the API sent (binary bytes, a compression nothing here decodes), or is None:
    such an exchange is read, but is no evidence of the API's answer."""

    index: int
    attempt: Attempt
    line: int | None
    notes: tuple[str, ...] = ()
    unreadable: str | None = None


@dataclass(frozen=True)
class Recording:
    """One recording file: where it is, which format it was read as, and its exchanges in file order."""

    path: Path
    format: str  # one of formats.FORMATS: "vcrpy" | "ruby-vcr" | "r-vcr" | "go-vcr" | "httprr" | "llama-stack"
    interactions: tuple[Interaction, ...]


# --- finding and reading files ---------------------------------------------------------------------------------------


def find_recordings(paths: Iterable[Path]) -> list[Path]:
    """Files given directly (whatever their suffix), and every file found recursively in folders, sorted.

    In folders, hidden files and folders, documentation (Markdown: README, SOURCES) and licence files are skipped;
    every other file is returned, whatever its suffix, so that one no reader takes is reported by :func:`read_all`
    rather than passed over in silence. Markdown is skipped even when given directly, so a shell glob over a
    recordings folder works; a path that does not exist is kept, so reading it reports the problem."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(_files_in(path))
        elif path.suffix.lower() not in NOT_RECORDINGS:
            found.add(path)
    return sorted(found)


def _files_in(folder: Path) -> Iterable[Path]:
    for path in folder.rglob("*"):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        documentation = path.suffix.lower() in NOT_RECORDINGS or _LICENCE_FILE.fullmatch(path.name) is not None
        if path.is_file() and not hidden and not documentation:
            yield path


def read_all(paths: Iterable[Path]) -> tuple[list[Recording], list[str]]:
    """Every readable recording under ``paths``, and one warning (the :class:`RecordingError` text) per file that
    is not: a bad file is reported, never raised, so it cannot hide the good ones beside it."""
    recordings: list[Recording] = []
    warnings: list[str] = []
    for path in find_recordings(paths):
        try:
            recordings.append(read_recording(path))
        except RecordingError as exc:
            warnings.append(str(exc))
        except Exception as exc:  # a reader bug must cost one file, never the files beside it
            warnings.append(
                f"{path}: not read: {type(exc).__name__}: {clip(str(exc), 200)} (a bug in conformance's recording "
                "reader: please report it with this file); the other files are audited"
            )
    return recordings, warnings


def read_recording(path: Path) -> Recording:
    """The recording in ``path``, in any of the formats of :mod:`conformance.recordings.formats`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordingError(path, None, f"cannot read the file ({exc.strerror or exc}); check the path") from exc
    if not data.strip():
        raise RecordingError(path, None, f"empty file: it holds no recording; {RESTORE}, or delete it")
    if data.startswith(b"httprr trace"):
        return _read_httprr(path, data)
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _read_json(path, data)
    if suffix in RECORDING_SUFFIXES:
        return _read_yaml(path, data)
    return _read_unknown_suffix(path, data)


def _read_unknown_suffix(path: Path, data: bytes) -> Recording:
    """A file whose suffix names no format: read if its content is one (a cassette saved as .txt), else refused
    with a message that says no reader takes it."""
    try:
        return _read_json(path, data) if data.lstrip()[:1] == b"{" else _read_yaml(path, data)
    except RecordingError as exc:
        why = re.split(r"\. Readable formats|; convert|; fix the file|; restore", exc.message)[0]
        raise RecordingError(
            path,
            None,
            f"no reader takes this file ({why}): recordings are .yaml/.yml (vcrpy, Ruby and R vcr, go-vcr), "
            ".httprr or .json (Llama Stack, vcrpy's JSON); move the file out of the audited folder",
        ) from exc


def _read_httprr(path: Path, data: bytes) -> Recording:
    try:
        exchanges = formats.httprr(data)
    except FormatError as exc:
        raise RecordingError(path, exc.line, exc.message) from exc
    if not exchanges:
        raise RecordingError(path, 1, f"no interactions: the trace holds no exchange; {RESTORE}, or delete it")
    return Recording(
        path,
        formats.HTTPRR,
        tuple(_interaction(path, index, line, raw) for index, (line, raw) in enumerate(exchanges)),
    )


def _read_yaml(path: Path, data: bytes) -> Recording:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordingError(
            path, line, f"not UTF-8 text (byte {exc.start}), so not a YAML cassette; {RESTORE}"
        ) from exc
    root, document = _parse_yaml(path, text)
    return _read_cassette(path, document, root)


def _read_json(path: Path, data: bytes) -> Recording:
    """A JSON file: a Llama Stack recording, or a vcrpy cassette written with its JSON serializer."""
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordingError(path, line, f"not UTF-8 text (byte {exc.start}), so not JSON; {RESTORE}") from exc
    except json.JSONDecodeError as exc:
        raise RecordingError(path, exc.lineno, f"invalid JSON: {exc.msg}; fix the file or {RESTORE}") from exc
    if formats.is_llama_stack(document):
        try:
            raw = formats.llama_stack(document)
        except FormatError as exc:
            raise RecordingError(path, exc.line, exc.message) from exc
        return Recording(path, formats.LLAMA_STACK, (_interaction(path, 0, 1, raw),))
    if isinstance(document, Mapping) and formats.interactions_key(document) is None:
        keys = ", ".join(sorted(str(k) for k in document)[:6])
        raise RecordingError(
            path,
            1,
            f"unknown recording format: a JSON object with neither Llama Stack's 'request'/'response' nor a "
            f"cassette's 'interactions' (top-level keys: {keys}); convert the file to a readable format or leave it out",
        )
    return _read_cassette(path, document, None)


def _read_cassette(path: Path, document: Any, root: yaml.Node | None) -> Recording:
    """A parsed cassette (YAML, or vcrpy's JSON): its format detected, each interaction read; ``root`` is the YAML
    node tree that gives interactions their lines (None for JSON)."""
    try:
        format_name = formats.detect(document)
    except FormatError as exc:
        raise RecordingError(path, exc.line, exc.message) from exc
    key = formats.interactions_key(document) or ""
    entries = document.get(key)
    key_line, entry_lines = _entry_lines(root, key)
    if not isinstance(entries, list) or not entries:
        raise RecordingError(
            path, key_line, f"no interactions: '{key}' is empty or not a list; {RESTORE}, or delete it"
        )
    read_entry = formats.YAML_READERS[format_name]
    interactions = []
    for index, entry in enumerate(entries):
        entry_line = entry_lines[index] if index < len(entry_lines) else None
        if not isinstance(entry, Mapping):
            raise RecordingError(path, entry_line, f"interaction {index + 1} is not a mapping; {RESTORE}")
        try:
            raw = read_entry(entry)
        except FormatError as exc:
            raise RecordingError(path, exc.line or entry_line, f"interaction {index + 1}: {exc.message}") from exc
        interactions.append(_interaction(path, index, entry_line, raw))
    return Recording(path, format_name, tuple(interactions))


def _parse_fast(text: str) -> tuple[yaml.Node | None, Any] | None:
    """libyaml's parse, or ``None`` (no libyaml, a character the pure-Python reader refuses, any error, a limit of
    :mod:`conformance.bounded` crossed: the pure-Python parse then says what is wrong, and where)."""
    if formats.FastCassetteLoader is None or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return None
    loader = formats.FastCassetteLoader(text)
    try:
        root = loader.get_single_node()
        check_yaml_nodes(root)
        return root, (loader.construct_document(root) if root is not None else None)
    except Exception:  # anything: the pure-Python parse then says what is wrong. libyaml raises the error classes
        # of the first import of yaml, which a re-import (pytester restores sys.modules after each in-process run)
        # no longer names yaml.YAMLError: a ParserError escaped as an INTERNALERROR.
        return None
    finally:
        loader.dispose()


class _PureCassetteLoader(DepthLimitedLoader, formats.CassetteLoader):
    """:class:`~conformance.recordings.formats.CassetteLoader` with its composer stopped at the depth limit."""


def _parse_yaml(path: Path, text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the document built from it, with YAML errors given their line."""
    fast = _parse_fast(text)
    if fast is not None:
        return fast
    try:
        loader = _PureCassetteLoader(text)
    except yaml.reader.ReaderError as exc:  # a NUL byte or another character YAML forbids, anywhere in the file
        line = text.count("\n", 0, exc.position) + 1
        raise RecordingError(
            path, line, f"invalid YAML: character #x{exc.character:04x} is not allowed; fix the file or {RESTORE}"
        ) from exc
    try:
        root = loader.get_single_node()
        check_yaml_nodes(root)
        return root, (loader.construct_document(root) if root is not None else None)
    except LimitExceeded as exc:
        raise RecordingError(path, exc.line, exc.message) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = clip(" ".join(part for part in (exc.context, exc.problem) if part) or str(exc))
        message = problem if RESTORE in problem else f"invalid YAML: {problem}; fix the file or {RESTORE}"
        raise RecordingError(path, mark.line + 1 if mark else None, message) from exc
    except yaml.YAMLError as exc:
        raise RecordingError(path, None, f"invalid YAML: {clip(str(exc))}; fix the file or {RESTORE}") from exc
    finally:
        loader.dispose()


def _entry_lines(root: yaml.Node | None, key: str) -> tuple[int | None, list[int]]:
    """The line of ``key`` and of each item of its list: where a message about an interaction should point."""
    if isinstance(root, yaml.MappingNode):
        for key_node, value in root.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                items = value.value if isinstance(value, yaml.SequenceNode) else []
                return key_node.start_mark.line + 1, [item.start_mark.line + 1 for item in items]
    return None, []


# --- building the Attempt --------------------------------------------------------------------------------------------


def _interaction(path: Path, index: int, line: int | None, raw: RawExchange) -> Interaction:
    try:
        request_body, request_headers, request_notes = decode_body(
            raw.request_body, merge_headers(raw.request_headers), "request"
        )
        response_body, response_headers, response_notes = decode_body(
            raw.response_body, merge_headers(raw.response_headers), "response"
        )
    except FormatError as exc:
        raise RecordingError(path, line, f"interaction {index + 1}: {exc.message}") from exc
    try:
        urlsplit(raw.url)
    except ValueError as exc:
        raise RecordingError(
            path,
            line,
            f"interaction {index + 1}: the request URL {clip(raw.url, 80)!r} is not a URL ({exc}); {RESTORE}",
        ) from exc
    attempt = Attempt(
        request=RecordedRequest(raw.method.upper(), raw.url, request_headers, request_body),
        response=RecordedResponse(raw.status, response_headers, response_body),
        error=None,
        elapsed_ms=0.0,
    )
    deep = _too_deep(request_body, "request") + _too_deep(response_body, "response")
    notes = raw.notes + request_notes + response_notes + deep
    unreadable = next((note for note in raw.notes + response_notes if _UNREADABLE_MARK in note), None)
    too_large = next((note for note in request_notes if _TOO_LARGE_MARK in note), None)
    return Interaction(index, attempt, line, notes, unreadable or too_large or next(iter(deep), None))


def _too_deep(body: str, what: str) -> tuple[str, ...]:
    """A note when the body's JSON nests deeper than anything downstream may recurse: no check reads it."""
    if json_depth(body) <= MAX_DEPTH:
        return ()
    return (f"{what} body nests deeper than {MAX_DEPTH} levels, more than anything here parses",)


def merge_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-case names; repeated headers (or list values) joined with ``", "``, as :mod:`conformance.exchange.model` does."""
    merged: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        merged[key] = f"{merged[key]}, {value}" if key in merged else value
    return merged


def decode_body(
    body: bytes | str, headers: Mapping[str, str], what: str
) -> tuple[str, dict[str, str], tuple[str, ...]]:
    """The body as text, the headers to store with it, and notes.

    Content-encodings are undone (gzip, deflate, br) and then dropped from the headers with the content-length
    that measured the encoded bytes, so nobody decodes twice. ``transfer-encoding`` is always dropped: no stored
    body is chunk-framed (recorders keep the payload; httprr bodies are de-chunked when parsed)."""
    kept = {k: v for k, v in headers.items() if k != "transfer-encoding"}
    data = body.encode("utf-8") if isinstance(body, str) else body
    encodings = [e.strip().lower() for e in kept.get("content-encoding", "").split(",") if e.strip()]
    notes: list[str] = []
    for position in range(len(encodings) - 1, -1, -1):
        try:
            decoded = _undo_encoding(data, encodings[position], what, notes)
        except _TooLarge:
            kept["content-encoding"] = ", ".join(encodings[: position + 1])
            notes.append(
                f"{what} body {_TOO_LARGE_MARK} {MAX_BODY_BYTES // 2**20} MiB, the limit for live answers "
                f"({_UNREADABLE_MARK}): decompression stopped there; stored still {encodings[position]}-compressed "
                "as base64"
            )
            return base64.b64encode(data).decode("ascii"), kept, tuple(notes)
        if decoded is None:
            kept["content-encoding"] = ", ".join(encodings[: position + 1])
            notes.append(
                f"{what} body is still {encodings[position]}-compressed, stored as base64 ({_UNREADABLE_MARK}): "
                f"nothing here can decode {encodings[position]!r} "
            )
            return base64.b64encode(data).decode("ascii"), kept, tuple(notes)
        data = decoded
    if encodings:
        kept.pop("content-encoding", None)
        kept.pop("content-length", None)
    return _as_text(data, what, notes), kept, tuple(notes)


_TOO_LARGE_MARK = "decompresses to more than"
"""In the note of a body that expands past the body limit (a request's too: such an exchange is not audited)."""

_UNREADABLE_MARK = formats.UNREADABLE_MARK

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _looks_like_text(data: bytes) -> bool:
    """UTF-8 without control characters: what a recorder that stored the decoded body (R vcr, go-vcr) wrote."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _CONTROL.search(text) is None


def _undo_encoding(data: bytes, encoding: str, what: str, notes: list[str]) -> bytes | None:
    """``data`` with one content-encoding undone; None when no decoder for it is available."""
    if encoding in ("identity", ""):
        return data
    if encoding in ("gzip", "x-gzip") and data[:2] == b"\x1f\x8b":
        return _gunzip(data, what)
    if _looks_like_text(data):
        notes.append(f"{what} body was stored already decoded although content-encoding says {encoding}")
        return data
    if encoding in ("gzip", "x-gzip"):
        raise FormatError(
            f"the {what} body says content-encoding gzip but is neither gzip data nor text "
            f"(starts with {data[:8]!r}); {RESTORE}"
        )
    if encoding == "deflate":
        return _inflate(data, what)
    if encoding == "br":
        return _brotli(data, what)
    return None


class _TooLarge(ConformanceError):
    """A compressed body that expands past :data:`~conformance.exchange.recorder.MAX_BODY_BYTES` (a zip bomb, or simply too
    big to be an answer the harness would have read live)."""


_CHUNK = 1 << 20
"""What a first, counting pass decompresses at a time: a bomb is refused without its output ever being held."""


def _zlib_stream(data: bytes, wbits: int) -> tuple[bytes, bytes] | None:
    """One zlib/gzip/raw-deflate stream of ``data`` decompressed, and the bytes after it; None when the stream does
    not end (truncated). A first pass counts the output in 1 MiB pieces and raises :class:`_TooLarge` past the body
    limit; only a stream within it is decompressed whole. zlib.error on bad data."""
    probe, pending, size = zlib.decompressobj(wbits), data, 0
    while not probe.eof:
        out = probe.decompress(pending, _CHUNK)
        pending = probe.unconsumed_tail
        if not out and not pending:
            return None
        size += len(out)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
    stream = zlib.decompressobj(wbits)
    return stream.decompress(data), stream.unused_data


def _gunzip(data: bytes, what: str) -> bytes:
    """Every gzip member of ``data`` (trailing zero padding ignored), together at most the body limit."""
    members: list[bytes] = []
    rest, size = data, 0
    try:
        while rest.strip(b"\0"):
            if rest[:2] != b"\x1f\x8b":
                raise FormatError(f"the {what} body has bytes after its gzip data that are not gzip; {RESTORE}")
            member = _zlib_stream(rest, 16 + zlib.MAX_WBITS)
            if member is None:
                raise FormatError(f"the {what} body is gzip data that does not decompress (it is cut short); {RESTORE}")
            out, rest = member
            size += len(out)
            if size > MAX_BODY_BYTES:
                raise _TooLarge
            members.append(out)
    except zlib.error as exc:
        raise FormatError(f"the {what} body is gzip data that does not decompress ({exc}); {RESTORE}") from exc
    return b"".join(members)


def _inflate(data: bytes, what: str) -> bytes:
    """HTTP ``deflate`` is meant to be zlib-wrapped, but some servers send raw deflate: accept both."""
    for window in (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        try:
            member = _zlib_stream(data, window)
        except zlib.error:
            continue
        if member is not None:
            return member[0]
    raise FormatError(f"the {what} body says content-encoding deflate but does not inflate; {RESTORE}")


def _as_text(data: bytes, what: str, notes: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        notes.append(f"{what} body is binary, not UTF-8 text ({_UNREADABLE_MARK}); undecodable bytes were replaced")
        return data.decode("utf-8", errors="replace")


# --- brotli ------------------------------------------------------------------------------------------------------
# OpenAI answers with br when the client offers it; the standard library has no brotli decoder, so the
# ``brotli`` package (Google's own bindings) decodes it.


def _brotli(data: bytes, what: str) -> bytes:
    """Like :func:`_zlib_stream`: the output counted in 1 MiB pieces first, decompressed whole only within the limit."""
    probe = brotli.Decompressor()
    try:
        size = len(probe.process(data, output_buffer_limit=_CHUNK))
        while size <= MAX_BODY_BYTES and not probe.is_finished() and not probe.can_accept_more_data():
            size += len(probe.process(b"", output_buffer_limit=_CHUNK))
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        if not probe.is_finished():
            raise FormatError(f"the {what} body says content-encoding br but is cut short; {RESTORE}")
        result: bytes = brotli.decompress(data)
    except brotli.error as exc:
        raise FormatError(
            f"the {what} body says content-encoding br but does not decompress ({exc}); {RESTORE}"
        ) from exc
    return result
