"""Reading other projects' recordings of real LLM traffic (conformance.recordings).

The real files are the imported recordings in cassettes/imported (with SOURCES.md, which says what
each holds); the tests that need them skip when that folder is absent. Everything else is
hand-written here, in every format, so the reader is also checked on files it never saw.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conformance.exchange.model import RecordedRequest, RecordedResponse
from conformance.recordings import (
    Interaction,
    Recording,
    RecordingError,
    Source,
    api_of,
    find_recordings,
    on_loopback,
    read_all,
    read_recording,
    read_sources,
    source_rows,
)

REALTRAFFIC = Path(__file__).resolve().parents[1] / "cassettes" / "imported"
SOURCES_MD = REALTRAFFIC / "SOURCES.md"
ABSENT = f"{REALTRAFFIC} is absent: the imported real-traffic recordings are not in this checkout"

ROWS = source_rows(SOURCES_MD) if SOURCES_MD.is_file() else []
FORMAT_BY_REPOSITORY = {
    "crmne/ruby_llm": "ruby-vcr",
    "tidyverse/ellmer": "r-vcr",
    "charmbracelet/fantasy": "go-vcr",
    "tmc/langchaingo": "httprr",
}  # every other source repository records with Python's vcrpy


def _response(interaction: Interaction) -> RecordedResponse:
    assert interaction.attempt.response is not None
    return interaction.attempt.response


def _endpoint(request: RecordedRequest) -> str:
    """As SOURCES.md writes it: ``METHOD host/path?query``."""
    parts = urlsplit(request.url)
    return f"{request.method} {parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")


@pytest.fixture(scope="module")
def real() -> dict[str, Recording]:
    if not SOURCES_MD.is_file():
        pytest.skip(ABSENT)
    recordings, warnings = read_all([REALTRAFFIC])
    assert warnings == []
    return {recording.path.name: recording for recording in recordings}


def _real(real: dict[str, Recording], fragment: str) -> Recording:
    (name,) = [name for name in real if fragment in name]
    return real[name]


# --- the real recordings ---------------------------------------------------------------------------------------------


IMPORTED_FILES = 156
"""How many recordings cassettes/imported holds (SOURCES.md has one row for each)."""


def test_every_real_file_is_found_and_listed_in_sources_md(real: dict[str, Recording]) -> None:
    found = find_recordings([REALTRAFFIC])
    assert len(found) == len(ROWS) == IMPORTED_FILES
    assert {path.name for path in found} == {row["file"] for row in ROWS} == set(real)
    assert SOURCES_MD not in found


@pytest.mark.parametrize(
    "row",
    ROWS or [pytest.param({}, marks=pytest.mark.skip(reason=ABSENT))],
    ids=lambda row: str(row.get("file", "absent")),
)
def test_real_recording_is_what_sources_md_says(row: dict[str, str], real: dict[str, Recording]) -> None:
    recording = real[row["file"]]
    interactions = recording.interactions
    assert recording.path.parent.name == row["folder"]
    assert recording.format == FORMAT_BY_REPOSITORY.get(row["source repository"], "vcrpy")
    assert len(interactions) == int(row["interactions"])
    assert ", ".join(str(_response(i).status) for i in interactions) == row["status codes"]
    assert {_endpoint(i.attempt.request) for i in interactions} == set(row["endpoints"].split("<br>"))
    # every call is to the folder's API, but for a test's calls to its own server on this machine (Adala's)
    apis = [api_of(i.attempt.request) for i in interactions if not on_loopback(i.attempt.request)]
    assert apis
    assert apis == [row["folder"]] * len(apis)
    assert [i.index for i in interactions] == list(range(len(interactions)))
    assert all(i.line is not None and i.line > 0 for i in interactions)
    assert all(i.attempt.error is None and i.attempt.elapsed_ms == 0.0 for i in interactions)


def test_read_sources_gives_each_file_its_attribution() -> None:
    if not SOURCES_MD.is_file():
        pytest.skip(ABSENT)
    sources = read_sources(SOURCES_MD)
    assert len(sources) == IMPORTED_FILES
    assert sources["tmc__langchaingo__llms__googleai__testdata__TestGoogleAIErrorHandling.httprr"] == Source(
        repository="tmc/langchaingo",
        path="llms/googleai/testdata/TestGoogleAIErrorHandling.httprr",
        commit="8fea3de63675b901cf7a2cdc435c204cb7a93643",
        license="MIT",
        committed="2025-08-18",  # the day its source commit last changed it (git log)
    )
    assert {source.license for source in sources.values()} == {"MIT", "Apache-2.0"}
    assert all(re.fullmatch(r"[0-9a-f]{40}", source.commit) for source in sources.values())
    assert not any("`" in name for name in sources)


SSE_STREAMS = {
    "test_anthropic_test_completions_sync_api",  # legacy /v1/complete, CRLF-separated events
    "test_anthropic_message_streaming_legacy",
    "test_anthropic__test_web_search",
    "thinking-streaming",  # go-vcr
    "test_stream__test_sync[gemini-gemini-gemini-2.0-flash]",
    "test_openai_logprobs",
    "test_stream_v7__test_sync",
}


def test_real_sse_streams_give_json_events(real: dict[str, Recording]) -> None:
    streamed: set[str] = set()
    for name, recording in real.items():
        for interaction in recording.interactions:
            response = _response(interaction)
            if response.status == 200 and response.is_sse and interaction.unreadable is None:
                streamed.add(name)
                assert response.events, name
                assert all(e.data == "[DONE]" or isinstance(e.json(), dict) for e in response.events), name
    assert {fragment for fragment in SSE_STREAMS for name in streamed if fragment in name} == SSE_STREAMS
    assert len(streamed) >= 30  # and the other streams of the larger corpus (37 files when it had 133)


def test_real_json_array_streams_are_json_lists(real: dict[str, Recording]) -> None:
    """Gemini's streamGenerateContent without ``alt=sse`` streams one JSON array, not server-sent events."""
    for fragment in ("test_tools_with_gemini_3_thought_signatures", "TestGoogleAIWithStreaming"):
        for interaction in _real(real, fragment).interactions:
            body = _response(interaction).json
            assert isinstance(body, list)
            assert body
            assert all("candidates" in chunk for chunk in body)


