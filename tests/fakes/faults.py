"""What a fake does (:class:`Config`), the checks every flavor shares, and the faults that break one claim each.

A flavor is a :class:`Config` (its knobs, read from its spec) plus an app that reads those knobs. A
:class:`Fault` either turns a knob before the server starts or edits each reply on its way out, so breaking a
claim flips one documented behaviour and nothing else. Knob flips are symmetric: the same fault turns a
supported effect off and an ignored one on, a rejected out-of-range value into a capped one and back.
"""

from __future__ import annotations

import copy
import fnmatch
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .server import Reply, Request
from .store import Store

BAD_KEY = "invalid-key-for-conformance"
UNKNOWN_MODEL = "no-such-model-conformance"
CREDENTIALS = {"authorization": ("authorization",), "x-api-key": ("x-api-key", "authorization")}
"""A required auth header is also satisfied by these (the anthropic SDK sends its key as Authorization: Bearer)."""
AUTH_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key"})
GENERATED = frozenset({"chat", "message", "generate"})  # reply kinds that carry a model's answer
TOGGLED_EFFECTS = frozenset(
    {
        "max_tokens", "max_completion_tokens", "stop", "logprobs", "top_logprobs", "parallel_tool_calls",
        "stream", "stream_options", "system", "thinking", "include_thoughts",
    }
)  # fmt: skip
"""Request fields whose effect a flavor's app reads from ``Config.effects`` (so ``field_fault()`` flips it)."""


MALFORMED = (TypeError, AttributeError, ValueError, KeyError)
"""What a wrong JSON type where the docs want another raises inside an app; the apps answer it with a 400."""


class Problem(Exception):
    """A request the provider refuses; each flavor renders it in its own error shape."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code

    @classmethod
    def malformed(cls, exc: Exception) -> Problem:
        return cls(400, f"Invalid request body ({type(exc).__name__}: {exc}).", code="invalid_request_body")


# The Gemini models both Gemini fakes (native and OpenAI-compatible) know.
GEMINI_MODELS = (
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-2.0-flash",
    "gemini-3-pro-preview",
    "gemini-embedding-001",
)


@dataclass
class Limit:
    """A numeric range; outside it a value is clamped (``cap``) or refused with 400."""

    low: float
    high: float
    cap: bool


@dataclass(frozen=True)
class Rule:
    """A request body path (``[]`` fans out) whose presence is refused, optionally one value, for some models."""

    path: str
    value: Any = None
    models: str = "*"


@dataclass
class Config:
    """Everything a flavor's app reads. Faults change a copy of it per server."""

    flavor: str
    models: tuple[str, ...]  # listed by the models endpoint; the first is the default
    routes: set[str]  # endpoint names served
    effects: set[str]  # request features that change the answer
    checks: set[str]  # validations performed: key, model, model-prefix, min-tokens, unknown-fields, exclusive, size
    required: set[str] = field(default_factory=set)  # body paths a chat/generation request must carry
    required_headers: set[str] = field(default_factory=set)
    refused: set[Rule] = field(default_factory=set)
    refused_headers: set[str] = field(default_factory=set)
    limits: dict[str, Limit] = field(default_factory=dict)
    enums: dict[str, frozenset[str]] = field(default_factory=dict)  # the only values a body field may take
    headers: dict[str, str] = field(default_factory=dict)  # on every reply; "{id}" becomes a fresh id
    model_prefixes: tuple[str, ...] = ()
    known_fields: frozenset[str] = frozenset()  # chat request fields, for the unknown-fields check
    drop_parts: frozenset[str] = frozenset()  # content part types removed before the model sees them
    max_body: int | None = None
    max_bodies: dict[str, int] = field(default_factory=dict)  # path -> its own body limit (instead of max_body)
    store: Store = field(default_factory=Store)  # files, batches and skills the job endpoints created
    extras: bool = False  # OpenAI's own response extras (refusal, logprobs, service_tier, usage details ...)
    thinking_out: bool = False  # thinking text comes back (OpenAI shape: message.reasoning_content)
    thinking_models: tuple[str, ...] = ()  # model globs that think unless told not to (usage reports reasoning)
    can_disable: tuple[str, ...] = ()  # model globs whose thinking reasoning_effort "none" turns off
    signature_models: tuple[str, ...] = ()  # model globs that sign their tool calls and want the signature back


