"""The one place secrets are taken out of what the harness writes or prints: cassettes (placeholder
``REDACTED``), results records, logs and failure messages (placeholder ``***``).

A secret is a key the run knows (``Secret`` or plain string) or a header that carries one whatever its value.
A key shorter than :data:`MIN_SECRET_LENGTH` (``ANTHROPIC_API_KEY=x`` against a local server) is replaced only where
it is a whole value: replacing every ``x`` in a body would make the output unreadable and protects nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from conformance.exchange.secret import MASK, Secrets, revealed

REDACTED = "REDACTED"
"""The placeholder in cassettes (a VCR.py-readable file a user may commit)."""
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie", "set-cookie"})
"""Headers that carry credentials, whatever their value."""
CALLER_HEADERS = frozenset({"anthropic-organization-id", "openai-organization"})
"""Not secrets, but who the caller is: results, reports and cassettes are shared, so these are masked there too."""
SECRET_QUERY = frozenset({"key"})
"""Query parameters that carry a key (Gemini's ``?key=``)."""
MIN_SECRET_LENGTH = 8


def redact_text(text: str, secrets: Secrets, placeholder: str = MASK) -> str:
    """``text`` with every known key (of at least MIN_SECRET_LENGTH characters) replaced."""
    for secret in revealed(secrets):
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, placeholder)
    return text


def redact_value(value: str, secrets: Secrets, placeholder: str = MASK) -> str:
    """A value that is a key (of any length) becomes the placeholder; longer keys inside it are replaced."""
    plain = revealed(secrets)
    if any(secret and value == secret for secret in plain):
        return placeholder
    return redact_text(value, plain, placeholder)


def _holds_secret(value: str, plain: tuple[str, ...]) -> bool:
    return any(s and (s == value or (len(s) >= MIN_SECRET_LENGTH and s in value)) for s in plain)


def redact_headers(
    headers: Mapping[str, str], secrets: Secrets = (), placeholder: str = MASK, *, caller: bool = False
) -> dict[str, str]:
    """Headers safe to write: credential headers (and with ``caller``, the caller-identifying ones) and any value
    holding a known key are replaced whole."""
    plain = revealed(secrets)
    names = SECRET_HEADERS | CALLER_HEADERS if caller else SECRET_HEADERS
    return {k: placeholder if k.lower() in names or _holds_secret(v, plain) else v for k, v in headers.items()}


def redact_url(url: str, secrets: Secrets, placeholder: str = MASK) -> str:
    """A URL with key-carrying query parameters and known keys replaced."""
    parts = urlsplit(url)
    query = [(k, placeholder if k.lower() in SECRET_QUERY else v) for k, v in parse_qsl(parts.query, True)]
    return redact_value(urlunsplit(parts._replace(query=urlencode(query))), secrets, placeholder)
