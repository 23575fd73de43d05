"""The native API's job and storage endpoints: message batches, the Files API (beta), skills (beta).

Files and skills answer only requests that carry their ``anthropic-beta`` header, as the docs require; bodies
over each endpoint's documented size limit are refused by the shared gate (``Config.max_bodies``).
"""

from __future__ import annotations

import re
from typing import Any

from .faults import Config, Problem, fresh_id
from .jobs import form_field, multipart, stored
from .server import Reply, Request

CREATED = "2025-10-01T00:00:00Z"
EXPIRES = "2025-10-02T00:00:00Z"
FILES_BETA = "files-api-2025-04-14"
SKILLS_BETA = "skills-2025-10-02"
REQUEST_COUNTS = ("processing", "succeeded", "errored", "canceled", "expired")
SIZE_LIMITS = {"/v1/messages/batches": 256 * 1024 * 1024, "/v1/files": 500 * 1024 * 1024}
"""The documented body limits of these endpoints (MB read as MiB, as specs/anthropic.yaml does)."""

ROUTES = (
    ("POST", r"/v1/messages/batches", "batches"),
    ("GET", r"/v1/messages/batches/([^/]+)", "batch"),
    ("POST", r"/v1/messages/batches/([^/]+)/cancel", "batch-cancel"),
    ("POST", r"/v1/files", "files"),
    ("GET", r"/v1/files", "files-list"),
    ("DELETE", r"/v1/files/([^/]+)", "file-delete"),
    ("POST", r"/v1/skills", "skills"),
    ("GET", r"/v1/skills", "skills-list"),
    ("DELETE", r"/v1/skills/([^/]+)/versions/([^/]+)", "skill-version-delete"),
    ("DELETE", r"/v1/skills/([^/]+)", "skill-delete"),
)


def route(req: Request) -> tuple[str, tuple[str, ...]] | None:
    for method, pattern, name in ROUTES:
        match = re.fullmatch(pattern, req.path.rstrip("/"))
        if req.method == method and match:
            return name, match.groups()
    return None


def _beta(req: Request, wanted: str) -> None:
    sent = [b.strip() for b in req.headers.get("anthropic-beta", "").split(",")]
    if wanted not in sent:
        raise Problem(400, f"This endpoint is in beta: send the header anthropic-beta: {wanted}")


def answer(cfg: Config, name: str, args: tuple[str, ...], req: Request, validate: Any) -> Reply:
    """``validate(params)`` checks one batch request's params as POST /v1/messages would."""
    if name.startswith("file"):
        _beta(req, FILES_BETA)
    if name.startswith("skill"):
        _beta(req, SKILLS_BETA)
    if name == "batches":
        return _batches(cfg, req, validate)
    if name == "batch":
        return Reply(body=stored(cfg.store, args[0], "message batch"), kind="batch")
    if name == "batch-cancel":
        batch = stored(cfg.store, args[0], "message batch")
        batch.update(processing_status="canceling", cancel_initiated_at=CREATED)
        return Reply(body=batch, kind="batch")
    if name == "files":
        return _upload(cfg, req)
    if name == "files-list":
        return _listing(cfg.store.of_type("file"), req, cursor=False)
    if name == "file-delete":
        stored(cfg.store, args[0], "file", remove=True)
        return Reply(body={"id": args[0], "type": "file_deleted"}, kind="deleted")
    if name == "skills":
        return _skill(cfg, req)
    if name == "skills-list":
        return _listing(cfg.store.of_type("skill"), req, cursor=True)
    if name == "skill-version-delete":
        skill = stored(cfg.store, args[0], "skill")
        if skill.get("latest_version_id") != args[1]:
            raise Problem(404, f"No such version {args[1]} of skill {args[0]}")
        skill["latest_version_id"] = None
        return Reply(body={"id": args[1], "type": "skill_version_deleted"}, kind="deleted")
    skill = stored(cfg.store, args[0], "skill")
    if skill.get("latest_version_id"):
        raise Problem(400, "Delete every version of the skill before the skill itself.")
    stored(cfg.store, args[0], "skill", remove=True)
    return Reply(body={"id": args[0], "type": "skill_deleted"}, kind="deleted")


def _batches(cfg: Config, req: Request, validate: Any) -> Reply:
    data = req.body
    requests = data.get("requests") if isinstance(data, dict) else None
    if not isinstance(requests, list) or not requests:
        raise Problem(400, "requests: Field required (a list of at least one request)")
    for index, item in enumerate(requests):
        if not isinstance(item, dict) or not isinstance(item.get("custom_id"), str):
            raise Problem(400, f"requests.{index}.custom_id: Field required")
        validate(item.get("params"))
    batch_id = f"msgbatch_fake{fresh_id()}"
    value: dict[str, Any] = {
        "id": batch_id,
        "type": "message_batch",
        "processing_status": "in_progress",
        "request_counts": {k: len(requests) if k == "processing" else 0 for k in REQUEST_COUNTS},
        "ended_at": None,
        "created_at": CREATED,
        "expires_at": EXPIRES,
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": None,
    }
    return Reply(body=cfg.store.put(batch_id, value), kind="batch")


def _upload(cfg: Config, req: Request) -> Reply:
    parts = multipart(req)
    upload = next((p for p in parts if p.name == "file" and p.filename), None)
    if upload is None:
        raise Problem(400, "file: Field required")
    file_id = f"file_fake{fresh_id()}"
    value = {
        "id": file_id,
        "type": "file",
        "filename": upload.filename,
        "mime_type": upload.content_type,
        "size_bytes": len(upload.data),
        "created_at": CREATED,
        "downloadable": False,
    }
    return Reply(body=cfg.store.put(file_id, value, upload.data), kind="file")


def _skill(cfg: Config, req: Request) -> Reply:
    parts = multipart(req)
    files = [p for p in parts if p.name in ("files[]", "files") and p.filename]
    skill_md = next((p for p in files if p.filename and p.filename.endswith("/SKILL.md")), None)
    if skill_md is None:
        raise Problem(400, "files: a SKILL.md at the top of one folder is required")
    name = re.search(r"^name:\s*(\S+)", skill_md.text, re.MULTILINE)
    if not skill_md.text.startswith("---") or name is None:
        raise Problem(400, "SKILL.md must start with YAML frontmatter that names the skill")
    skill_id = f"skill_fake{fresh_id()}"
    value = {
        "id": skill_id,
        "type": "skill",
        "display_name": form_field(parts, "display_name") or name.group(1),
        "source": "custom",
        "latest_version_id": f"1759{fresh_id()}",
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    return Reply(body=cfg.store.put(skill_id, value), kind="skill")


def _listing(rows: list[dict[str, Any]], req: Request, *, cursor: bool) -> Reply:
    limit = int(req.query.get("limit", "20"))
    page = rows[:limit]
    more = len(rows) > limit
    if cursor:
        return Reply(body={"data": page, "has_more": more, "next_page": None}, kind="list")
    first, last = (page[0]["id"], page[-1]["id"]) if page else (None, None)
    return Reply(body={"data": page, "has_more": more, "first_id": first, "last_id": last}, kind="list")