def test_real_gzip_bodies_are_decoded_to_json(real: dict[str, Recording]) -> None:
    gzipped = {
        "structured_output_with_tools__anthropic__async": (0, 2),  # !!binary gzip, vcrpy
        "test_anthropic_multi_modal": (1,),
        "openai_gpt_5_mini_completions": (1,),
        "structured_output_calls_tool_scenario-strict": (0,),
        "test_tools_with_gemini_3_thought_signatures": (0, 1),
    }
    for fragment, indexes in gzipped.items():
        interactions = _real(real, fragment).interactions
        for index in indexes:
            response = _response(interactions[index])
            assert isinstance(response.json, (dict, list)), fragment
            assert "content-encoding" not in response.headers
            assert "content-length" not in response.headers
    assert _response(_real(real, "anthropic__async").interactions[0]).json["type"] == "message"


def test_no_real_response_is_left_compressed_or_chunked(real: dict[str, Recording]) -> None:
    for recording in real.values():
        for interaction in recording.interactions:
            headers = _response(interaction).headers
            assert "transfer-encoding" not in headers
            assert "content-encoding" not in headers, recording.path.name
            assert interaction.unreadable is None, recording.path.name


def test_r_vcr_bodies_stored_decoded_lose_their_gzip_header_with_a_note(real: dict[str, Recording]) -> None:
    first = _real(real, "google-count-tokens").interactions[0]
    assert _response(first).json["totalTokens"] == 8
    assert "content-encoding" not in _response(first).headers
    assert first.notes == ("response body was stored already decoded although content-encoding says gzip",)
    assert _response(first).headers["vary"] == "Origin, X-Origin, Referer"


LLAMA_STACK_REAL = Path(__file__).parent / "data" / "llama-stack"
"""Three real Llama Stack recordings (attributed in SOURCES.md there): kept out of cassettes/imported, since no
exchange of theirs can be audited."""


