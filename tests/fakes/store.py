"""The objects one fake server created (files, batches, skills), by id; in memory only."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


class Missing(LookupError):
    """No object with that id: the fakes answer 404."""


@dataclass
class Store:
    """The objects one fake server created, by id, with the bytes of uploaded files."""

    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, key: str, value: dict[str, Any], content: bytes | None = None) -> dict[str, Any]:
        with self.lock:
            self.objects[key] = value
            if content is not None:
                self.contents[key] = content
        return value

    def get(self, key: str, what: str) -> dict[str, Any]:
        with self.lock:
            found = self.objects.get(key)
        if found is None:
            raise Missing(f"No such {what}: {key}")
        return found

    def pop(self, key: str, what: str) -> dict[str, Any]:
        with self.lock:
            found = self.objects.pop(key, None)
            self.contents.pop(key, None)
        if found is None:
            raise Missing(f"No such {what}: {key}")
        return found

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [v for v in self.objects.values() if v.get("type") == kind or v.get("object") == kind]
