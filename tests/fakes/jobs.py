"""What the fakes' job and storage endpoints share: multipart uploads, JSONL batch input, the objects they keep.

Objects a fake creates (files, batches, skills) live in its config's :class:`Store` (one per server), so a batch
can be read back by its id and an upload can be named as a batch's input. Nothing is written to disk.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

from .faults import Problem
from .server import Request
from .store import Missing, Store

__all__ = ["RED_DOT_B64", "Part", "Store", "batch_lines", "form_field", "jsonl", "multipart"]

RED_DOT_B64 = base64.b64encode((Path(__file__).resolve().parents[2] / "fixtures" / "red-dot.png").read_bytes()).decode()
"""The one image every fake image endpoint draws (the probes' own fixture)."""


@dataclass(frozen=True)
class Part:
    """One part of a ``multipart/form-data`` body: its field name, file name (for files) and bytes."""

    name: str
    filename: str | None
    content_type: str
    data: bytes

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")


def multipart(req: Request) -> list[Part]:
    """The parts of a multipart upload; 400 when the body is not one."""
    content_type = req.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data") or not req.raw:
        raise Problem(400, f"expected a multipart/form-data upload, got content-type {content_type!r}")
    message = BytesParser(policy=HTTP).parsebytes(b"content-type: " + content_type.encode() + b"\r\n\r\n" + req.raw)
    if not message.is_multipart():
        raise Problem(400, "the multipart body could not be parsed")
    parts = []
    for item in message.iter_parts():
        payload = item.get_payload(decode=True)
        name = item.get_param("name", header="content-disposition")
        parts.append(
            Part(
                str(name or ""),
                item.get_filename(),
                item.get_content_type(),
                payload if isinstance(payload, bytes) else b"",
            )
        )
    return parts


def form_field(parts: list[Part], name: str) -> str | None:
    return next((p.text for p in parts if p.name == name and p.filename is None), None)


def jsonl(data: bytes) -> list[dict[str, Any]]:
    """The lines of a batch input file; 400 on a line that is not a JSON object."""
    lines = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            raise Problem(400, f"line {number} of the input file is not JSON") from None
        if not isinstance(value, dict):
            raise Problem(400, f"line {number} of the input file is not a JSON object")
        lines.append(value)
    if not lines:
        raise Problem(400, "the input file has no requests")
    return lines


def batch_lines(data: bytes, endpoint: str) -> list[dict[str, Any]]:
    """OpenAI's batch input format: custom_id, method POST, url = the batch's endpoint, body."""
    lines = jsonl(data)
    for number, line in enumerate(lines, 1):
        if not isinstance(line.get("custom_id"), str) or line.get("method") != "POST":
            raise Problem(400, f"line {number}: custom_id and method POST are required")
        if line.get("url") != endpoint or not isinstance(line.get("body"), dict):
            raise Problem(400, f"line {number}: url must be the batch's endpoint {endpoint!r}, with a body")
    return lines


def stored(store: Store, key: str, what: str, *, remove: bool = False) -> dict[str, Any]:
    """The object ``key`` (removed with ``remove``); 404 when there is none."""
    try:
        return store.pop(key, what) if remove else store.get(key, what)
    except Missing as exc:
        raise Problem(404, str(exc)) from None