def test_real_llama_stack_recordings_are_read_but_their_answers_are_not_evidence() -> None:
    """Llama Stack records the SDK call and the objects it returned, not HTTP: each file is one exchange whose
    answer is rebuilt from those objects, so it is marked unreadable (the audit names it and skips it)."""
    recordings, warnings = read_all([LLAMA_STACK_REAL])
    assert warnings == []
    real = {r.path.name: r for r in recordings}
    llama = {name: r for name, r in real.items() if r.format == "llama-stack"}
    assert len(llama) == len(real) == len(read_sources(LLAMA_STACK_REAL / "SOURCES.md")) == 3
    for recording in llama.values():
        (interaction,) = recording.interactions
        assert interaction.line == 1
        assert interaction.unreadable is not None
        assert "Llama Stack" in interaction.unreadable
        assert interaction.notes[0] == interaction.unreadable
    models = _response(_real(real, "models-d98e7566").interactions[0])
    assert models.status == 200
    assert {m["owned_by"] for m in models.json} == {"google"}
    stream = _real(real, "a4416482053457914b58").interactions[0]
    assert stream.attempt.request.json["stream"] is True
    assert _response(stream).is_sse
    assert all(e.json()["object"] == "chat.completion.chunk" for e in _response(stream).events)
    error = _response(_real(real, "1c41ca441b6228230562").interactions[0])
    assert (error.status, error.json["code"]) == (400, "invalid_base64")


def test_real_brotli_bodies_are_decoded(real: dict[str, Recording]) -> None:
    for fragment in ("test_n_v7", "test_json_output_v7", "test_tools_choices_required_v7"):
        (interaction,) = _real(real, fragment).interactions
        assert _response(interaction).json["object"] == "chat.completion"
        assert interaction.notes == ()


# --- hand-written recordings, one per format -------------------------------------------------------------------------

VCRPY = """\
interactions:
- request:
    body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}'
    headers:
      Content-Type:
      - application/json
      Authorization:
      - Bearer sk-redacted
    method: post
    uri: https://api.openai.com/v1/chat/completions
  response:
    body:
      string: '{"object":"chat.completion","choices":[]}'
    headers:
      Content-Type:
      - application/json
      Set-Cookie:
      - a=1
      - b=2
    status:
      code: 200
      message: OK
version: 1
"""
VCRPY_RESPONSE_BODY = """      string: '{"object":"chat.completion","choices":[]}'"""


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _gzip_base64(data: bytes) -> str:
    return base64.b64encode(gzip.compress(data, mtime=0)).decode("ascii")


def test_vcrpy_recording(tmp_path: Path) -> None:
    recording = read_recording(_write(tmp_path, "chat.yaml", VCRPY))
    assert recording.format == "vcrpy"
    (interaction,) = recording.interactions
    request, response = interaction.attempt.request, _response(interaction)
    assert (interaction.index, interaction.line) == (0, 2)
    assert request.method == "POST"
    assert request.url == "https://api.openai.com/v1/chat/completions"
    assert request.headers == {"content-type": "application/json", "authorization": "Bearer sk-redacted"}
    assert request.json["model"] == "gpt-4o-mini"
    assert (response.status, response.json) == (200, {"object": "chat.completion", "choices": []})
    assert response.headers["set-cookie"] == "a=1, b=2"
    assert api_of(request) == "openai"


def test_pydantic_ai_parsed_body_becomes_json_text_with_dates_kept_as_written(tmp_path: Path) -> None:
    text = """\
interactions:
- request:
    headers:
      content-type:
      - application/json
    method: POST
    parsed_body:
      model: claude-haiku-4-5
      metadata:
        day: 2025-01-31
    uri: https://api.anthropic.com/v1/messages?beta=true
  response:
    headers:
      content-type:
      - application/json
    parsed_body:
      type: error
      error:
        type: not_found_error
    status:
      code: 404
      message: Not Found
version: 1
"""
    (interaction,) = read_recording(_write(tmp_path, "pydantic.yaml", text)).interactions
    assert interaction.attempt.request.json == {"model": "claude-haiku-4-5", "metadata": {"day": "2025-01-31"}}
    assert _response(interaction).json == {"type": "error", "error": {"type": "not_found_error"}}
    assert api_of(interaction.attempt.request) == "anthropic"


def test_ruby_vcr_recording_with_binary_gzip_and_base64_bodies(tmp_path: Path) -> None:
    request_body = base64.b64encode(b'{"contents":[]}').decode("ascii")
    text = f"""\
---
http_interactions:
- request:
    method: post
    uri: https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent
    body:
      encoding: ASCII-8BIT
      base64_string: {request_body}
    headers:
      Content-Type:
      - application/json
  response:
    status:
      code: 200
      message: OK
    headers:
      Content-Type:
      - application/json; charset=UTF-8
      Content-Encoding:
      - gzip
      Content-Length:
      - '42'
    body:
      encoding: ASCII-8BIT
      string: !binary |-
        {_gzip_base64(b'{"candidates":[{"index":0}]}')}
  recorded_at: Wed, 19 Aug 2026 14:34:11 GMT
recorded_with: VCR 6.2.0
"""
    recording = read_recording(_write(tmp_path, "ruby.yml", text))
    assert recording.format == "ruby-vcr"
    (interaction,) = recording.interactions
    assert interaction.line == 3
    assert interaction.attempt.request.method == "POST"
    assert interaction.attempt.request.body == '{"contents":[]}'
    response = _response(interaction)
    assert response.json == {"candidates": [{"index": 0}]}
    assert response.headers == {"content-type": "application/json; charset=UTF-8"}
    assert api_of(interaction.attempt.request) == "gemini"


