"""Graded absence: what a response header missing from someone else's recording says.

A recorder that kept a response's headers shows what the server sent, so a documented header absent from it is
evidence that the server did not send it. It is no evidence when the recorder kept no headers, kept a filtered
subset, or drops that header by name. Three readings decide, from the recording itself and what we know of its
source:

* the source's recorder configuration, when we have read it (:data:`KNOWN_RECORDERS`: the repositories whose
  recorder drops response headers by name or prefix, with the file that says so);
* the ``Date`` header: every HTTP origin server with a clock sends it (RFC 9110, section 6.6.1), so a recording
  without it had its headers filtered, and whatever else is missing may have been filtered too;
* the number of headers kept: fewer than :data:`MIN_KEPT` is a filtered subset.

When the absence is evidence, :func:`absence_message` says how many headers the recording kept (and names them),
and :func:`near_names` points at a header of a near name standing where the documented one should be: an ``x-``
prefix added or dropped, or a rate-limit header with one word more or less (``x-ratelimit-limit-requests`` against
``anthropic-ratelimit-requests-limit`` or ``ratelimit-limit``) -- the quiet renames users need to hear about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MIN_KEPT = 4
"""A response recorded with fewer headers than this was recorded by a recorder that filters headers."""

NAMED_KEPT = 30
"""How many of the kept headers a message names before it says "and N more"."""


@dataclass(frozen=True, slots=True)
class RecorderConfig:
    """What one source repository's recorder does to response headers before it writes them."""

    where: str  # the file of the source repository that configures it
    drops: frozenset[str] = frozenset()
    drops_prefixes: tuple[str, ...] = ()

    def drops_header(self, name: str) -> bool:
        name = name.lower()
        return name in self.drops or name.startswith(self.drops_prefixes)


KNOWN_RECORDERS: dict[str, RecorderConfig] = {
    "pydantic/pydantic-ai": RecorderConfig(
        where="tests/json_body_serializer.py (FILTERED_HEADERS, FILTERED_HEADER_PREFIXES)",
        drops=frozenset(
            {"authorization", "date", "request-id", "server", "user-agent", "via", "set-cookie", "api-key"}
        ),
        drops_prefixes=("anthropic-", "cf-", "x-"),
    ),
    "posit-dev/chatlas": RecorderConfig(
        where="tests/conftest.py (_filter_response_headers, before_record_response)",
        drops=frozenset(
            {
                "openai-organization",
                "openai-project",
                "anthropic-organization-id",
                "set-cookie",
                "cf-ray",
                "x-request-id",
                "request-id",
            }
        ),
    ),
}
"""Source repository -> its recorder's response-header filter, read from the file named in ``where``. A source
not listed here is judged by the recording alone (``Date`` kept, at least :data:`MIN_KEPT` headers); add a
source here when its recorder drops headers by name, after reading its configuration at the recorded commit."""


def unknown_reason(name: str, headers: Mapping[str, str], repository: str | None = None) -> str | None:
    """Why the absence of response header ``name`` from a recorded response (``headers``, lower-case names) is no
    evidence, or None when it is evidence (the recorder plainly kept the response's headers)."""
    recorder = KNOWN_RECORDERS.get(repository or "")
    if recorder is not None and recorder.drops_header(name):
        how = "by name" if name.lower() in recorder.drops else "by its prefix"
        return (
            f"the source's recorder drops {name} {how} ({repository}: {recorder.where}): "
            "absent, not evidence of absence"
        )
    if not headers:
        return f"the recording kept no response headers: {name} may have been dropped (absent, not evidence of absence)"
    kept = _named(headers)
    if "date" not in headers:
        return (
            f"the source's recorder may have dropped {name}: the recording kept {len(headers)} response header(s) "
            f"({kept}) but not Date, which every HTTP server sends, so its recorder filters headers "
            "(absent, not evidence of absence)"
        )
    if len(headers) < MIN_KEPT:
        return (
            f"the source's recorder may have dropped {name}: the recording kept only {len(headers)} response "
            f"header(s) ({kept}), a filtered subset (absent, not evidence of absence)"
        )
    return None


def absence_message(name: str, headers: Mapping[str, str]) -> str:
    """``name`` is absent from a recording that kept the response's headers: how many it kept, which, and any
    header of a near name."""
    message = f"{name} is absent from a recording that kept {len(headers)} response headers ({_named(headers)})"
    near = near_names(name, headers)
    if near:
        shown = "; ".join(f"{other}: {headers[other][:60]}" for other in near)
        message += f"; a header of a near name is there instead: {shown}"
    return message


def near_names(name: str, headers: Mapping[str, str]) -> list[str]:
    """Headers of ``headers`` whose name is near ``name`` without being it (see the module's docstring)."""
    return sorted(other for other in headers if other != name.lower() and _near(name.lower(), other))


def _words(name: str) -> list[str]:
    words = [w for w in name.split("-") if w]
    return words[1:] if words[:1] == ["x"] else words


def _is_rate_limit(words: list[str]) -> bool:
    return "ratelimit" in words or ("rate" in words and "limit" in words)


def _near(name: str, other: str) -> bool:
    mine, theirs = _words(name), _words(other)
    if mine == theirs:
        return True  # an x- prefix added or dropped
    if not (_is_rate_limit(mine) and _is_rate_limit(theirs)):
        return False
    small, big = sorted((set(mine), set(theirs)), key=len)
    return len(big) - len(small) == 1 and small < big and len(small) >= 2


def _named(headers: Mapping[str, str]) -> str:
    names = sorted(headers)
    if len(names) <= NAMED_KEPT:
        return ", ".join(names)
    return ", ".join(names[:NAMED_KEPT]) + f" and {len(names) - NAMED_KEPT} more"
