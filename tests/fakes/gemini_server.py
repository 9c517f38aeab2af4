"""A stand-in for the Gemini REST API, so tests drive the real google-genai SDK over real HTTP.

It speaks the wire format the SDK parses (camelCase JSON, SSE for streaming, Google's error
envelope with RetryInfo / QuotaFailure / ErrorInfo details) on 127.0.0.1 and a random port.
Answers are deterministic: the kind of each request (outline, chapter, summary) is read from the
instruction text `geminiteacher.backends.prompts` writes, and usage numbers are len/4 token
estimates.

Implicit prefix caching is simulated the way Gemini documents it: the prefix of a request is its
system instruction plus the first part of its first content; when an earlier *completed* request
to the same model shared a prefix of at least the model's `cache_min` tokens, those are reported
as `cachedContentTokenCount`. Requests still in flight do not seed the cache, as on the service.

Models, aliases, retired models and the request rules of today's API (thinking levels and
budgets, system instructions, API versions) live in `tests.fakes.catalog`.

Faults come from three places, in this order: scripted (`fail_next`, `empty_next`, `block_next`,
`hang_next`, `markdown_next`, `garbage_next`), the sliding-window `rate_limit`, then random
`faults` drawn from a seeded RNG. Hangs sleep in short slices and end at once on `stop()`.
Times in `Recorded.start` / `.end` are `time.monotonic()` seconds.

Batch jobs and the Files API (v1beta only) live in `tests.fakes.batches`; the items of a batch
are answered by the same generate logic, without latency, and are not recorded as requests.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.answers import course_text
from tests.fakes.batches import BatchService
from tests.fakes.caches import Cache, CacheService
from tests.fakes.catalog import ModelSpec, catalog, lookup, request_problem
from tests.fakes.files import FileService
from tests.fakes.http import Answer as _Answer
from tests.fakes.http import ScriptedService
from tests.fakes.wire import texts as _texts
from tests.fakes.wire import tokens

BAD_KEY = "bad-key"
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_ROUTE = re.compile(r"^/(v1|v1beta|v1alpha)/models(?:/([^/:]+))?(?::(\w+))?/?$")
_RESOURCE = re.compile(r"^/(v1|v1beta|v1alpha)/(cachedContents)(?:/([^/:]+))?/?$")
_BATCHES = re.compile(r"^/(?:upload/)?(v1|v1beta|v1alpha)/(batches|files)(?:/([^/:]+))?"
                      r"(?::(\w+))?/?$")


def _key_of(headers: dict[str, str], query: str) -> str:
    """The API key a request carried, in its header or its `key` query parameter."""
    lower = {k.lower(): v for k, v in headers.items()}
    return lower.get("x-goog-api-key") or (parse_qs(query).get("key") or [""])[0]


def _common_prefix_len(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:  # binary search keeps the comparisons in C for megabyte documents
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


@dataclass
class Recorded:
    """One request the fake received."""

    path: str
    method: str
    model: str
    kind: str
    body: Any
    start: float
    end: float = 0.0
    status: int = 0

    @property
    def system(self) -> str:
        """Text of the system instruction ("" when absent)."""
        return "".join(_texts((self.body or {}).get("systemInstruction")))

    @property
    def parts(self) -> list[str]:
        """Texts of the first content's parts, in order."""
        contents = (self.body or {}).get("contents") or [{}]
        return _texts(contents[0])

    @property
    def instruction(self) -> str:
        """The last text part of the last content: the call's own instruction."""
        contents = (self.body or {}).get("contents") or [{}]
        texts = _texts(contents[-1])
        return texts[-1] if texts else ""

    @property
    def generation_config(self) -> dict:
        return (self.body or {}).get("generationConfig") or {}


@dataclass
class _Fault:
    kind: str  # "error" | "empty" | "block" | "hang" | "markdown" | "garbage"
    status: int = 503
    retry_delay: float | None = None
    daily: bool = False
    message: str = "The service is currently unavailable (fake fault)."
    seconds: float = 0.0