def test_r_vcr_recording(tmp_path: Path) -> None:
    text = """\
http_interactions:
- request:
    method: GET
    uri: https://generativelanguage.googleapis.com/v1beta/models
  response:
    status: 200
    headers:
      content-type: application/json; charset=UTF-8
      content-encoding: gzip
      vary:
      - Origin
      - X-Origin
    body:
      string: '{"models":[{"name":"models/gemini-2.5-flash"}]}'
  recorded_at: 2026-07-21 15:38:09
- request:
    method: POST
    uri: https://generativelanguage.googleapis.com/v1beta/models/nope:countTokens
    body:
      string: '{"contents":[]}'
  response:
    status:
      status_code: '404'
      message: Not Found
    headers:
      content-type: application/json
    body:
      encoding: ''
      string: '{"error":{"code":404}}'
  recorded_at: 2026-07-21 15:38:10
recorded_with: VCR-vcr/2.1.0
"""
    recording = read_recording(_write(tmp_path, "r.yml", text))
    assert recording.format == "r-vcr"
    first, second = recording.interactions
    assert (first.line, second.line) == (2, 16)
    assert first.attempt.request.headers == {}
    assert first.attempt.request.body == ""
    assert _response(first).json == {"models": [{"name": "models/gemini-2.5-flash"}]}
    assert _response(first).headers == {"content-type": "application/json; charset=UTF-8", "vary": "Origin, X-Origin"}
    assert first.notes == ("response body was stored already decoded although content-encoding says gzip",)
    assert _response(second).status == 404
    assert [api_of(i.attempt.request) for i in recording.interactions] == ["gemini", "gemini"]


def test_go_vcr_recording_with_an_sse_stream(tmp_path: Path) -> None:
    text = """\
---
version: 2
interactions:
- id: 0
  request:
    proto: HTTP/1.1
    content_length: 47
    host: api.anthropic.com
    body: '{"model":"claude-haiku-4-5","stream":true}'
    headers:
      Anthropic-Version:
      - "2023-06-01"
    url: https://api.anthropic.com/v1/messages
    method: POST
  response:
    proto: HTTP/2.0
    content_length: -1
    body: "event: message_start\\ndata: {\\"type\\":\\"message_start\\"}\\n\\nevent: message_stop\\ndata: {\\"type\\":\\"message_stop\\"}\\n\\n"
    headers:
      Content-Type:
      - text/event-stream; charset=utf-8
    status: 200 OK
    code: 200
    duration: 1.2s
"""
    recording = read_recording(_write(tmp_path, "go.yaml", text))
    assert recording.format == "go-vcr"
    (interaction,) = recording.interactions
    response = _response(interaction)
    assert interaction.line == 4
    assert response.is_sse
    assert [(e.event, e.json()["type"]) for e in response.events] == [
        ("message_start", "message_start"),
        ("message_stop", "message_stop"),
    ]
    assert interaction.attempt.request.headers == {"anthropic-version": "2023-06-01"}
    assert api_of(interaction.attempt.request) == "anthropic"


def _httprr(*exchanges: tuple[bytes, bytes]) -> bytes:
    parts = [b"httprr trace v1\n"]
    for request, response in exchanges:
        parts.append(f"{len(request)} {len(response)}\n".encode() + request + response)
    return b"".join(parts)


HTTPRR_REQUEST = (
    b"POST https://api.openai.com/v1/chat/completions HTTP/1.1\r\nHost: api.openai.com\r\n"
    b"Content-Type: application/json\r\n\r\n"
    b'{"model":"gpt-4o-mini"}'
)
HTTPRR_RESPONSE = b'HTTP/2.0 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{"error":{"code":"x"}}\n'


def _chunked(data: bytes, size: int) -> bytes:
    pieces = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces) + b"0\r\n\r\n"