# --- paths -----------------------------------------------------------------------------------------------------


def _step(nodes: list[Any], part: str) -> list[Any]:
    key, fan = part.removesuffix("[]"), part.endswith("[]")
    out: list[Any] = []
    for node in nodes:
        value = node.get(key) if isinstance(node, dict) else None
        if fan and isinstance(value, list):
            out.extend(value)
        elif value is not None and not fan:
            out.append(value)
    return out


def find(data: Any, path: str) -> list[Any]:
    """Every non-null value at a dotted path; ``[]`` fans out over arrays."""
    nodes = [data]
    for part in path.split("."):
        nodes = _step(nodes, part)
    return nodes


def parents(data: Any, path: str) -> list[tuple[dict[str, Any], str]]:
    """The objects that hold (or would hold) the last key of ``path``, with that key."""
    parts = path.split(".")
    nodes = [data]
    for part in parts[:-1]:
        nodes = _step(nodes, part)
    return [(node, parts[-1]) for node in nodes if isinstance(node, dict)]


def missing(data: Any, path: str) -> bool:
    """True when ``path`` is absent; below an array, when any element lacks the rest of the path."""
    head, sep, rest = path.partition("[].")
    if not sep:
        return not find(data, path)
    items = data.get(head) if isinstance(data, dict) else None
    return isinstance(items, list) and any(missing(item, rest) for item in items)


# --- checks every flavor shares ---------------------------------------------------------------------------------


def api_key(req: Request) -> str | None:
    auth = req.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return req.headers.get("x-api-key") or req.headers.get("x-goog-api-key") or req.query.get("key")


def gate(cfg: Config, req: Request) -> None:
    """Body size, required and refused headers, the wrong key: before any routing."""
    max_body = cfg.max_bodies.get(req.path, cfg.max_body)
    if "size" in cfg.checks and max_body is not None and req.size > max_body:
        raise Problem(413, f"Request exceeds the maximum allowed number of bytes ({max_body})")
    for name in sorted(cfg.required_headers):
        if name == "content-type" and req.method != "POST":
            continue
        sent = any(req.headers.get(h) for h in CREDENTIALS.get(name, (name,)))
        if not sent and not (name == "x-goog-api-key" and req.query.get("key")):
            raise Problem(401 if name in AUTH_HEADERS else 400, f"{name}: header is required")
    for name in sorted(cfg.refused_headers):
        if name in req.headers:
            raise Problem(401 if name in AUTH_HEADERS else 400, f"the {name} header is not accepted here")
    if "key" in cfg.checks and api_key(req) == BAD_KEY:
        raise Problem(401, "Incorrect API key provided.", code="invalid_api_key")


def check_model(cfg: Config, model: str) -> None:
    bare = model.removeprefix("models/")
    if "model" in cfg.checks and bare == UNKNOWN_MODEL:
        raise Problem(
            404, f"The model `{model}` does not exist or you do not have access to it.", "model", "model_not_found"
        )
    if "model-prefix" in cfg.checks and cfg.model_prefixes and not model.startswith(cfg.model_prefixes):
        raise Problem(404, f"The model `{model}` is not served here.", "model", "model_not_found")


