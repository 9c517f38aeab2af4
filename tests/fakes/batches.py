"""The fake's Batch API and Files API, as the v1beta Gemini Developer API serves them.

- `POST models/{m}:batchGenerateContent` takes inline requests
  (`batch.inputConfig.requests.requests[*].{request, metadata}`) or an uploaded JSONL file
  (`batch.inputConfig.fileName`, one `{"key", "request"}` per line) and answers the batch
  resource: `{"name": "batches/…", "metadata": {…, "state", "batchStats"}, "done"}`.
- A job stays PENDING, then RUNNING, for `delay` seconds; the first `get` after that answers
  every item with the fake's normal generate logic (so scripted faults and explicit caches
  apply) and the job SUCCEEDED, or FAILED / EXPIRED when `end_next` says so.
  Inline jobs answer `output.inlinedResponses`, file jobs a `responsesFile` to download.
- `POST batches/{id}:cancel` cancels a job that is not done; `DELETE batches/{id}` forgets it.
- Files (a JSONL input, a responses file) live in `tests.fakes.files`; a job's responses
  file is downloaded with `GET files/{id}:download?alt=media`.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.files import FileService

BATCH_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
# (model, request body) -> (HTTP status, GenerateContentResponse or error envelope)
Answerer = Callable[[str, dict], tuple[int, dict]]


def _stamp(wall: float) -> str:
    return _dt.datetime.fromtimestamp(wall, _dt.timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Job:
    name: str
    model: str
    display_name: str
    items: list[tuple[Any, dict]]  # (metadata or key, request body)
    from_file: bool
    created: float
    outcome: str = "SUCCEEDED"
    state: str = "PENDING"
    output: dict[str, Any] = field(default_factory=dict)
    succeeded: int = 0
    failed: int = 0

    def resource(self) -> dict[str, Any]:
        done = self.state in ("SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED")
        total = len(self.items)
        metadata: dict[str, Any] = {
            "@type": BATCH_TYPE, "model": f"models/{self.model}",
            "displayName": self.display_name, "state": f"BATCH_STATE_{self.state}",
            "createTime": _stamp(self.created), "updateTime": _stamp(time.time()),
            "batchStats": {"requestCount": str(total),
                           "successfulRequestCount": str(self.succeeded),
                           "failedRequestCount": str(self.failed),
                           "pendingRequestCount": str(0 if done else total)},
        }
        if self.output:
            metadata["output"] = self.output
        return {"name": self.name, "metadata": metadata, "done": done}


class BatchService:
    """Batch jobs and files by name. Thread-safe. Knobs: `delay`, `end_next`, `fail_keys`."""

    def __init__(self, answer: Answerer, files: FileService) -> None:
        self._answer = answer
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.jobs: dict[str, Job] = {}
        self.files = files
        # seconds a job stays PENDING/RUNNING before it is answered; read at every poll, so
        # shortening it lets a job that is already waiting finish
        self.delay = 0.0
        self.fail_keys: set[str] = set()  # item keys answered with an error instead
        self._endings: list[str] = []
        self.created = 0
        self.cancelled = 0

    def end_next(self, state: str) -> None:
        """The next job created ends in `state` ("FAILED" or "EXPIRED") without results."""
        with self._lock:
            self._endings.append(state)

    # -- batches ---------------------------------------------------------------------------

    def create(self, model: str, body: dict[str, Any]) -> tuple[int, Any]:
        batch = body.get("batch") or {}
        source = batch.get("inputConfig") or {}
        if "fileName" in source:
            data = self.files.data(source["fileName"])
            if data is None:
                return 404, f"File {source['fileName']} not found."
            lines = [json.loads(line) for line in data.decode().splitlines() if line.strip()]
            items = [(line.get("key"), line.get("request") or {}) for line in lines]
        else:
            items = [(r.get("metadata"), r.get("request") or {})
                     for r in (source.get("requests") or {}).get("requests") or []]
        if not items:
            return 400, "A batch needs at least one request."
        with self._lock:
            name = f"batches/fake{next(self._ids):04d}"
            job = Job(name, model, batch.get("displayName", ""), items, "fileName" in source,
                      time.time(), self._endings.pop(0) if self._endings else "SUCCEEDED")
            self.jobs[name] = job
            self.created += 1
        return 200, job.resource()

    def get(self, name: str) -> tuple[int, Any]:
        with self._lock:
            job = self.jobs.get(name)
        if job is None:
            return 404, f"Batch {name} not found."
        self._advance(job)
        return 200, job.resource()

    def cancel(self, name: str) -> tuple[int, Any]:
        with self._lock:
            job = self.jobs.get(name)
            if job is None:
                return 404, f"Batch {name} not found."
            if job.state in ("PENDING", "RUNNING"):
                job.state = "CANCELLED"
                self.cancelled += 1
        return 200, {}

    def delete(self, name: str) -> tuple[int, Any]:
        with self._lock:
            job = self.jobs.pop(name, None)
        return (200, {}) if job is not None else (404, f"Batch {name} not found.")

    def _advance(self, job: Job) -> None:
        """Move a job along its life: pending, running, then answered once its delay is up."""
        with self._lock:
            if job.state not in ("PENDING", "RUNNING"):
                return
            age = time.time() - job.created
            if age < self.delay:
                job.state = "PENDING" if age < self.delay / 2 else "RUNNING"
                return
            job.state = "RUNNING"
        if job.outcome != "SUCCEEDED":
            with self._lock:
                job.state = job.outcome
            return
        answers = [self._item(key, request, job.model) for key, request in job.items]
        with self._lock:
            if job.state != "RUNNING":  # cancelled while the items were answered
                return
            job.succeeded = sum("response" in a for a in answers)
            job.failed = len(answers) - job.succeeded
            if job.from_file:
                out = f"files/batch-{job.name.rsplit('/', 1)[-1]}-responses"
                lines = [{"key": key, **answer}
                         for (key, _), answer in zip(job.items, answers, strict=True)]
                self.files.put(out, "".join(json.dumps(line) + "\n" for line in lines).encode())
                job.output = {"responsesFile": out}
            else:
                job.output = {"inlinedResponses": {"inlinedResponses": [
                    {**answer, "metadata": key}
                    for (key, _), answer in zip(job.items, answers, strict=True)]}}
            job.state = "SUCCEEDED"

    def _item(self, key: Any, request: dict, model: str) -> dict[str, Any]:
        label = key.get("key") if isinstance(key, dict) else key
        if label in self.fail_keys:
            return {"error": {"code": 500, "message": "Internal error (fake item fault).",
                              "status": "INTERNAL"}}
        status, payload = self._answer(model, request)
        return {"response": payload} if status == 200 else {"error": payload.get("error")}