def test_httprr_recording_with_a_chunked_gzip_response(tmp_path: Path) -> None:
    second_request = b"GET /v1beta/models HTTP/1.1\r\nHost: generativelanguage.googleapis.com\r\n\r\n"
    second_response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(gzip.compress(b'{"models":[]}', mtime=0), 7)
    )
    data = _httprr((HTTPRR_REQUEST, HTTPRR_RESPONSE), (second_request, second_response))
    recording = read_recording(_write(tmp_path, "trace.httprr", data))
    assert recording.format == "httprr"
    first, second = recording.interactions
    assert first.line == 2
    assert data.split(b"\n")[second.line - 1] == f"{len(second_request)} {len(second_response)}".encode()
    assert first.attempt.request.method == "POST"
    assert first.attempt.request.json == {"model": "gpt-4o-mini"}
    assert (_response(first).status, _response(first).json) == (400, {"error": {"code": "x"}})
    assert second.attempt.request.url == "https://generativelanguage.googleapis.com/v1beta/models"
    assert _response(second).json == {"models": []}
    assert _response(second).headers == {"content-type": "application/json"}
    assert [api_of(i.attempt.request) for i in recording.interactions] == ["openai", "gemini"]


# --- brotli ----------------------------------------------------------------------------------------------------------

BROTLI_JSON = "CxSAeyJvYmplY3QiOiJjaGF0LmNvbXBsZXRpb24iLCJjaG9pY2VzIjpbXX0D"
"""``{"object":"chat.completion","choices":[]}`` compressed with brotli."""


def _vcrpy_with_response_body(body_yaml: str, encoding: str) -> str:
    """VCRPY with another response body (YAML text after ``string:``) sent with a content-encoding."""
    return VCRPY.replace(VCRPY_RESPONSE_BODY, f"      string: {body_yaml}").replace(
        "      Set-Cookie:", f"      Content-Encoding:\n      - {encoding}\n      Set-Cookie:"
    )


VCRPY_BROTLI = _vcrpy_with_response_body(f"!!binary |\n        {BROTLI_JSON}", "br")


def test_brotli_body_is_decoded(tmp_path: Path) -> None:
    (interaction,) = read_recording(_write(tmp_path, "br.yaml", VCRPY_BROTLI)).interactions
    assert _response(interaction).json == {"object": "chat.completion", "choices": []}
    assert "content-encoding" not in _response(interaction).headers


def test_a_body_in_an_encoding_nothing_decodes_stays_compressed_with_a_note(tmp_path: Path) -> None:
    text = _vcrpy_with_response_body(f"!!binary |\n        {BROTLI_JSON}", "zstd")
    (interaction,) = read_recording(_write(tmp_path, "zstd.yaml", text)).interactions
    response = _response(interaction)
    assert response.headers["content-encoding"] == "zstd"
    assert base64.b64decode(response.body) == base64.b64decode(BROTLI_JSON)
    assert len(interaction.notes) == 1
    assert "still zstd-compressed" in interaction.notes[0]
    assert interaction.unreadable == interaction.notes[0]


def test_a_raw_binary_answer_is_read_but_marked_unreadable(tmp_path: Path) -> None:
    """Bytes that are no text and no known compression: the file is read (its other exchanges are evidence), but
    this answer is marked so that nothing judges it."""
    text = _vcrpy_with_response_body(f"!!binary |\n        {GARBAGE}", "identity")
    (interaction,) = read_recording(_write(tmp_path, "binary.yaml", text)).interactions
    assert interaction.unreadable is not None
    assert interaction.unreadable.startswith("response body is binary, not UTF-8 text")
    assert "\ufffd" in _response(interaction).body


# --- malformed files: one warning each, naming file and line; the good file beside still read ------------------------

_CUT = VCRPY.index("string: '") + 20
GARBAGE = base64.b64encode(bytes(range(0, 256, 3))).decode("ascii")
CORRUPT_GZIP = base64.b64encode(gzip.compress(b'{"a": 1}' * 20, mtime=0)[:25] + b"garbage!").decode("ascii")


