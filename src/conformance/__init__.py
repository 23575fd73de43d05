"""A conformance harness for LLM APIs: documented claims in, evidence-backed results out."""

from __future__ import annotations

__version__ = "0.1.0"