def _error(status: int, message: str, details: list[dict] | None = None,
           name: str | None = None) -> _Answer:
    error = {"code": status, "message": message,
             "status": name or STATUS_NAMES.get(status, "UNKNOWN")}
    if details:
        error["details"] = details
    return _Answer(status, {"error": error})


def _not_found(version: str, model: str) -> _Answer:
    return _error(
        404,
        f"models/{model} is not found for API version {version}, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods.",
    )


def _thinking_off(rec: Recorded) -> bool:
    config = rec.generation_config.get("thinkingConfig") or {}
    return config.get("thinking_budget", config.get("thinkingBudget")) == 0


def _quota_error(retry_delay: float | None, daily: bool) -> _Answer:
    period = "PerDay" if daily else "PerMinute"
    details: list[dict] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": "generativelanguage.googleapis.com/"
                    "generate_content_free_tier_requests",
                    "quotaId": f"GenerateRequests{period}PerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": "gemini-3.8-flash"},
                    "quotaValue": "250" if daily else "10",
                }
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [{"description": "Learn more about Gemini API quotas",
                       "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}],
        },
    ]
    if retry_delay is not None:
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_delay:g}s"}
        )
    return _error(
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        details,
    )


_ATTACHED = re.compile(r"^- (?P<name>.+?) \((?P<what>PDF|picture|recording|video|YouTube video)"
                       r"(?:, (?P<pages>\d+) pages?|, (?P<time>[\d:]+))?\)$", re.M)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _media_citations(document: str) -> list[str]:
    """Sources for each attached file the document part lists: a range inside the material
    and one outside it (which the reader must drop)."""
    cited = []
    for match in _ATTACHED.finditer(document):
        name = match["name"]
        if match["pages"]:
            pages = int(match["pages"])
            cited += [f"{name}, pp. 1\u2013{min(2, pages)}", f"{name}, pp. {pages + 5}-{pages + 6}"]
        elif match["time"]:
            parts = [int(p) for p in match["time"].split(":")]
            total = sum(v * 60 ** i for i, v in enumerate(reversed(parts)))
            cited += [f"{name}, {_clock(total / 4)}\u2013{_clock(total / 2)}",
                      f"{name}, {_clock(total + 60)}-{_clock(total + 120)}"]
        elif match["what"] == "YouTube video":
            cited.append(f"{name}, 1:00\u20132:00")
        else:
            cited.append(name)
    return cited