MALFORMED = [
    pytest.param("cut.yaml", VCRPY[:_CUT], 13, "invalid YAML", id="truncated-yaml-mid-string"),
    pytest.param("cut2.yaml", VCRPY[: VCRPY.index("  response:")], 2, "response is missing", id="truncated-yaml"),
    pytest.param(
        "bad.yaml", "interactions:\n- request:\n    method: POST\n   uri: x\n", 4, "invalid YAML", id="invalid-yaml"
    ),
    pytest.param("empty.yaml", "", None, "empty file", id="empty"),
    pytest.param("none.yaml", "interactions: []\nversion: 1\n", 1, "no interactions", id="no-interactions"),
    pytest.param("har.json", '{"log": {"version": "1.2", "entries": []}}', 1, "unknown recording format", id="har"),
    pytest.param("other.yml", "name: not a cassette\nitems: [1, 2]\n", 1, "unknown recording format", id="mapping"),
    pytest.param("list.yml", "- just\n- a list\n", 1, "unknown recording format", id="yaml-list"),
    pytest.param(
        "garbage.yaml",
        _vcrpy_with_response_body(f"!!binary |\n        {GARBAGE}", "gzip"),
        2,
        "neither gzip data nor text",
        id="binary-garbage-claimed-gzip",
    ),
    pytest.param(
        "corrupt.yaml",
        _vcrpy_with_response_body(f"!!binary |\n        {CORRUPT_GZIP}", "gzip"),
        2,
        "does not decompress",
        id="corrupt-gzip",
    ),
    pytest.param(
        "base64.yaml",
        _vcrpy_with_response_body("!!binary |\n        not*base64*at*all", "gzip"),
        13,
        "not valid base64",
        id="bad-base64",
    ),
    pytest.param(
        "cut.httprr",
        _httprr((HTTPRR_REQUEST, HTTPRR_RESPONSE))[:-30],
        2,
        "truncated httprr trace",
        id="truncated-httprr",
    ),
    pytest.param("sizes.httprr", b"httprr trace v1\nseven 12\n", 2, "expected two byte counts", id="httprr-sizes"),
    pytest.param("v2.httprr", b"httprr trace v2\n1 1\nab", 1, "expected 'httprr trace v1'", id="httprr-version"),
    pytest.param("latin1.yaml", b"interactions:\n- \xff\n", 2, "not UTF-8", id="not-utf8"),
]


@pytest.mark.parametrize(("name", "content", "line", "fragment"), MALFORMED)
def test_a_malformed_file_gives_one_warning_and_the_good_file_is_still_read(
    tmp_path: Path, name: str, content: str | bytes, line: int | None, fragment: str
) -> None:
    good = _write(tmp_path, "good.yaml", VCRPY)
    bad = _write(tmp_path, name, content)
    recordings, warnings = read_all([tmp_path, bad])
    assert [recording.path for recording in recordings] == [good]
    assert len(warnings) == 1
    prefix = f"{bad}:{line}: " if line is not None else f"{bad}: "
    assert warnings[0].startswith(prefix), warnings[0]
    assert fragment in warnings[0]
    with pytest.raises(RecordingError) as raised:
        read_recording(bad)
    assert (raised.value.path, raised.value.line, str(raised.value)) == (bad, line, warnings[0])


def test_every_error_says_what_to_do(tmp_path: Path) -> None:
    advice = ("re-record", "fix the file", "check the path", "convert the file", "delete it")
    for case in MALFORMED:
        name, content = str(case.values[0]), case.values[1]
        assert isinstance(content, (str, bytes))
        with pytest.raises(RecordingError) as raised:
            read_recording(_write(tmp_path, name, content))
        assert any(hint in raised.value.message for hint in advice), raised.value.message


def test_a_missing_path_is_a_warning_not_an_exception(tmp_path: Path) -> None:
    missing = tmp_path / "gone.yaml"
    recordings, warnings = read_all([missing])
    assert recordings == []
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{missing}: cannot read the file")


