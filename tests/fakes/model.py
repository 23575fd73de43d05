"""The deterministic toy "model" every fake flavor answers with, keyed on the probes' exact prompts.

Tokens are whitespace-separated words. Each flavor turns its request into a :class:`Prompt` and renders the
:class:`Answer` in its own wire format.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from conformance.checks import prompts

COUNT_TEXT = " ".join(str(i) for i in range(1, 21))
THOUGHT = "17 * 23 = 17 * 20 + 17 * 3 = 340 + 51 = 391."
TOOL_ARGUMENTS = {"get_weather": {"location": "Paris"}, "get_time": {"city": "Tokyo"}}
CODE_WORD = re.compile(r"code word is (\w+)")
"""What the toy model reads code words from, in whatever system text reached it."""
EVENT = {"name": "AI conference", "date": "Friday", "participants": ["John", "Susan"]}


def words(text: str) -> int:
    return len(text.split())


@dataclass
class Prompt:
    """What the model sees, whatever the wire format."""

    system: str = ""
    question: str = ""  # the text of the last user turn
    texts: list[str] = field(default_factory=list)  # every text the model sees (for prompt tokens)
    images: int = 0
    audio: int = 0
    tool_results: bool = False  # the last turn carries tool results
    tools: tuple[str, ...] = ()  # declared tool names
    tool_choice: str = "auto"  # "auto", "none", "required" or the name of one tool
    parallel: bool = True
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    json_mode: bool = False
    thinking: bool = False

    @property
    def tokens(self) -> int:
        return sum(words(t) for t in self.texts)


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]

    @property
    def json(self) -> str:
        return json.dumps(self.arguments)

    def fresh_arguments(self) -> dict[str, Any]:
        """A copy of the arguments for one reply: a fault that edits a reply must not edit the model's answer."""
        return copy.deepcopy(self.arguments)


@dataclass
class Answer:
    text: str
    finish: str  # "stop", "length" or "tool_calls"
    prompt_tokens: int
    stop_sequence: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    thought: str = ""

    @property
    def pieces(self) -> list[str]:
        """The text as streamed: one piece per word, each but the first with its leading space."""
        parts = self.text.split(" ")
        return [p if i == 0 else " " + p for i, p in enumerate(parts)] if self.text else []

    @property
    def completion_tokens(self) -> int:
        return words(self.text) + sum(words(c.json) for c in self.tool_calls)

    @property
    def thought_tokens(self) -> int:
        return words(self.thought)


def _text_for(prompt: Prompt) -> str:
    q = prompt.question
    if prompt.tool_results:
        return "It is sunny in Paris and 21:00 in Tokyo."
    if prompts.SECRET_QUESTION in q:
        return prompts.SECRET_WORD if prompts.SECRET_SYSTEM in prompt.system else "I don't know"
    if prompts.CODE_WORD_QUESTION in q:
        return " ".join(CODE_WORD.findall(prompt.system)) or "I don't know"
    if prompts.COUNT in q:
        return COUNT_TEXT
    if prompts.TOOLS in q:
        return "I cannot look that up without tools."
    if prompts.THINK in q:
        return "391"
    if prompts.JSON_EVENT in q:
        return json.dumps(EVENT) if prompt.json_mode else "John and Susan: AI conference on Friday."
    if prompts.IMAGE in q:
        return "Red" if prompt.images else "I see no image."
    if prompts.AUDIO in q:
        return "A short beep." if prompt.audio else "I hear no audio."
    return "OK"


def _tool_calls(prompt: Prompt) -> list[ToolCall]:
    if prompts.TOOLS not in prompt.question or prompt.tool_results or prompt.tool_choice == "none":
        return []
    names = [n for n in TOOL_ARGUMENTS if n in prompt.tools]
    if prompt.tool_choice not in ("auto", "required"):
        names = [n for n in names if n == prompt.tool_choice]
    if not prompt.parallel:
        names = names[:1]
    return [ToolCall(f"call_{i}", name, TOOL_ARGUMENTS[name]) for i, name in enumerate(names, 1)]


def respond(prompt: Prompt) -> Answer:
    """The deterministic answer: tool calls, or text cut by a stop sequence and by max_tokens."""
    thought = ""
    if prompt.thinking:
        thought = THOUGHT if prompts.THINK in prompt.question else f"The user asks: {prompt.question}"
    calls = _tool_calls(prompt)
    if calls:
        return Answer("", "tool_calls", prompt.tokens, tool_calls=calls, thought=thought)
    text, finish, hit = _text_for(prompt), "stop", None
    cuts = [(text.find(s), s) for s in prompt.stop if s.strip() and s in text]
    if cuts:
        index, hit = min(cuts)
        text = text[:index]
    limit = prompt.max_tokens
    if limit is not None and words(text) > limit:
        text, finish, hit = " ".join(text.split()[:limit]), "length", None
    return Answer(text, finish, prompt.tokens, stop_sequence=hit, thought=thought)


def embedding(text: str, dimensions: int = 16) -> list[float]:
    """A deterministic unit-free vector from the text's hash."""
    digest = b""
    while len(digest) < dimensions * 4:
        digest += hashlib.sha256(digest + text.encode()).digest()
    ints = struct.unpack(f"<{dimensions}I", digest[: dimensions * 4])
    return [round(i / 2**31 - 1, 6) for i in ints]