def check_body(cfg: Config, body: dict[str, Any], model: str, required: Iterable[str] = ()) -> None:
    """Required paths, refused paths, enums, max tokens >= 1, limits (capped values are clamped)."""
    for path in sorted(required):
        if missing(body, path):
            raise Problem(400, f"Missing required parameter: '{path}'.", path, "missing_required_parameter")
    for rule in sorted(cfg.refused, key=lambda r: r.path):
        values = find(body, rule.path)
        if values and (rule.value is None or rule.value in values) and fnmatch.fnmatch(model, rule.models):
            raise Problem(400, f"'{rule.path}' is not supported.", rule.path, "unsupported_parameter")
    for name, allowed in sorted(cfg.enums.items()):
        if name in body and body[name] not in allowed:
            raise Problem(400, f"Invalid value for '{name}': {body[name]!r}.", name, "invalid_value")
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if "min-tokens" in cfg.checks and isinstance(value, int) and value < 1:
            raise Problem(
                400, f"Invalid '{name}': integer below minimum value 1, got {value}.", name, "integer_below_min_value"
            )
    for name, limit in sorted(cfg.limits.items()):
        if name in body and body[name] is not None:
            body[name] = _within(name, body[name], limit)


def _within(name: str, value: Any, limit: Limit) -> Any:
    size = len(value) if isinstance(value, list) else 1 if isinstance(value, str) else value
    if not isinstance(size, (int, float)) or limit.low <= size <= limit.high:
        return value
    if not limit.cap:
        raise Problem(
            400,
            f"Invalid '{name}': expected a value between {limit.low} and {limit.high}, got {value!r}.",
            name,
            "invalid_value",
        )
    if isinstance(value, list):
        return value[: int(limit.high)]
    return type(value)(min(max(value, limit.low), limit.high))


# --- faults -----------------------------------------------------------------------------------------------------

ConfigHook = Callable[[Config], None]
ReplyHook = Callable[[Reply], None]


@dataclass(frozen=True)
class Fault:
    """Breaks one claim: turns a knob of the config, and/or edits every reply.

    A flavor's fault table is keyed by claim-id suffix, optionally with ``#variant`` when one claim has several
    breaks (``request.parallel_tool_calls#no-tool-calls``). ``expect`` is what the claim's check must say about
    the break: ``fail``, or ``could not tell`` where the break takes away the evidence the check needs."""

    config: ConfigHook | None = None
    reply: ReplyHook | None = None
    expect: str = "fail"


def expecting(outcome: str, fault: Fault) -> Fault:
    """The same fault, judged ``outcome`` (``could not tell``) instead of ``fail``."""
    return Fault(fault.config, fault.reply, outcome)


def both(*faults: Fault) -> Fault:
    """Several faults as one break (each config hook, then each reply edit)."""

    def config(cfg: Config) -> None:
        for fault in faults:
            if fault.config is not None:
                fault.config(cfg)

    def reply(answer: Reply) -> None:
        for fault in faults:
            if fault.reply is not None:
                fault.reply(answer)

    return Fault(config, reply)


def field_fault(path: str) -> Fault:
    """A request field: required -> optional; limited/capped -> the other way; known effect -> flipped; else refused."""

    def hook(cfg: Config) -> None:
        if path in cfg.required:
            cfg.required.discard(path)
        elif path in cfg.limits:
            cfg.limits[path].cap = not cfg.limits[path].cap
        elif path in TOGGLED_EFFECTS:
            cfg.effects ^= {path}
        else:
            cfg.refused.add(Rule(path))

    return Fault(config=hook)


def refuse(*paths: str, value: Any = None, models: str = "*") -> Fault:
    """Requests carrying any of ``paths`` (with ``value``, for ``models``) get a 400."""
    return Fault(config=lambda cfg: cfg.refused.update(Rule(p, value, models) for p in paths))


def effect(name: str) -> Fault:
    return Fault(config=lambda cfg: cfg.effects.symmetric_difference_update({name}))


def check(name: str) -> Fault:
    return Fault(config=lambda cfg: cfg.checks.symmetric_difference_update({name}))


def routes_off(*names: str) -> Fault:
    return Fault(config=lambda cfg: cfg.routes.difference_update(names))


def routes_on(*names: str) -> Fault:
    """Serve endpoints the docs say are not served."""
    return Fault(config=lambda cfg: cfg.routes.update(names))