def test_an_unknown_host_reads_fine_but_is_attributed_to_no_api(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.yaml", VCRPY)
    other = _write(tmp_path, "proxy.yaml", VCRPY.replace("api.openai.com", "llm-proxy.example.com"))
    recordings, warnings = read_all([tmp_path])
    assert warnings == []
    assert [r.path for r in recordings] == [good, other]
    assert api_of(recordings[1].interactions[0].attempt.request) is None


def test_recording_error_text() -> None:
    assert str(RecordingError(Path("a/b.yaml"), 7, "bad")) == "a/b.yaml:7: bad"
    assert str(RecordingError(Path("a/b.yaml"), None, "bad")) == "a/b.yaml: bad"


# --- finding files and attributing them ------------------------------------------------------------------------------


def test_find_recordings_searches_folders_and_keeps_files_given_directly(tmp_path: Path) -> None:
    names = ("b.yml", "a.yaml", "c.httprr", "sub/f.yaml", "README.md", "SOURCES.md", "d.json", ".git/e.yaml")
    for name in (*names, "LICENSE", "sub/NOTICE.txt", "g.txt"):
        _write(tmp_path, name, "x")
    found = [tmp_path / n for n in ("a.yaml", "b.yml", "c.httprr", "d.json", "g.txt", "sub/f.yaml")]
    assert find_recordings([tmp_path]) == found  # every file but hidden ones, Markdown and licences
    direct = find_recordings([tmp_path / "d.json", tmp_path / "README.md", tmp_path / "a.yaml", tmp_path])
    assert direct == found


def test_a_file_no_reader_takes_gives_one_warning_naming_it(tmp_path: Path) -> None:
    _write(tmp_path, "chat.yaml", VCRPY)
    notes = _write(tmp_path, "sub/notes.txt", "what we recorded, and when\n")
    picture = _write(tmp_path, "shot.png", b"\x89PNG\r\n\x1a\n\x00\x00")
    saved_as_txt = _write(tmp_path, "cassette.txt", VCRPY)
    recordings, warnings = read_all([tmp_path])
    assert sorted(r.path.name for r in recordings) == ["cassette.txt", "chat.yaml"]
    assert saved_as_txt in [r.path for r in recordings]
    assert len(warnings) == 2
    for path, warning in zip((picture, notes), warnings, strict=True):
        assert warning.startswith(f"{path}: no reader takes this file (")
        assert "move the file out of the audited folder" in warning


@pytest.mark.parametrize(
    ("method", "url", "api"),
    [
        ("POST", "https://api.anthropic.com/v1/messages", "anthropic"),
        ("POST", "https://api.anthropic.com/v1/messages/count_tokens?beta=true", "anthropic"),
        ("GET", "https://api.anthropic.com/v1/models", "anthropic"),
        ("POST", "https://api.anthropic.com/v1/complete", "anthropic"),
        ("POST", "https://api.anthropic.com/v1/chat/completions", "anthropic-openai"),
        ("POST", "https://api.anthropic.com/v1/files", None),
        ("POST", "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions", "gemini-openai"),
        ("POST", "https://generativelanguage.googleapis.com/v1beta/openai/completions", "gemini-openai"),
        ("POST", "https://generativelanguage.googleapis.com/v1beta/models/g:generateContent", "gemini"),
        ("POST", "https://generativelanguage.googleapis.com/v1beta/models/g:streamGenerateContent?alt=sse", "gemini"),
        ("POST", "https://generativelanguage.googleapis.com/v1/models/g:countTokens", "gemini"),
        ("POST", "https://generativelanguage.googleapis.com/v1beta/models/g:embedContent", "gemini"),
        ("POST", "https://generativelanguage.googleapis.com/v1beta/models/g:batchEmbedContents", "gemini"),
        ("GET", "https://generativelanguage.googleapis.com/v1beta/models", "gemini"),
        ("GET", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash", "gemini"),
        ("POST", "https://generativelanguage.googleapis.com/v1beta/models", None),
        ("POST", "https://generativelanguage.googleapis.com/v1beta/files", None),
        ("POST", "https://api.openai.com/v1/chat/completions", "openai"),
        ("POST", "https://api.openai.com/v1/responses", "openai"),
        ("POST", "https://example.com/v1/chat/completions", None),
        ("POST", "http://localhost:8080/v1/messages", None),
    ],
)
def test_api_of(method: str, url: str, api: str | None) -> None:
    assert api_of(RecordedRequest(method, url, {}, "")) == api


def test_source_rows_without_a_table_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no markdown table"):
        source_rows(_write(tmp_path, "SOURCES.md", "# Sources\n\nnothing here\n"))


def test_read_sources_strips_backticks(tmp_path: Path) -> None:
    table = (
        "| folder | file | source repository | original path | commit | license |\n"
        "|---|---|---|---|---|---|\n"
        "| openai | `a[b].yaml` | o/r | `x/a[b].yaml` | abc | MIT |\n"
    )
    assert read_sources(_write(tmp_path, "SOURCES.md", table)) == {
        "a[b].yaml": Source("o/r", "x/a[b].yaml", "abc", "MIT")
    }


# --- Llama Stack's recordings and vcrpy's JSON ---------------------------------------------------------------------

LLAMA_STACK_CHAT = {
    "test_id": "tests/integration/inference/test_x.py::test_chat[txt=openai/gpt-4o-mini]",
    "request": {
        "method": "POST",
        "url": "https://api.openai.com/v1/v1/chat/completions",
        "headers": {},
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]},
        "endpoint": "/v1/chat/completions",
        "model": "gpt-4o-mini",
    },
    "response": {
        "body": {
            "__type__": "openai.types.chat.chat_completion.ChatCompletion",
            "__data__": {"id": "rec-1", "object": "chat.completion", "choices": [], "service_tier": None},
        },
        "is_streaming": False,
    },
}


