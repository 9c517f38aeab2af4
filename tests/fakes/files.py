"""The fake's Files API, as the v1beta Gemini Developer API serves it to the google-genai SDK.

- Upload is Google's resumable protocol: `POST /upload/v1beta/files` with
  `X-Goog-Upload-Protocol: resumable` and `X-Goog-Upload-Command: start` answers an
  `X-Goog-Upload-URL`; the bytes go to that URL with `upload, finalize` and the answer is
  `{"file": File}` with `X-Goog-Upload-Status: final`.
- A media file is PROCESSING for `processing` seconds (its first `processing_polls` gets),
  then ACTIVE; JSONL files (batch input) are ACTIVE at once. Files expire 48 hours after they
  were made, on the fake's clock (`advance(hours)` moves it); `GET files/{id}`, `GET files`
  (list) and `DELETE files/{id}` work as on the service; an expired or deleted file is 403 to
  a generate request and 404 to get/delete.
- Uploads over `max_bytes` are refused (413, as the 2 GB limit is); generate refuses a file
  part naming an unknown, deleted or expired file (403 PERMISSION_DENIED), a still-PROCESSING
  one (400 FAILED_PRECONDITION, as the service answers), a MIME type Gemini does not read, and
  a PDF of more than `max_pdf_pages` pages.
- With `upload_without_state`, the upload's answer carries no `state` (as the service's
  sometimes does while it is still processing): only a later get says ACTIVE.
- Media tokens are counted per modality the way Gemini documents its rates (258 per picture
  and per PDF page, 32 a second of audio, 263 a second of video); durations are read from a
  WAV header or an MP4 `mvhd` box, pages from the PDF's page objects.
"""

from __future__ import annotations

import base64
import datetime as _dt
import itertools
import re
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any

LIFETIME = 48 * 3600.0
SUPPORTED = {
    "application/pdf", "image/png", "image/jpeg", "image/webp", "image/heic", "image/heif",
    "audio/wav", "audio/mp3", "audio/aiff", "audio/aac", "audio/ogg", "audio/flac",
    "video/mp4", "video/mpeg", "video/mov", "video/avi", "video/x-flv", "video/mpg",
    "video/webm", "video/wmv", "video/3gpp",
}
INVALID = "INVALID_ARGUMENT"
RATES = {"IMAGE": 258, "DOCUMENT": 258, "AUDIO": 32, "VIDEO": 263}
RESOLUTION_SCALE = {"MEDIA_RESOLUTION_LOW": 0.25, "MEDIA_RESOLUTION_MEDIUM": 1.0,
                    "MEDIA_RESOLUTION_HIGH": 1.0}


def field(data: dict, camel: str) -> Any:
    """A field the SDK may send in camelCase or in snake_case."""
    snake = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), camel)
    return data.get(camel, data.get(snake))


def meta_name(meta: dict) -> str:
    return field(meta, "displayName") or ""


def _stamp(wall: float) -> str:
    return _dt.datetime.fromtimestamp(wall, _dt.timezone.utc).isoformat().replace("+00:00", "Z")