def header_optional(name: str) -> Fault:
    return Fault(config=lambda cfg: cfg.required_headers.discard(name))


def header_refused(name: str) -> Fault:
    return Fault(config=lambda cfg: cfg.refused_headers.add(name))


def thinking_out() -> Fault:
    def hook(cfg: Config) -> None:
        cfg.thinking_out = not cfg.thinking_out

    return Fault(config=hook)


def header(name: str) -> Fault:
    """A response header: sent -> missing, missing -> sent (on every reply)."""

    def hook(reply: Reply) -> None:
        if reply.headers.pop(name, None) is None:
            reply.headers[name] = "0"

    return Fault(reply=hook)


_NO_FILL: Any = object()


def body(path: str, fill: Any = _NO_FILL, kinds: Iterable[str] = GENERATED) -> Fault:
    """A response field: present (even null) -> removed; absent -> filled with ``fill`` (if one is given)."""
    wanted = frozenset(kinds)

    def hook(reply: Reply) -> None:
        if reply.kind in wanted:
            for holder, key in parents(reply.body, path):
                if key in holder:
                    del holder[key]
                elif fill is not _NO_FILL:
                    holder[key] = copy.deepcopy(fill)

    return Fault(reply=hook)


def reply_edit(kinds: Iterable[str], edit: Callable[[Reply], None]) -> Fault:
    wanted = frozenset(kinds)

    def hook(reply: Reply) -> None:
        if reply.kind in wanted:
            # The reply may share dicts with the fake's model or another reply: a break edits its own copy only.
            reply.body = copy.deepcopy(reply.body)
            reply.events = copy.deepcopy(reply.events)
            reply.headers = dict(reply.headers)
            edit(reply)

    return Fault(reply=hook)


def error_shape() -> Fault:
    """Every error body loses its documented shape (a bare ``{"detail": message}``)."""

    def edit(reply: Reply) -> None:
        error = reply.body.get("error") if isinstance(reply.body, dict) else None
        message = error.get("message") if isinstance(error, dict) else str(reply.body)
        reply.body = {"detail": message}

    return reply_edit({"error"}, edit)


def chunks(edit: Callable[[dict[str, Any]], None]) -> Fault:
    """Edit every JSON chunk of a chat stream."""

    def apply(reply: Reply) -> None:
        for _, data in reply.events or []:
            if isinstance(data, dict):
                edit(data)

    return reply_edit({"chat-stream"}, apply)


def pick(table: Mapping[str, Fault], names: str) -> dict[str, Fault]:
    """The entries of ``table`` named in the whitespace-separated ``names`` (claim-id suffixes)."""
    return {name: table[name] for name in names.split()}


# --- flavors ----------------------------------------------------------------------------------------------------

App = Callable[[Config, Request], Reply]


@dataclass(frozen=True)
class Flavor:
    """One fake provider API: its config, its app, the faults of its breakable claims and the SDK's base path."""

    name: str
    config: Callable[[], Config]
    app: App
    faults: Mapping[str, Fault]  # claim-id suffix -> fault
    root: str  # appended to http://127.0.0.1:PORT to make the SDK's base URL


_ids = itertools.count(1)


def fresh_id() -> str:
    return f"{next(_ids):012x}"


def models_matching(cfg_globs: tuple[str, ...], model: str) -> bool:
    bare = model.removeprefix("models/")
    return any(fnmatch.fnmatchcase(bare, pattern) for pattern in cfg_globs)


def more_models(attribute: str, *patterns: str) -> Fault:
    """Widen a model-glob knob (``can_disable``, ...): a documented per-family behaviour reaches another family."""

    def hook(cfg: Config) -> None:
        setattr(cfg, attribute, (*getattr(cfg, attribute), *patterns))

    return Fault(config=hook)


def no_models(attribute: str) -> Fault:
    """Empty a model-glob knob (``thinking_models``, ``signature_models``): no model does it any more."""
    return Fault(config=lambda cfg: setattr(cfg, attribute, ()))