def _llama_stack(tmp_path: Path, document: dict[str, object], name: str = "rec-1.json") -> Recording:
    return read_recording(_write(tmp_path, name, json.dumps(document, indent=2)))


def test_llama_stack_recording_is_rebuilt_and_says_its_answer_is_no_evidence(tmp_path: Path) -> None:
    recording = _llama_stack(tmp_path, LLAMA_STACK_CHAT)
    assert recording.format == "llama-stack"
    (interaction,) = recording.interactions
    request, response = interaction.attempt.request, _response(interaction)
    assert (request.method, request.url) == ("POST", "https://api.openai.com/v1/v1/chat/completions")
    assert request.json == LLAMA_STACK_CHAT["request"]["body"]  # type: ignore[index]
    assert (response.status, response.headers) == (200, {"content-type": "application/json"})
    assert response.json == {"id": "rec-1", "object": "chat.completion", "choices": [], "service_tier": None}
    assert interaction.unreadable is not None
    assert "rebuilt from the SDK objects Llama Stack recorded" in interaction.unreadable
    assert "not the text the API sent" in interaction.unreadable
    assert api_of(request) == "openai"


def test_llama_stack_stream_becomes_server_sent_events_of_its_chunks(tmp_path: Path) -> None:
    chunk = {"__type__": "openai.types.chat.chat_completion_chunk.ChatCompletionChunk", "__data__": {"id": "c"}}
    document = {**LLAMA_STACK_CHAT, "response": {"body": [chunk, chunk], "is_streaming": True}}
    response = _response(_llama_stack(tmp_path, document).interactions[0])
    assert response.is_sse
    assert [e.json() for e in response.events] == [{"id": "c"}, {"id": "c"}]


def test_llama_stack_provider_exception_keeps_its_status_and_error_body(tmp_path: Path) -> None:
    error = {"category": "provider_sdk", "type": "NotFoundError", "status_code": 404, "body": {"code": "nope"}}
    document = {**LLAMA_STACK_CHAT, "response": {"body": None, "is_exception": True, "exception_data": error}}
    response = _response(_llama_stack(tmp_path, document).interactions[0])
    assert (response.status, response.json) == (404, {"code": "nope"})


@pytest.mark.parametrize(
    ("response", "message"),
    [
        pytest.param(
            {"body": None, "is_exception": True, "exception_data": {"category": "builtin", "message": "boom"}},
            "raised a builtin exception with no HTTP status ('boom')",
            id="no-status",
        ),
        pytest.param({"body": {"id": "x"}, "is_streaming": True}, "is not a list of chunks", id="stream-not-list"),
    ],
)
def test_llama_stack_recording_without_an_answer_is_refused_by_name(
    tmp_path: Path, response: dict[str, object], message: str
) -> None:
    with pytest.raises(RecordingError) as caught:
        _llama_stack(tmp_path, {**LLAMA_STACK_CHAT, "response": response})
    assert str(caught.value).startswith(f"{tmp_path / 'rec-1.json'}: ")
    assert message in str(caught.value)


def test_invalid_json_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(RecordingError) as caught:
        read_recording(_write(tmp_path, "broken.json", '{\n  "request": {\n  oops\n}'))
    assert str(caught.value).startswith(f"{tmp_path / 'broken.json'}:3: invalid JSON: ")


def test_vcrpy_json_serializer_cassette_is_read(tmp_path: Path) -> None:
    document = yaml.safe_load(VCRPY)
    recording = read_recording(_write(tmp_path, "chat.json", json.dumps(document)))
    assert recording.format == "vcrpy"
    (interaction,) = recording.interactions
    assert interaction.line is None  # JSON keeps no line per interaction
    assert _response(interaction).json == {"object": "chat.completion", "choices": []}
    assert interaction.unreadable is None