def modality(mime_type: str) -> str:
    if mime_type == "application/pdf":
        return "DOCUMENT"
    return mime_type.split("/")[0].upper() if "/" in mime_type else "TEXT"


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def seconds_of(data: bytes) -> float:
    """The duration a WAV header or an MP4 mvhd box states (0 when neither says)."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        at = data.find(b"fmt ")
        rate = struct.unpack("<I", data[at + 16:at + 20])[0] if at >= 0 else 0
        at = data.find(b"data", 12)
        size = struct.unpack("<I", data[at + 4:at + 8])[0] if at >= 0 else 0
        return size / rate if rate else 0.0
    at = data.find(b"mvhd")
    if at >= 0:
        scale, duration = struct.unpack(">II", data[at + 16:at + 24])
        return duration / scale if scale else 0.0
    return 0.0


def media_tokens(mime_type: str, data: bytes, resolution: str | None = None) -> int:
    kind = modality(mime_type)
    scale = RESOLUTION_SCALE.get(resolution or "", 1.0)
    if kind == "DOCUMENT":
        return int(RATES[kind] * max(1, pdf_pages(data)) * scale)
    if kind == "IMAGE":
        return int(RATES[kind] * scale)
    if kind in ("AUDIO", "VIDEO"):
        per_second = RATES[kind] if kind == "AUDIO" else 32 + (RATES[kind] - 32) * scale
        return int(per_second * max(1.0, seconds_of(data)))
    return 0


@dataclass
class File:
    name: str
    display_name: str
    mime_type: str
    data: bytes
    created: float  # on the fake's clock
    ready_at: float
    processing_polls: int = 0
    fails: bool = False  # processing ends FAILED (a file Gemini cannot decode)

    @property
    def uri(self) -> str:
        return f"https://fake.files/v1beta/{self.name}"

    def state(self, now: float) -> str:
        if now < self.ready_at or self.processing_polls > 0:
            return "PROCESSING"
        return "FAILED" if self.fails else "ACTIVE"

    def resource(self, now: float) -> dict[str, Any]:
        failed = {"error": {"code": 400, "message": "The file could not be decoded."}} \
            if self.state(now) == "FAILED" else {}
        return {**failed, "name": self.name, "displayName": self.display_name,
                "mimeType": self.mime_type,
                "sizeBytes": str(len(self.data)), "createTime": _stamp(self.created),
                "updateTime": _stamp(self.created),
                "expirationTime": _stamp(self.created + LIFETIME), "uri": self.uri,
                "state": self.state(now), "source": "UPLOADED"}


class FileService:
    """Uploaded files by name. Thread-safe. Knobs: `processing`, `processing_polls`,
    `max_bytes`, `max_pdf_pages`, `fail_processing`, `upload_without_state`, `advance`;
    counters: `uploaded`, `deleted`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._files: dict[str, File] = {}
        self._uploads: dict[str, dict[str, Any]] = {}
        self._offset = 0.0
        self.processing = 0.0  # seconds a media file stays PROCESSING
        self.processing_polls = 1  # gets that still answer PROCESSING (0: ACTIVE at once)
        self.max_bytes = 2 * 1024**3
        self.max_pdf_pages = 1000
        self.fail_processing: set[str] = set()  # display names whose processing fails
        self.upload_without_state = False  # the upload's answer names no state
        self.uploaded: list[str] = []  # display names, in upload order
        self.deleted: list[str] = []

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, hours: float) -> None:
        """Move the fake's clock on (files made before then expire after 48 hours)."""
        with self._lock:
            self._offset += hours * 3600

    def live(self) -> list[File]:
        now = self.now()
        with self._lock:
            return [f for f in self._files.values() if f.created + LIFETIME > now]

    def _live(self, name: str) -> File | None:
        file = self._files.get(name)
        return file if file is not None and file.created + LIFETIME > self.now() else None

    def data(self, name: str) -> bytes | None:
        with self._lock:
            file = self._live(name)
            return file.data if file is not None else None

    def put(self, name: str, data: bytes, mime_type: str = "application/jsonl") -> None:
        """A file the service itself makes (a batch job's responses)."""
        with self._lock:
            now = self.now()
            self._files[name] = File(name, name, mime_type, data, now, now)

    # -- resumable upload ------------------------------------------------------------------

    def start_upload(self, body: dict[str, Any], base: str, headers: dict[str, str]
                     ) -> tuple[int, Any, dict[str, str]]:
        lower = {k.lower(): v for k, v in headers.items()}
        if lower.get("x-goog-upload-protocol") != "resumable" or \
                "start" not in lower.get("x-goog-upload-command", ""):
            return 400, "Upload requests must use the resumable protocol.", {}
        size = int(lower.get("x-goog-upload-header-content-length") or 0)
        if size > self.max_bytes:
            return 413, (f"File size {size} exceeds the maximum allowed size of "
                         f"{self.max_bytes} bytes."), {}
        file = (body or {}).get("file") or {}
        with self._lock:
            upload_id = f"up{next(self._ids):04d}"
            self._uploads[upload_id] = {"meta": file, "data": b""}
        url = f"{base}/upload/v1beta/files?upload_id={upload_id}&upload_protocol=resumable"
        return 200, {}, {"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"}

    def upload(self, upload_id: str, command: str, raw: bytes) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            session = self._uploads.get(upload_id)
            if session is None:
                return 404, "Upload session not found.", {}
            session["data"] += raw
            if len(session["data"]) > self.max_bytes:
                del self._uploads[upload_id]
                return 413, "File too large.", {}
            if "finalize" not in command:
                return 200, {}, {"X-Goog-Upload-Status": "active"}
            del self._uploads[upload_id]
            meta = session["meta"]
            mime = field(meta, "mimeType") or "application/octet-stream"
            now = self.now()
            media = mime in SUPPORTED
            file = File(f"files/fake{next(self._ids):04d}", meta_name(meta), mime,
                        session["data"], now, now + (self.processing if media else 0.0),
                        self.processing_polls if media else 0,
                        fails=meta_name(meta) in self.fail_processing)
            self._files[file.name] = file
            self.uploaded.append(file.display_name)
            resource = file.resource(now)
            if self.upload_without_state:
                del resource["state"]
        return 200, {"file": resource}, {"X-Goog-Upload-Status": "final"}

    # -- get, list, delete -----------------------------------------------------------------

    def get(self, name: str) -> tuple[int, Any]:
        with self._lock:
            file = self._live(name)
            if file is None:
                return 404, f"File {name} not found."
            resource = file.resource(self.now())
            file.processing_polls = max(0, file.processing_polls - 1)
        return 200, resource

    def list(self) -> tuple[int, Any]:
        now = self.now()
        return 200, {"files": [f.resource(now) for f in self.live()]}

    def delete(self, name: str) -> tuple[int, Any]:
        with self._lock:
            file = self._live(name)
            self._files.pop(name, None)
            if file is None:
                return 404, f"File {name} not found."
            self.deleted.append(file.display_name)
        return 200, {}

    # -- use in requests -------------------------------------------------------------------

    def check_parts(self, parts: list[dict]) -> tuple[int, str, str] | None:
        """Why Gemini would refuse these parts (HTTP code, message, status name), or None."""
        for part in parts:
            data = field(part, "fileData")
            if not data:
                inline = field(part, "inlineData")
                if inline and field(inline, "mimeType") not in SUPPORTED:
                    return 400, f"Unsupported MIME type: {field(inline, 'mimeType')}", INVALID
                continue
            uri = field(data, "fileUri") or ""
            if "youtube.com/" in uri or "youtu.be/" in uri:
                continue
            with self._lock:
                file = next((f for f in self._files.values() if f.uri == uri), None)
                file = self._live(file.name) if file is not None else None
                state = file.state(self.now()) if file is not None else ""
            if file is None:
                name = uri.rsplit("/v1beta/", 1)[-1]
                return 403, (f"You do not have permission to access the File {name} or it may "
                             "not exist."), "PERMISSION_DENIED"
            if state != "ACTIVE":
                return 400, (f"The File {file.name} is not in an ACTIVE state and usage is not "
                             "allowed."), "FAILED_PRECONDITION"
            if file.mime_type not in SUPPORTED:
                return 400, f"Unsupported MIME type: {file.mime_type}", INVALID
            if file.mime_type == "application/pdf" and pdf_pages(file.data) > self.max_pdf_pages:
                return 400, f"The document has more than {self.max_pdf_pages} pages.", INVALID
        return None

    def describe(self, parts: list[dict], default: str | None = None
                 ) -> list[tuple[str, str, int]]:
        """(display name or URI, modality, tokens) of every media part, in order, at its own
        media resolution or else the request's (`default`)."""
        seen = []
        for part in parts:
            level = field(part, "mediaResolution")
            resolution = level.get("level") if isinstance(level, dict) else default
            data = field(part, "fileData")
            inline = field(part, "inlineData")
            if data:
                uri = field(data, "fileUri") or ""
                with self._lock:
                    file = next((f for f in self._files.values() if f.uri == uri), None)
                if file is not None:
                    seen.append((file.display_name, modality(file.mime_type),
                                 media_tokens(file.mime_type, file.data, resolution)))
                else:  # a YouTube video: a minute at the video rate
                    seen.append((uri, "VIDEO", 60 * RATES["VIDEO"]))
            elif inline:
                raw = base64.b64decode(inline.get("data", ""))
                mime = field(inline, "mimeType") or ""
                seen.append(("inline", modality(mime), media_tokens(mime, raw, resolution)))
        return seen