class FakeGemini(ScriptedService):
    """The fake Gemini service. Start it, point GOOGLE_GEMINI_BASE_URL at `url`, observe."""

    def __init__(self, *, latency: float = 0.0, jitter: float = 0.0, seed: int = 0) -> None:
        super().__init__()
        self.latency = latency
        self.jitter = jitter
        self.faults: dict = {}
        self.outline_size: int | None = None
        self.hang_seconds = 30.0  # how long a random "hang" fault sleeps
        self.echo_key = False  # error messages quote the API key they were sent with
        self.serve_models = True  # False: a gateway without /models (list and get answer 404)
        self.files = FileService()
        self.caches = CacheService(self.files)
        self.batches = BatchService(self._batch_item, self.files)
        self.requests: list[Recorded] = []
        self.batch_items: list[Recorded] = []  # the requests inside batch jobs, answered
        self.max_in_flight = 0
        self._rng = random.Random(seed)
        self._prefixes: dict[str, list[str]] = {}
        self._in_flight = 0

    # -- knobs ------------------------------------------------------------------------------

    def fail_next(
        self, n: int, status: int = 503, *, retry_delay: float | None = None, daily: bool = False,
        message: str | None = None,
    ) -> None:
        """The next `n` generate calls answer HTTP `status` (429 may carry RetryInfo/PerDay)."""
        fault = _Fault("error", status=status, retry_delay=retry_delay, daily=daily)
        self._push(n, fault if message is None else replace(fault, message=message))

    def garbage_next(self, n: int) -> None:
        """The next `n` generate calls answer HTTP 200 with a body that is not JSON."""
        self._push(n, _Fault("garbage"))

    def empty_next(self, n: int) -> None:
        """The next `n` generate calls answer a candidate without text (finishReason STOP)."""
        self._push(n, _Fault("empty"))

    def block_next(self, n: int) -> None:
        """The next `n` generate calls answer promptFeedback.blockReason SAFETY, no candidates."""
        self._push(n, _Fault("block"))

    def hang_next(self, n: int, seconds: float = 30) -> None:
        """The next `n` generate calls sleep `seconds` before answering normally."""
        self._push(n, _Fault("hang", seconds=seconds))

    def markdown_next(self, n: int) -> None:
        """The next `n` generate calls ignore the JSON schema and answer Markdown text."""
        self._push(n, _Fault("markdown"))

    # -- observation ------------------------------------------------------------------------

    # -- serving ----------------------------------------------------------------------------

    def _respond(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> _Answer:
        url = urlsplit(path)
        resource = _RESOURCE.match(url.path)
        route = _ROUTE.match(url.path)
        batches = _BATCHES.match(url.path)
        version, model, action = route.groups() if route else ("", None, None)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        kind = "cache" if resource else batches.group(2) if batches \
            else self._classify(action, body)
        rec = Recorded(path, method, model or "", kind, body, time.monotonic())
        with self._lock:
            self.requests.append(rec)
        uploading = "upload_id" in parse_qs(url.query)  # the session URL is the credential
        refused = self._refuse(url.query, headers) \
            if (resource or route or batches) and not uploading else None
        if refused is not None:
            answer = refused
        elif batches:
            answer = self._batches(method, url, batches.groups(), headers, raw, body)
        elif resource:
            answer = self._resource(method, *resource.groups(), body or {})
        else:
            answer = self._route(method, version, model, action, rec)
        if self.echo_key and answer.status >= 400:
            answer.payload["error"]["message"] += f" (sent with key {_key_of(headers, url.query)})"
        rec.status = answer.status
        rec.end = time.monotonic()
        return answer

    @staticmethod
    def _classify(action: str | None, body: Any) -> str:
        if action == "countTokens":
            return "count"
        if action == "batchGenerateContent":
            return "batch"
        if action is None:
            return "list"
        if action not in ("generateContent", "streamGenerateContent"):
            return "other"
        probe = Recorded("", "", "", "", body, 0.0)
        text = probe.instruction
        first = text.lstrip().splitlines()[0].lower() if text.strip() else ""
        if re.search(r"^Chapter title: ", text, re.M):
            return "chapter"
        schema = probe.generation_config.get("responseJsonSchema") or {}
        if "outline" in first or "chapters" in (schema.get("properties") or {}):
            return "outline"
        if "summary" in first:
            return "summary"
        return "other"

    @staticmethod
    def _refuse(query: str, headers: dict[str, str]) -> _Answer | None:
        """The answer for a missing or invalid key, or None when the key is accepted."""
        key = _key_of(headers, query)
        if key == BAD_KEY:
            return _error(
                400,
                "API key not valid. Please pass a valid API key.",
                [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                  "domain": "googleapis.com",
                  "metadata": {"service": "generativelanguage.googleapis.com"}}],
            )
        if not key:
            return _error(403, "Method doesn't allow unregistered callers. Supply an API key.")
        return None

    def _resource(self, method: str, version: str, kind: str, name: str | None,
                  body: dict) -> _Answer:
        """cachedContents: create, get, update (TTL) and delete; v1beta only, like the API."""
        if version == "v1":
            return _error(404, f"Unknown path /{version}/{kind}")
        full = f"{kind}/{name}" if name else ""
        if method == "POST" and not name:
            status, result = self.caches.create(body)
        elif method == "PATCH" and name:
            status, result = self.caches.update(full, body)
        elif method == "DELETE" and name:
            status, result = self.caches.delete(full)
        elif method == "GET" and name:
            cache = self.caches.get(full)
            status, result = (200, cache.resource()) if cache else (404, "CachedContent not found")
        else:
            return _error(400, "Invalid request.")
        return _Answer(status, result) if status == 200 else _error(status, result)

    def _route(self, method: str, version: str, model: str | None, action: str | None,
               rec: Recorded) -> _Answer:
        if not version:
            return _error(404, f"Unknown path {rec.path.split('?')[0]}")
        if method == "GET" and action is None:
            return self._models(version, model)
        served = lookup(model or "")
        if served is None:
            return _not_found(version, model or "")
        spec, concrete = served
        if action == "countTokens":
            parts = self._media_parts(rec.body or {})
            refused = self.files.check_parts(parts)
            if refused is not None:
                return _error(refused[0], refused[1], name=refused[2])
            text = json.dumps({k: v for k, v in (rec.body or {}).items()}) if not parts else \
                "".join(t for c in (rec.body or {}).get("contents") or [] for t in _texts(c))
            details = {"TEXT": tokens(text)} if not parts or text else {}
            for _, kind, count in self.files.describe(parts):
                details[kind] = details.get(kind, 0) + count
            return _Answer(200, {"totalTokens": sum(details.values()), "promptTokensDetails": [
                {"modality": k, "tokenCount": v} for k, v in details.items()]})
        if action == "batchGenerateContent" and isinstance(rec.body, dict):
            if version == "v1":
                return _error(404, f"Unknown path {rec.path.split('?')[0]}")
            if "batchGenerateContent" not in spec.methods:
                return _error(400, f"models/{concrete} is not supported for "
                                   "batchGenerateContent.")
            return self._reply(*self.batches.create(concrete, rec.body))
        if action in ("generateContent", "streamGenerateContent") and isinstance(rec.body, dict):
            problem = request_problem(version, spec, rec.body)
            if problem is not None:
                return _error(400, problem)
            cache, refusal = self.caches.for_request(concrete, rec.body)
            if refusal is not None:
                return _error(404 if "not found" in refusal else 400, refusal)
            refused = self.files.check_parts(self._media_parts(rec.body))
            if refused is not None:
                return _error(refused[0], refused[1], name=refused[2])
            return self._generate(rec, spec, concrete, cache,
                                  stream=action == "streamGenerateContent")
        return _error(400, "Invalid JSON payload received.")

    def _models(self, version: str, model: str | None) -> _Answer:
        if not self.serve_models:
            return _error(404, "Not Found")
        if model is None:
            return _Answer(200, {"models": catalog()})
        served = lookup(model)
        if served is None:
            return _not_found(version, model)
        return _Answer(200, served[0].info(model))

    def _batches(self, method: str, url: Any, groups: tuple, headers: dict[str, str],
                 raw: bytes, body: Any) -> _Answer:
        """Batch jobs and files (v1beta only): see `tests.fakes.batches`."""
        version, kind, name, action = groups
        if version == "v1":
            return _error(404, f"Unknown path {url.path}")
        service, files = self.batches, self.files
        if url.path.startswith("/upload/"):
            command = {k.lower(): v for k, v in headers.items()}.get("x-goog-upload-command", "")
            upload_id = (parse_qs(url.query).get("upload_id") or [""])[0]
            if upload_id:
                return self._reply(*files.upload(upload_id, command, raw))
            return self._reply(*files.start_upload(body or {}, self.url, headers))
        full = f"{kind}/{name}"
        if kind == "files" and method == "GET" and action == "download":
            data = files.data(full)
            return _Answer(200, None, raw=data) if data is not None \
                else _error(404, f"File {full} not found.")
        if kind == "files" and method == "GET":
            return self._reply(*(files.get(full) if name else files.list()))
        if kind == "files" and method == "DELETE" and name:
            return self._reply(*files.delete(full))
        if kind == "batches" and method == "GET" and not action:
            return self._reply(*service.get(full))
        if kind == "batches" and method == "POST" and action == "cancel":
            return self._reply(*service.cancel(full))
        if kind == "batches" and method == "DELETE":
            return self._reply(*service.delete(full))
        return _error(400, "Invalid request.")

    @staticmethod
    def _reply(status: int, result: Any, headers: dict[str, str] | None = None) -> _Answer:
        if status != 200:
            return _error(status, result)
        return _Answer(status, result, headers=headers or {})

    def _batch_item(self, model: str, body: dict) -> tuple[int, dict]:
        """One request of a batch, answered like generateContent but without latency."""
        kind = self._classify("generateContent", body)
        rec = Recorded("(batch item)", "POST", model, kind, body, time.monotonic())
        spec, concrete = lookup(model)  # type: ignore[misc]  # the job's model was checked
        problem = request_problem("v1beta", spec, body)
        if problem is not None:
            answer = _error(400, problem)
        else:
            cache, refusal = self.caches.for_request(concrete, body)
            refused = self.files.check_parts(self._media_parts(body))
            answer = _error(404 if "not found" in refusal else 400, refusal) if refusal \
                else _error(refused[0], refused[1], name=refused[2]) if refused \
                else self._generate(rec, spec, concrete, cache, stream=False, wait=False)
        with self._lock:
            self.batch_items.append(rec)
        rec.status, rec.end = answer.status, time.monotonic()
        return answer.status, answer.payload

    def _generate(self, rec: Recorded, spec: ModelSpec, concrete: str, cache: Cache | None,
                  *, stream: bool, wait: bool = True) -> _Answer:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            fault, delay, limited = self._draw()
            if fault is not None and fault.kind == "error":
                if fault.status == 429:
                    return _quota_error(fault.retry_delay, fault.daily)
                return _error(fault.status, fault.message)
            if fault is not None and fault.kind == "garbage":
                return _Answer(200, None, raw=b"<html>upstream proxy error</html>")
            if limited is not None:
                return _quota_error(limited, daily=False)
            if fault is not None and fault.kind == "hang":
                delay += fault.seconds
            cached = cache.tokens if cache else self._cached_tokens(rec)  # looked up on arrival
            self._sleep(delay if wait else 0.0)
            if self._stopping.is_set():
                return _error(503, "The fake server is shutting down.")
            payload = self._answer(rec, fault, spec, concrete, cache, cached)
            if not stream:
                return _Answer(200, payload)
            return _Answer(200, payload, stream=True, chunks=self._chunks(payload))
        finally:
            with self._lock:
                self._in_flight -= 1

    def _draw(self) -> tuple[_Fault | None, float, float | None]:
        """Pick this call's fault, its latency, and the 429 delay if the window is full."""
        with self._lock:
            delay = max(0.0, self.latency + self._rng.uniform(-self.jitter, self.jitter))
            fault, limited = self._scripted()
            if fault is not None or limited is not None:
                return fault, delay, limited
            draw, edge = self._rng.random(), 0.0
            for name, chance in self.faults.items():
                edge += chance
                if draw < edge:
                    if isinstance(name, int):
                        return _Fault("error", status=name), delay, None
                    return _Fault(name, seconds=self.hang_seconds), delay, None
            return None, delay, None

    @staticmethod
    def _media_parts(body: dict) -> list[dict]:
        return [p for c in body.get("contents") or [] if isinstance(c, dict)
                for p in c.get("parts") or [] if isinstance(p, dict) and "text" not in p]

    def seen_media(self, rec: Recorded, cache: Cache | None = None) -> list[tuple[str, str, int]]:
        """(name, modality, tokens) of the media a request carried, its cache's first (those
        as the cache counted them when it was made)."""
        return self._cache_media(cache) + self.files.describe(
            self._media_parts(rec.body or {}), rec.generation_config.get("mediaResolution"))

    def _cache_media(self, cache: Cache | None) -> list[tuple[str, str, int]]:
        parts = [p for c in (cache.contents if cache else []) for p in c.get("parts") or []
                 if "text" not in p]
        return self.files.describe(parts)

    def _answer(self, rec: Recorded, fault: _Fault | None, spec: ModelSpec,
                concrete: str, cache: Cache | None, cached: int) -> dict:
        prompt_text = rec.system + "".join(
            t for c in rec.body.get("contents") or [] for t in _texts(c)
        )
        seen = self.seen_media(rec, cache)
        in_cache = sum(n for *_, n in self._cache_media(cache))
        text = tokens(prompt_text) + (cache.tokens - in_cache if cache else 0)
        details: dict[str, int] = {"TEXT": text}
        for _, kind, count in seen:
            details[kind] = details.get(kind, 0) + count
        prompt = sum(details.values())
        usage: dict[str, Any] = {"promptTokenCount": prompt, "totalTokenCount": prompt,
                                 "promptTokensDetails": [{"modality": k, "tokenCount": v}
                                                         for k, v in details.items()]}
        if cached:
            usage["cachedContentTokenCount"] = cached
            held: dict[str, int] = {}
            for _, modality, count in self._cache_media(cache):
                held[modality] = held.get(modality, 0) + count
            usage["cacheTokensDetails"] = [
                {"modality": k, "tokenCount": v}
                for k, v in {"TEXT": max(0, cached - sum(held.values())), **held}.items() if v]
        kind = fault.kind if fault is not None else ""
        if kind == "block":
            return {"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": usage,
                    "modelVersion": concrete}
        self._remember_prefix(rec)
        if kind == "empty":
            candidate: dict[str, Any] = {"content": {"role": "model"}, "finishReason": "STOP"}
            text = ""
        else:
            as_json = (kind != "markdown"
                       and rec.generation_config.get("responseMimeType") == "application/json")
            text = self._text(rec, as_json, cache, self.seen_media(rec, cache))
            candidate = {"content": {"role": "model", "parts": [{"text": text}]},
                         "finishReason": "STOP"}
        output = tokens(text)
        thoughts = output // 4 if spec.thinking and not _thinking_off(rec) else 0
        usage.update(candidatesTokenCount=output, totalTokenCount=prompt + output + thoughts)
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        candidate["index"] = 0
        return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": concrete}

    @staticmethod
    def _chunks(payload: dict) -> list[dict]:
        """Split a full answer into SSE chunks; the last one carries finishReason and usage."""
        candidates = payload.get("candidates")
        parts = (candidates or [{}])[0].get("content", {}).get("parts") or []
        text = parts[0]["text"] if parts else ""
        if not text:
            return [payload]
        third = max(1, len(text) // 3)
        pieces = [text[i:i + third] for i in range(0, len(text), third)]
        chunks = [{"candidates": [{"content": {"role": "model", "parts": [{"text": p}]},
                                   "index": 0}]} for p in pieces[:-1]]
        last = json.loads(json.dumps(payload))
        last["candidates"][0]["content"]["parts"] = [{"text": pieces[-1]}]
        return [*chunks, last]

    # -- implicit prefix cache --------------------------------------------------------------

    @staticmethod
    def _prefix(rec: Recorded) -> str:
        parts = rec.parts
        return rec.system + "\x00" + (parts[0] if parts else "")

    def _cached_tokens(self, rec: Recorded) -> int:
        prefix = self._prefix(rec)
        with self._lock:
            seen = list(self._prefixes.get(rec.model, ()))
        best = max((_common_prefix_len(prefix, old) for old in seen), default=0)
        cached = tokens(prefix[:best])
        served = lookup(rec.model)
        return cached if served is not None and cached >= served[0].cache_min else 0

    def _remember_prefix(self, rec: Recorded) -> None:
        prefix = self._prefix(rec)
        with self._lock:
            seen = self._prefixes.setdefault(rec.model, [])
            if prefix not in seen:
                seen.append(prefix)
                del seen[:-32]

    # -- deterministic answers --------------------------------------------------------------

    def _text(self, rec: Recorded, as_json: bool, cache: Cache | None = None,
              seen: list[tuple[str, str, int]] = ()) -> str:
        document = cache.document if cache else (rec.parts[0] if rec.parts else "")
        asked = (rec.generation_config.get("responseJsonSchema") or {}).get("properties", {})
        return course_text(rec.kind, document, rec.instruction, asked, as_json,
                           self.outline_size,
                           notes=[f"Media seen: {name} ({kind}, {count} tokens)."
                                  for name, kind, count in seen],
                           cited=_media_citations(document))
