"""Tokens a response says it used, in each API's own usage shape (JSON bodies and SSE streams).

* OpenAI-compatible: ``usage.total_tokens`` (or prompt + completion); in a stream, the chunk that carries usage.
* Anthropic Messages: ``usage.input_tokens + output_tokens`` (+ cache tokens); in a stream, ``message_start``
  holds the input and ``message_delta`` the running output count.
* Gemini: ``usageMetadata.totalTokenCount``; every streamed chunk repeats the running total.

A response without usage counts 0: the budget then rests on ``--conformance-max-requests``.
"""

from __future__ import annotations

import json
from typing import Any

from conformance.exchange.model import RecordedResponse


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def usage_tokens(data: Any) -> tuple[int, int]:
    """(input, output) tokens of one JSON document, whichever API shape it has; (0, 0) when there is none."""
    if not isinstance(data, dict):
        return 0, 0
    meta = data.get("usageMetadata")
    if isinstance(meta, dict):
        total = _int(meta.get("totalTokenCount"))
        prompt = _int(meta.get("promptTokenCount"))
        return (prompt, total - prompt) if total else (prompt, _int(meta.get("candidatesTokenCount")))
    usage = data.get("usage")
    if not isinstance(usage, dict):
        message = data.get("message")  # anthropic stream: message_start
        usage = message.get("usage") if isinstance(message, dict) else None
    if not isinstance(usage, dict):
        return 0, 0
    if "total_tokens" in usage or "prompt_tokens" in usage:
        total = _int(usage.get("total_tokens"))
        prompt = _int(usage.get("prompt_tokens"))
        return (prompt, total - prompt) if total else (prompt, _int(usage.get("completion_tokens")))
    inputs = sum(_int(usage.get(k)) for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"))
    return inputs, _int(usage.get("output_tokens"))


def tokens_of(response: RecordedResponse) -> int:
    """Tokens used by one response: the largest input and output counts it reports (streams repeat them)."""
    if response.status >= 400:
        return 0
    documents = _documents(response)
    inputs = outputs = 0
    for document in documents:
        got_in, got_out = usage_tokens(document)
        inputs, outputs = max(inputs, got_in), max(outputs, got_out)
    return inputs + outputs


def _documents(response: RecordedResponse) -> list[Any]:
    if not response.is_sse:
        return [response.json]
    documents = []
    for event in response.events:
        if '"usage' in event.data:
            try:
                documents.append(json.loads(event.data))
            except ValueError:
                continue
    return documents
