"""Error types. Each carries a message a person can act on; the CLI and page show it as is."""

from __future__ import annotations

import math
import re

_RAW_ANSWER = re.compile(r"^(\d{3}) ?([A-Z_]*)\. \{.*?['\"]message['\"]: ?(['\"])(.*?)(?<!\\)\3",
                         re.DOTALL)
_ESCAPED = re.compile(r"\\[nrt]")  # a line break written out inside the raw answer


def _server_reason(error: BaseException) -> str | None:
    """A provider SDK's API error (google-genai's `APIError`: `code`, `status`, `message`,
    whose text is the raw answer "400 INVALID_ARGUMENT. {'error': {...}}") as one sentence
    with the server's own reason; None for any other error."""
    code, message = getattr(error, "code", None), getattr(error, "message", None)
    status = getattr(error, "status", None) or ""
    if not (isinstance(code, int) and isinstance(message, str)):
        raw = _RAW_ANSWER.match(str(error).strip())
        if raw is None:
            return None
        code, status, message = int(raw.group(1)), raw.group(2), _ESCAPED.sub(" ", raw.group(4))
    reason = " ".join(message.split()).rstrip(". ") or "no reason given"
    return f"the server answered HTTP {code} {status}".rstrip() + f": {reason}"


def describe(error: BaseException, limit: int = 300) -> str:
    """One line for a person: the first line of the error's message (or its type), shortened.

    A provider's raw error answer becomes one sentence with the server's reason.
    """
    lines = (_server_reason(error) or str(error)).strip().splitlines()
    text = lines[0].strip() if lines else type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


class GeminiTeacherError(Exception):
    """Base of every error this package raises on purpose."""


class SettingsError(GeminiTeacherError, ValueError):
    """A setting is out of range or unknown; the message names it."""


class ConversionError(GeminiTeacherError):
    """A file could not be turned into text. The message names the file and what to do."""

    def __init__(self, filename: str, problem: str) -> None:
        self.filename = filename
        self.problem = problem
        super().__init__(f"{filename}: {problem}")


class NoTextError(ConversionError):
    """A document holds no text to read (a scan, or only pictures): a model that reads it
    natively (Gemini) can still use it."""


class SourceTooLargeError(GeminiTeacherError):
    """The material does not fit the model's context window."""


class EngineError(GeminiTeacherError):
    """A model call failed. `retryable` says whether trying again can help; `usage` holds
    the tokens the failed call(s) still cost (a `models.Usage`), when the engine knows."""

    retryable = True
    usage = None


class EmptyAnswerError(EngineError):
    """The model answered with nothing usable; `reason` is the finish reason."""

    def __init__(self, reason: str = "no text") -> None:
        self.reason = reason
        super().__init__(f"the model returned an empty answer ({reason})")


class BlockedAnswerError(EngineError):
    """The model refused to answer; `reason` is the block or finish reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the model blocked the answer ({reason})")


class ServiceError(EngineError):
    """The service failed for now: 408, 5xx, a timeout or a dropped connection."""

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class RateLimitedError(EngineError):
    """HTTP 429. `retry_after` is the server's RetryInfo delay in seconds, if it sent one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class QuotaExhaustedError(EngineError):
    """A per-day quota is spent: retrying today cannot help, so the course stops."""

    retryable = False


class RateLimitWaitError(QuotaExhaustedError):
    """The server asked to wait longer than the `max_wait` setting: failing beats sleeping."""

    def __init__(self, seconds: float, max_wait: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"rate-limited for {math.ceil(seconds / 60)} minutes: the server asked to wait "
            f"longer than max_wait ({max_wait:g} s); try again later, or raise max_wait "
            "(--max-wait)"
        )


class ModelAccessError(EngineError):
    """HTTP 400/401/403/404: the key, the model name or the request is wrong. Never retried."""

    retryable = False

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class BatchJobError(EngineError):
    """The course's batch job ended without results (FAILED or EXPIRED), or is gone."""

    retryable = False


class BatchJobGoneError(BatchJobError):
    """The batch job a course saved no longer exists (deleted, or too old to be kept)."""


class OutlineError(GeminiTeacherError):
    """The outline came back empty or unreadable, so there is nothing to write."""


class CancelledError(GeminiTeacherError):
    """The course was cancelled by the user."""


class StoreError(GeminiTeacherError):
    """The course folder could not be written (disk full, permissions)."""


class ManifestError(StoreError):
    """A course folder's `course.json` is not a course manifest (damaged or hand-edited).

    `folder` is the course folder; `owner` the owner token when the file still names one, so
    the course's own link can say what is wrong with it.
    """

    def __init__(self, folder: str, problem: str, owner: str | None = None) -> None:
        self.folder = folder
        self.owner = owner
        super().__init__(f"{folder}/course.json is damaged ({problem}), so the course is "
                         "skipped; restore the file or move the folder out of the output folder")


class QueueFullError(GeminiTeacherError):
    """One visitor already has as many courses queued or running as allowed."""
