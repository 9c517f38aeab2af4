"""Gemini's Batch API for one course: submit every chapter prompt as one job, poll it, read it.

- Each request is the one the online call would send (`build_request`: thinking, schema,
  output limit, dropped parameters, the course's uploaded media as file references), naming
  the course's explicit cache when one is live.
- Up to `INLINE_LIMIT` bytes the requests go inline (`InlinedRequest` with
  `metadata={"key": ...}`); above it they go as a JSONL file through the Files API
  (`{"key", "request"}` per line) and the job names the file.
- Polling the job also keeps the explicit cache alive (`CourseCache.current()` extends it).
- Results come back by key: inline responses, or a JSONL responses file to download. A
  request that failed inside the job is that key's error, in the errors.py types.
The Developer API's batch resource carries counts (`batchStats`) that the SDK does not map,
so the state and the results are what this module reports.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn, Protocol

from google.genai import _common, types
from google.genai import batches as sdk_batches
from google.genai import errors as genai_errors

from geminiteacher.backends.gemini.answers import read_answer
from geminiteacher.backends.gemini.cache import CourseCache
from geminiteacher.backends.gemini.client import api_version
from geminiteacher.backends.gemini.facts import ModelFacts
from geminiteacher.backends.gemini.request import build_request
from geminiteacher.backends.prompts import Prompt
from geminiteacher.backends.transport import Answer, BatchJobs, BatchStatus
from geminiteacher.errors import BatchJobGoneError, EngineError, ModelAccessError
from geminiteacher.models import CourseSettings

INLINE_LIMIT = 20_000_000  # bytes of inline requests one batchGenerateContent call may carry
DISPLAY_NAME = "geminiteacher course"


class Owner(Protocol):
    """What batch jobs use of the transport that owns them (`GeminiTransport`): its client,
    model facts, request options, explicit cache and error mapping."""

    model: str
    base_url: str | None
    _client: Any

    def facts(self) -> ModelFacts: ...

    def dropped(self) -> set[str]: ...

    def _http_options(self) -> types.HttpOptions: ...

    def _cache_for(self, prompt: Prompt) -> CourseCache | None: ...

    def _media_parts(self, prompt: Prompt) -> list[types.Part]: ...

    def _reraise(self, exc: Exception) -> NoReturn: ...

    def _api_error(self, exc: genai_errors.APIError) -> EngineError: ...


class GeminiBatchJobs(BatchJobs):
    """Batch jobs of one course on one Gemini model (`transport`), all starting with `prefix`."""

    def __init__(self, transport: Owner, prefix: tuple[str, str]) -> None:
        self._t = transport
        self._client = transport._client
        self._prefix = Prompt(prefix[0], (prefix[1],))

    def _http(self) -> types.HttpOptions:
        return self._t._http_options()

    def _cache_name(self) -> str | None:
        """The course's explicit cache for the next requests (extended when it runs short)."""
        cache = self._t._cache_for(self._prefix)
        return cache.current() if cache is not None else None

    def submit(self, prompts: Mapping[str, Prompt], settings: CourseSettings) -> str:
        facts, dropped, cache = self._t.facts(), self._t.dropped(), self._cache_name()
        requests = []
        for key, prompt in prompts.items():
            built = build_request(prompt, settings, facts, dropped, None, cache,
                                  self._t._media_parts(prompt))
            requests.append(types.InlinedRequest(contents=built.contents, config=built.config,
                                                 metadata={"key": key}))
        rows = [_rest(self._client, request) for request in requests]
        size = sum(len(json.dumps(row, ensure_ascii=False).encode()) for row in rows)
        try:
            src: Any = requests if size <= INLINE_LIMIT else self._upload(rows)
            job = self._client.batches.create(
                model=self._t.model, src=src,
                config=types.CreateBatchJobConfig(display_name=DISPLAY_NAME,
                                                  http_options=self._http()))
        except genai_errors.APIError as exc:
            if exc.code == 404:  # not the model's fault: this API (version) has no batches
                where = self._t.base_url or "the Gemini API"
                raise ModelAccessError(
                    f"{where} ({api_version()}) has no batch jobs (HTTP 404); batches live in "
                    "v1beta: unset GOOGLE_GENAI_API_VERSION, or run without --batch",
                    404) from exc
            self._t._reraise(exc)
        except Exception as exc:
            self._t._reraise(exc)
        return str(job.name)

    def _upload(self, rows: list[dict[str, Any]]) -> str:
        """The requests as a JSONL file in the Files API; returns its name (`files/...`)."""
        lines = "".join(json.dumps({"key": row["metadata"]["key"], "request": row["request"]},
                                   ensure_ascii=False) + "\n" for row in rows)
        uploaded = self._client.files.upload(
            file=io.BytesIO(lines.encode()),
            config=types.UploadFileConfig(display_name=DISPLAY_NAME, mime_type="jsonl",
                                          http_options=self._http()))
        return str(uploaded.name)

    def status(self, name: str) -> BatchStatus:
        try:
            job = self._client.batches.get(
                name=name, config=types.GetBatchJobConfig(http_options=self._http()))
        except genai_errors.APIError as exc:
            if exc.code == 404:
                raise BatchJobGoneError(f"batch job {name} no longer exists at Gemini") \
                    from exc
            self._t._reraise(exc)
        except Exception as exc:
            self._t._reraise(exc)
        self._cache_name()  # the job's requests read the cache until it is done
        state = str(getattr(job.state, "value", job.state) or "JOB_STATE_PENDING")
        return BatchStatus(name, state.removeprefix("JOB_STATE_").lower(), job)

    def results(self, status: BatchStatus, keys: Sequence[str]
                ) -> Iterator[tuple[str, Answer | EngineError]]:
        dest = status.job.dest if status.job is not None else None
        if dest is None:
            return
        structured = "schema" not in self._t.dropped()
        if dest.inlined_responses:
            # responses come in the order of the requests; SDKs before 1.5x drop their keys
            for item, submitted in zip(dest.inlined_responses, keys, strict=False):
                key = str((getattr(item, "metadata", None) or {}).get("key", submitted))
                error = item.error.model_dump(exclude_none=True) if item.error else None
                yield key, self._read(item.response, error, structured)
        elif dest.file_name:
            try:
                data = self._client.files.download(
                    file=dest.file_name,
                    config=types.DownloadFileConfig(http_options=self._http()))
            except Exception as exc:
                self._t._reraise(exc)
            for line in data.decode("utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    response = types.GenerateContentResponse.model_validate(row["response"]) \
                        if row.get("response") else None
                    yield str(row.get("key", "")), self._read(response, row.get("error"),
                                                              structured)

    def _read(self, response: types.GenerateContentResponse | None,
              error: dict[str, Any] | None, structured: bool) -> Answer | EngineError:
        if error is not None or response is None:
            error = error or {"code": 500, "message": "the batch returned no response"}
            return self._t._api_error(
                genai_errors.APIError(int(error.get("code") or 500), {"error": error}))
        try:
            return read_answer(response, structured)
        except EngineError as exc:
            return exc

    def cancel(self, name: str) -> None:
        try:
            self._client.batches.cancel(
                name=name, config=types.CancelBatchJobConfig(http_options=self._http()))
        except Exception as exc:
            self._t._reraise(exc)

    def delete(self, name: str) -> None:
        with contextlib.suppress(Exception):
            self._client.batches.delete(
                name=name, config=types.DeleteBatchJobConfig(http_options=self._http()))


def _rest(client: Any, request: types.InlinedRequest) -> dict[str, Any]:
    """The request as the REST API carries it (`{"request": {...}, "metadata": {...}}`),
    through the SDK's own converter, so the JSONL file says exactly what inline requests say."""
    body = sdk_batches._InlinedRequest_to_mldev(client._api_client, request)
    return _common.convert_to_dict(body)  # type: ignore[no-any-return]
