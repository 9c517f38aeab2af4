"""The fake's explicit context caches (`cachedContents`), as the v1beta API serves them.

A cache holds a model, a system instruction and contents for a TTL; a generate request that
names it is billed as if its contents came first, with their tokens reported as
`cachedContentTokenCount`. Too small a cache, a cache for a model that cannot cache, and a
request that names a cache and also sends a system instruction are 400s, as on the service.
Expired and deleted caches answer 404.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.fakes.catalog import lookup, parts_problem
from tests.fakes.files import FileService
from tests.fakes.wire import texts as _texts
from tests.fakes.wire import tokens as _tokens

NOT_FOUND = "CachedContent not found (or permission denied)"
WITH_SYSTEM = ("CachedContent can not be used with GenerateContent request setting "
               "system_instruction, tools or tool_config.\n\nProposed fix: move those values "
               "to CachedContent from GenerateContent request.")


def _seconds(ttl: str) -> float:
    match = re.fullmatch(r"\s*([\d.]+)s\s*", str(ttl or ""))
    return float(match.group(1)) if match else 3600.0


def _concrete(model: str) -> str:
    served = lookup(model)
    return served[1] if served else model


def _stamp(monotonic: float) -> str:
    wall = time.time() + (monotonic - time.monotonic())
    return _dt.datetime.fromtimestamp(wall, _dt.timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Cache:
    name: str
    model: str
    system: str
    contents: list[dict]
    tokens: int
    created: float
    expires: float
    display_name: str = ""

    @property
    def document(self) -> str:
        """The first text of the cached contents (where the course puts its document)."""
        texts = _texts(self.contents[0]) if self.contents else []
        return texts[0] if texts else ""

    def resource(self) -> dict[str, Any]:
        return {
            "name": self.name, "model": f"models/{self.model}", "displayName": self.display_name,
            "createTime": _stamp(self.created), "updateTime": _stamp(time.monotonic()),
            "expireTime": _stamp(self.expires), "usageMetadata": {"totalTokenCount": self.tokens},
        }


class CacheService:
    """Live caches by name. Thread-safe. `created` and `deleted` count the life cycle."""

    def __init__(self, files: FileService | None = None) -> None:
        self.files = files
        self._caches: dict[str, Cache] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.created = 0
        self.deleted = 0

    def live(self) -> list[Cache]:
        """Caches not yet deleted or expired."""
        now = time.monotonic()
        with self._lock:
            return [c for c in self._caches.values() if c.expires > now]

    def expire_all(self) -> None:
        """Let every live cache run out now, as a TTL would."""
        with self._lock:
            for cache in self._caches.values():
                cache.expires = 0.0

    def get(self, name: str) -> Cache | None:
        with self._lock:
            cache = self._caches.get(name)
        return cache if cache is not None and cache.expires > time.monotonic() else None

    def create(self, body: dict[str, Any]) -> tuple[int, Any]:
        """(status, resource or error message) for POST cachedContents."""
        model = str(body.get("model", "")).removeprefix("models/")
        served = lookup(model)
        if served is None:
            return 404, f"models/{model} is not found for API version v1beta"
        spec = served[0]
        if "createCachedContent" not in spec.methods:
            return 400, f"models/{model} is not supported for createCachedContent."
        system = "".join(_texts(body.get("systemInstruction")))
        contents = body.get("contents") or []
        parts = [p for c in contents for p in c.get("parts") or []]
        problem = parts_problem(spec, body)
        if problem is not None:
            return 400, problem
        refused = self.files.check_parts(parts) if self.files else None
        if refused is not None:
            return refused[0], refused[1]
        media = sum(n for *_, n in self.files.describe(parts)) if self.files else 0
        tokens = _tokens(system + "".join(t for c in contents for t in _texts(c))) + media
        if tokens < spec.cache_min:
            return 400, (f"Cached content is too small. total_token_count={tokens}, "
                         f"min_total_token_count={spec.cache_min}")
        now = time.monotonic()
        with self._lock:
            name = f"cachedContents/fake{next(self._ids):04d}"
            cache = Cache(name, model, system, contents, tokens, now,
                          now + _seconds(body.get("ttl")), body.get("displayName", ""))
            self._caches[name] = cache
            self.created += 1
        return 200, cache.resource()

    def update(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        cache = self.get(name)
        if cache is None:
            return 404, NOT_FOUND
        with self._lock:
            cache.expires = time.monotonic() + _seconds(body.get("ttl"))
        return 200, cache.resource()

    def delete(self, name: str) -> tuple[int, Any]:
        with self._lock:
            cache = self._caches.pop(name, None)
            if cache is not None:
                self.deleted += 1
        if cache is None or cache.expires <= time.monotonic():
            return 404, NOT_FOUND
        return 200, {}

    def for_request(self, model: str, body: dict[str, Any]) -> tuple[Cache | None, str | None]:
        """The cache a generate request names (None if it names none), or why it is refused."""
        name = body.get("cachedContent")
        if not name:
            return None, None
        cache = self.get(name)
        if cache is None:
            return None, NOT_FOUND
        if body.get("systemInstruction"):
            return None, WITH_SYSTEM
        if _concrete(cache.model) != _concrete(model):
            return None, (f"Model used by GenerateContent request (models/{model}) and "
                          f"CachedContent (models/{cache.model}) has to be the same.")
        return cache, None
