"""The OpenAI-format job endpoints: images/generations, files, batches; and Gemini's native upload for batch input.

OpenAI serves all three under /v1/. Gemini's compatibility layer serves images and batches under
/v1beta/openai/, takes batch input files only from the native Files API (the resumable upload at
/upload/v1beta/files) and does not serve file upload or download itself.
"""

from __future__ import annotations

import re
from typing import Any

from .faults import BAD_KEY, Config, Problem, check_body, fresh_id
from .jobs import RED_DOT_B64, batch_lines, form_field, multipart, stored
from .server import Reply, Request

CREATED = 1_700_000_000
IMAGE_MODELS = {"openai": ("gpt-image-", "dall-e-"), "gemini-openai": ("imagen-",)}
PURPOSES = frozenset({"assistants", "batch", "fine-tune", "vision", "user_data", "evals"})
BATCH_ENDPOINTS = frozenset(
    {"/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations"}
)
NATIVE_UPLOAD = "/upload/v1beta/files"


def route(root: str, req: Request) -> tuple[str, str] | None:
    """The job route of a request under ``root`` and its id argument, or None when it is not a job endpoint."""
    path = req.path.rstrip("/")
    fixed = {
        ("POST", root + "images/generations"): "images",
        ("POST", root + "files"): "files",
        ("POST", root + "batches"): "batches",
    }.get((req.method, path))
    if fixed:
        return fixed, ""
    for method, pattern, name in (
        ("DELETE", r"files/([^/]+)", "file-delete"),
        ("GET", r"batches/([^/]+)", "batch"),
    ):
        match = re.fullmatch(re.escape(root) + pattern, path)
        if req.method == method and match:
            return name, match.group(1)
    return None


def answer(cfg: Config, name: str, arg: str, req: Request) -> Reply:
    if name == "images":
        return _images(cfg, req)
    if name == "files":
        return _files(cfg, req)
    if name == "file-delete":
        stored(cfg.store, arg, "file", remove=True)
        return Reply(body={"id": arg, "object": "file", "deleted": True}, kind="file-deleted")
    if name == "batches":
        return _batches(cfg, req)
    return Reply(body=stored(cfg.store, arg, "batch"), kind="batch")


def _images(cfg: Config, req: Request) -> Reply:
    data = req.body
    if not isinstance(data, dict) or not isinstance(data.get("prompt"), str) or not data["prompt"]:
        raise Problem(400, "Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")
    model = str(data.get("model") or "")
    if not model.startswith(IMAGE_MODELS.get(cfg.flavor, ())):
        raise Problem(400, f"Invalid value for 'model': {model!r} is not an image model.", "model", "invalid_value")
    check_body(cfg, data, model)
    n = data.get("n", 1)
    if not isinstance(n, int) or not 1 <= n <= 4:
        raise Problem(400, f"Invalid 'n': {n!r}.", "n", "invalid_value")
    fmt = data.get("response_format", "b64_json")
    if fmt not in ("b64_json", "url"):
        raise Problem(400, f"Invalid value for 'response_format': {fmt!r}.", "response_format", "invalid_value")
    item = {"b64_json": RED_DOT_B64} if fmt == "b64_json" else {"url": "https://images.invalid/red-dot.png"}
    return Reply(body={"created": CREATED, "data": [dict(item) for _ in range(n)]}, kind="images")


def _files(cfg: Config, req: Request) -> Reply:
    parts = multipart(req)
    upload = next((p for p in parts if p.name == "file" and p.filename), None)
    purpose = form_field(parts, "purpose")
    if upload is None:
        raise Problem(400, "Missing required parameter: 'file'.", "file", "missing_required_parameter")
    if purpose not in PURPOSES:
        raise Problem(400, f"Invalid value for 'purpose': {purpose!r}.", "purpose", "invalid_value")
    file_id = f"file-fake{fresh_id()}"
    value = {
        "id": file_id,
        "object": "file",
        "bytes": len(upload.data),
        "created_at": CREATED,
        "filename": upload.filename,
        "purpose": purpose,
        "status": "processed",
        "expires_at": None,
        "status_details": None,
    }
    return Reply(body=cfg.store.put(file_id, value, upload.data), kind="file")


