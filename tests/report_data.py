"""Results data shared by the report's tests: hostile text and an imported-evidence block (made up, not traffic)."""

from __future__ import annotations

from typing import Any

HOSTILE = '<script>window.__pwned = 1</script>"><img src=x onerror="window.__pwned=1">'
"""Markup a recorded response could carry; the page must show it as text and run none of it."""


def imported_evidence(license: str = "MIT") -> dict[str, Any]:
    """The evidence block of an imported recording, as the audit writes it."""
    return {
        "kind": "imported",
        "host": "api.openai.com",
        "official": True,
        "file": "abc.yaml",
        "interaction": 0,
        "format": "vcrpy",
        "source": "someone/project/cassettes/abc.yaml@1234567890abcdef",
        "repository": "someone/project",
        "path": "cassettes/abc.yaml",
        "commit": "1234567890abcdef",
        "license": license,
    }
