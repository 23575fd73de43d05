""" "Fully supported" means as the reference documents it: the OpenAI spec's constraints for a field, read from it.

A claim of an OpenAI-compatible layer with status ``supported`` on a response, usage or error field is held to the
constraints the reference (``specs/openai.yaml``) gives the same location and field: its JSON type, a constant or
an enum, a minimum, the keys an object must have, a sum. The reference's own claims (and specs that ``extends`` it)
are held to their own params. The constraint params are:

``const``            the one value (a reference ``constant`` claim's ``value`` counts as ``const``)
``enum``             the allowed values
``json_type``        ``string``, ``integer``, ``number``, ``boolean``, ``object``, ``array``
``minimum``          the smallest number
``required_keys``    keys every object at the field must have (their value may be null)
``sum_of``           sibling counts the field equals the sum of (``total_tokens`` = prompt + completion)
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from conformance.spec.model import Claim, Location, Status

REFERENCE = "openai"
KEYS = ("const", "enum", "json_type", "minimum", "required_keys", "sum_of")
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}
_HELD = frozenset({Location.RESPONSE, Location.USAGE, Location.ERROR, Location.STREAM})


def _own(claim: Claim) -> dict[str, Any]:
    found = {k: claim.params[k] for k in KEYS if k in claim.params}
    if claim.status is Status.CONSTANT and "value" in claim.params:
        found.setdefault("const", claim.params["value"])
    return found


@cache
def _reference_index() -> Mapping[tuple[Location, str], dict[str, Any]]:
    """(location, field) -> the reference's constraints, from the first reference claim there that has any."""
    from conformance.spec.loader import load_specs  # the loader imports nothing of the checks; loaded once

    index: dict[tuple[Location, str], dict[str, Any]] = {}
    for spec in load_specs(()).specs:
        if spec.provider.id != REFERENCE:
            continue
        for claim in spec.claims:
            own = _own(claim)
            if own:
                index.setdefault((claim.location, claim.field), own)
    return index


def constraints(claim: Claim, sdk: str) -> dict[str, Any]:
    """What the claim's field must be: the claim's own constraint params over the reference's (for ``supported``
    claims on response, usage, error and stream fields of an API spoken through the ``openai`` SDK)."""
    inherited: dict[str, Any] = {}
    if sdk == "openai" and claim.status is Status.SUPPORTED and claim.location in _HELD:
        inherited = dict(_reference_index().get((claim.location, claim.field), {}))
    return {**inherited, **_own(claim)}


def problems(value: Any, rules: Mapping[str, Any], holder: Any = None) -> list[str]:
    """What is wrong with ``value`` under ``rules`` (``holder`` is the object holding it, for ``sum_of``)."""
    out: list[str] = []
    if "const" in rules and value != rules["const"]:
        out.append(f"should be {rules['const']!r} (the reference's constant), got {value!r}")
    if "enum" in rules and value not in rules["enum"]:
        out.append(f"should be one of {list(rules['enum'])}, got {value!r}")
    kind = rules.get("json_type")
    if kind in _TYPES:
        wrong_bool = isinstance(value, bool) and kind in ("integer", "number")
        if not isinstance(value, _TYPES[kind]) or wrong_bool:
            out.append(f"should be a JSON {kind}, got {type(value).__name__} {str(value)[:60]!r}")
    minimum = rules.get("minimum")
    if isinstance(minimum, int | float) and isinstance(value, int | float) and value < minimum:
        out.append(f"should be at least {minimum}, got {value!r}")
    keys = rules.get("required_keys")
    if isinstance(keys, list) and isinstance(value, dict):
        lacking = [k for k in keys if k not in value]
        if lacking:
            out.append(f"should carry the keys {keys} (null allowed), lacks {lacking}")
    parts = rules.get("sum_of")
    if isinstance(parts, list) and isinstance(holder, dict) and isinstance(value, int):
        counts = [c for c in (holder.get(p) for p in parts) if isinstance(c, int)]
        if len(counts) == len(parts) and value != sum(counts):
            terms = " + ".join(f"{p} {c}" for p, c in zip(parts, counts, strict=True))
            out.append(f"should equal {terms}, got {value}")
    return out
