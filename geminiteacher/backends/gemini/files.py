"""The media of one course in Gemini's Files API: uploaded once, used by every call, deleted
at the end.

- Each media part (a PDF, a picture, a recording, a video) is uploaded through the SDK
  (`client.files.upload`, Google's resumable protocol) from the original kept beside the
  course, and waited on until it is ACTIVE (video is PROCESSING for a while first).
- While it lives it is recorded in course.json by its content hash (name, URI, expiry,
  Gemini's own token count), so a resumed course reuses it as long as Gemini still has it
  ACTIVE and it has `RENEW_BEFORE` left of its 48 hours; otherwise it is uploaded again from
  the original. A call that finds a file gone mid-course has it uploaded again once.
- YouTube links are not uploaded: they go to Gemini as `file_data` with the video's URL.
- `close` deletes every upload (best effort), however the course ended.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from google.genai import types

from geminiteacher.errors import EngineError, ModelAccessError, ServiceError, describe
from geminiteacher.models import MediaPart

PROCESSING_TIMEOUT = 600.0  # seconds to wait for a file to become ACTIVE
POLL_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)  # the waits between polls, the last one repeating
RENEW_BEFORE = 6 * 3600.0  # a saved upload with less life than this is uploaded again
UPLOADS_AT_ONCE = 4  # a deck's pictures go up side by side


class CourseFiles:
    """The uploads of one course's media. Thread-safe: workers ask it for parts."""

    def __init__(self, client: Any, http_options: types.HttpOptions,
                 media: Sequence[MediaPart], saved: Mapping[str, Any] | None = None,
                 save: Callable[[dict[str, Any]], None] | None = None,
                 count: Callable[[types.Part], int | None] | None = None,
                 timeout: float = PROCESSING_TIMEOUT) -> None:
        self._client = client
        self._options = http_options
        self.media = list(media)
        self._saved = dict(saved or {})
        self._save = save
        self._count = count
        self._timeout = timeout
        self._lock = threading.Lock()
        self.live: dict[str, dict[str, Any]] = {}  # sha256 -> the upload's record

    def _http(self) -> types.HttpOptions:
        """A fresh copy of the request options for each call: older SDKs (1.51) clear the API
        version in the options an upload is given, which would send later calls nowhere."""
        return self._options.model_copy(deep=True)

    def open(self) -> None:
        """Make sure every media part is in the Files API (reused or uploaded) and ACTIVE,
        `UPLOADS_AT_ONCE` at a time (the first failure is raised once the others are done;
        what was uploaded is recorded, so `close` deletes it)."""
        todo = list({item.sha256: item for item in self.media
                     if item.kind != "youtube" and item.sha256 not in self.live}.values())
        with ThreadPoolExecutor(max_workers=max(1, min(UPLOADS_AT_ONCE, len(todo)))) as pool:
            done = [pool.submit(self._ensure, item, self._saved.get(item.sha256))
                    for item in todo]
        for future in done:
            future.result()

    def part(self, item: MediaPart, resolution: str = "auto") -> types.Part:
        """The request part that stands for `item`: its uploaded file, or its YouTube URL;
        with a `resolution` (low, medium, high) the part carries it (as held in a cache)."""
        level = types.PartMediaResolution(level=f"MEDIA_RESOLUTION_{resolution.upper()}") \
            if resolution != "auto" else None
        if item.kind == "youtube":
            return types.Part(file_data=types.FileData(file_uri=item.uri), media_resolution=level)
        with self._lock:
            record = self.live.get(item.sha256)
        if record is None:
            raise ServiceError(f"{item.name} is not uploaded to Gemini; run the course again")
        return types.Part(file_data=types.FileData(file_uri=record["uri"],
                                                   mime_type=record["mime_type"]),
                          media_resolution=level)

    def tokens(self, item: MediaPart) -> int | None:
        """Gemini's own count of `item`'s tokens, when it gave one."""
        with self._lock:
            return (self.live.get(item.sha256) or {}).get("tokens")

    def renew(self) -> None:
        """After Gemini said a file is gone: upload again each one it no longer has."""
        for item in self.media:
            if item.kind == "youtube":
                continue
            with self._lock:
                record = self.live.get(item.sha256)
            if record is None or self._active(record["name"]) is None:
                self._upload(item)

    def close(self) -> None:
        """Delete every upload of the course (an expired one is already gone)."""
        with self._lock:
            records = list(self.live.values())
            self.live.clear()
        for record in records:
            self._delete(record["name"])
        self._store()

    def _delete(self, name: str) -> None:
        with contextlib.suppress(Exception):
            self._client.files.delete(name=name,
                                      config=types.DeleteFileConfig(http_options=self._http()))

    # -- one file ------------------------------------------------------------------------

    def _ensure(self, item: MediaPart, record: Mapping[str, Any] | None) -> None:
        if record and _life_left(record) > RENEW_BEFORE:
            found = self._active(str(record.get("name")))
            if found is not None:
                with self._lock:
                    self.live[item.sha256] = dict(record)
                self._store()
                return
        self._upload(item)
        if record and record.get("name"):  # a stale upload of a previous run: let it go now
            self._delete(str(record["name"]))

    def _active(self, name: str) -> types.File | None:
        """The file if Gemini still has it ACTIVE (waiting while it is PROCESSING)."""
        try:
            return self._wait(self._client.files.get(
                name=name, config=types.GetFileConfig(http_options=self._http())), name)
        except Exception:
            return None

    def _upload(self, item: MediaPart) -> None:
        try:
            source: Any = item.path if item.path is not None else io.BytesIO(item.read())
            uploaded = self._client.files.upload(file=source, config=types.UploadFileConfig(
                mime_type=item.mime_type, display_name=item.name[:500],
                http_options=self._http()))
        except Exception as exc:
            raise ServiceError(f"{item.name} could not be uploaded to Gemini ({describe(exc)}); "
                               "check the network and try again") from exc
        try:
            ready = self._wait(uploaded, item.name)
        except BaseException as exc:  # never usable: it goes now, not in 48 hours
            self._delete(str(uploaded.name))
            if isinstance(exc, Exception) and not isinstance(exc, EngineError):
                raise ServiceError(f"Gemini's state of {item.name} could not be read "
                                   f"({describe(exc)}); try again later") from exc
            raise
        record = {"name": ready.name, "uri": ready.uri, "mime_type": ready.mime_type
                  or item.mime_type, "file": item.name,
                  "expires": ready.expiration_time.isoformat() if ready.expiration_time else ""}
        if self._count is not None:
            record["tokens"] = self._count(types.Part(file_data=types.FileData(
                file_uri=ready.uri, mime_type=record["mime_type"])))
        with self._lock:
            old = self.live.get(item.sha256)
            self.live[item.sha256] = record
        if old and old["name"] != record["name"]:
            self._delete(old["name"])
        self._store()

    def _wait(self, file: types.File, name: str) -> types.File:
        """Poll `file` until it is ACTIVE; errors for FAILED and for a wait that runs out. A
        file whose state is not given (an upload's answer may leave it out) is asked again."""
        deadline = time.monotonic() + self._timeout
        for attempt in range(10_000):
            state = str(getattr(file.state, "value", file.state) or "STATE_UNSPECIFIED")
            if state == "ACTIVE":
                return file
            if state == "FAILED":
                why = file.error.message if file.error and file.error.message else "no reason"
                raise ModelAccessError(f"Gemini could not process {name} ({why}); check that "
                                       "the file plays or opens, or leave it out")
            if time.monotonic() > deadline:
                raise ServiceError(f"Gemini was still processing {name} after "
                                   f"{self._timeout:g} s; try again later")
            time.sleep(POLL_SECONDS[min(attempt, len(POLL_SECONDS) - 1)])
            file = self._client.files.get(name=file.name,
                                          config=types.GetFileConfig(http_options=self._http()))
        raise ServiceError(f"Gemini kept processing {name}; try again later")

    def _store(self) -> None:
        if self._save is not None:
            with self._lock:
                state = {sha: dict(record) for sha, record in self.live.items()}
            self._save(state)


def _life_left(record: Mapping[str, Any]) -> float:
    """Seconds the saved upload has left (0 when its expiry is unknown)."""
    try:
        expires = _dt.datetime.fromisoformat(str(record.get("expires")))
    except ValueError:
        return 0.0
    return expires.timestamp() - time.time()


def files_gone(message: str) -> bool:
    """Gemini's answer when a request names a file it no longer has (expired or deleted)."""
    text = message.lower()
    return "file" in text and ("not exist" in text or "not found" in text
                               or "permission" in text)