def _batches(cfg: Config, req: Request) -> Reply:
    data = req.body
    if not isinstance(data, dict):
        raise Problem(400, "We could not parse the JSON body of your request.")
    for name in ("input_file_id", "endpoint", "completion_window"):
        if not isinstance(data.get(name), str):
            raise Problem(400, f"Missing required parameter: '{name}'.", name, "missing_required_parameter")
    check_body(cfg, data, "")
    if data["endpoint"] not in BATCH_ENDPOINTS:
        raise Problem(400, f"Invalid value for 'endpoint': {data['endpoint']!r}.", "endpoint", "invalid_value")
    if data["completion_window"] != "24h":
        raise Problem(400, "Invalid value for 'completion_window': only '24h' is supported.", "completion_window")
    stored(cfg.store, data["input_file_id"], "file")
    lines = batch_lines(cfg.store.contents.get(data["input_file_id"], b""), data["endpoint"])
    batch_id = f"batch_fake{fresh_id()}"
    value: dict[str, Any] = {
        "id": batch_id,
        "object": "batch",
        "endpoint": data["endpoint"],
        "errors": None,
        "input_file_id": data["input_file_id"],
        "completion_window": data["completion_window"],
        "status": "validating",
        "output_file_id": None,
        "error_file_id": None,
        "created_at": CREATED,
        "in_progress_at": None,
        "expires_at": CREATED + 86_400,
        "completed_at": None,
        "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
        "metadata": data.get("metadata"),
    }
    return Reply(body=cfg.store.put(batch_id, value), kind="batch")


def native_upload(cfg: Config, req: Request) -> Reply:
    """Gemini's resumable upload: ``start`` hands out an upload URL, ``upload, finalize`` sends the bytes."""
    command = req.headers.get("x-goog-upload-command", "")
    if req.method != "POST" or req.headers.get("x-goog-upload-protocol") != "resumable":
        raise Problem(400, "uploads use the resumable protocol (x-goog-upload-protocol: resumable)")
    if command == "start":
        key = req.headers.get("x-goog-api-key") or req.query.get("key")
        if not key or key == BAD_KEY:
            raise Problem(401 if key else 403, "API key not valid. Please pass a valid API key.")
        upload_id = fresh_id()
        meta = req.body.get("file", {}) if isinstance(req.body, dict) else {}
        cfg.store.put(f"upload:{upload_id}", {"type": "upload", "file": meta})
        url = f"http://{req.headers.get('host', '127.0.0.1')}{NATIVE_UPLOAD}?upload_id={upload_id}"
        return Reply(headers={"x-goog-upload-url": url, "x-goog-upload-status": "active"}, kind="upload")
    if "finalize" not in command:
        raise Problem(400, f"unsupported x-goog-upload-command {command!r}")
    pending = stored(cfg.store, f"upload:{req.query.get('upload_id', '')}", "upload session", remove=True)
    name = f"files/fake{fresh_id()}"
    value = {
        "name": name,
        "displayName": pending["file"].get("display_name", ""),
        "mimeType": req.headers.get("x-goog-upload-header-content-type") or pending["file"].get("mime_type", ""),
        "sizeBytes": str(len(req.raw)),
        "createTime": "2025-10-01T00:00:00Z",
        "state": "ACTIVE",
        "uri": f"http://{req.headers.get('host', '127.0.0.1')}/v1beta/{name}",
        "source": "UPLOADED",
    }
    cfg.store.put(name, value, req.raw)
    return Reply(body={"file": value}, headers={"x-goog-upload-status": "final"}, kind="upload")
