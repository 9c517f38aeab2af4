"""The `openai` SDK's failures in the words of `geminiteacher.errors`, as for Gemini.

Servers disagree on the error body: OpenAI and vLLM send `{"error": {"message", "type",
"code"}}` (older vLLM a flat `{"object": "error", "message", ...}`), Ollama the same envelope
with `"type": "api_error"`, LM Studio a bare `{"error": "text"}`, llama.cpp adds `n_ctx` and
`n_prompt_tokens`. `error_text` reads any of them; the rest decides by status and words.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable
from typing import Any

import openai

from geminiteacher.errors import (
    EngineError,
    ModelAccessError,
    QuotaExhaustedError,
    RateLimitedError,
    ServiceError,
)

_CONTEXT = re.compile(
    r"context[ _]length|context window|context size|maximum context|too many tokens|"
    r"prompt is too long|exceeds? the (?:available )?context|n_ctx", re.I)
_SIZES = (  # (pattern, group of the window, group of the request's tokens)
    (re.compile(r"maximum context length is (\d+) tokens.*?(?:resulted in|requested) (\d+)",
                re.I | re.S), 1, 2),
    (re.compile(r"keep the first (\d+) tokens.*?context length of only (\d+)", re.I | re.S),
     2, 1),  # LM Studio
)


def error_text(body: Any, fallback: str = "") -> str:
    """The message in an error body of any server's shape (see the module docstring)."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("message") or inner.get("detail") or fallback)
        if isinstance(inner, str):
            return inner
        return str(body.get("message") or body.get("detail") or fallback)
    if isinstance(body, str) and body.strip():
        return body
    return fallback


def _field(body: Any, name: str) -> Any:
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and name in inner:
            return inner[name]
        return body.get(name)
    return None


def retry_after(headers: Any, message: str = "") -> float | None:
    """Seconds a 429 asks to wait: `retry-after-ms`, `retry-after` (seconds or a date), else
    OpenAI's "Please try again in 1.5s" / "in 20ms"."""
    if headers is not None:
        try:
            millis = headers.get("retry-after-ms")
            if millis is not None:
                return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
        value = headers.get("retry-after")
        if value is not None:
            try:
                return max(0.0, float(value))
            except ValueError:
                try:
                    when = email.utils.parsedate_to_datetime(value)
                    return max(0.0, when.timestamp() - time.time())
                except (TypeError, ValueError):
                    pass
    match = re.search(r"try again in (\d+(?:\.\d+)?)\s*(ms|s)\b", message, re.I)
    if match:
        return float(match.group(1)) / (1000 if match.group(2).lower() == "ms" else 1)
    return None


def context_sizes(body: Any, message: str) -> tuple[int | None, int | None]:
    """(the model's window, the request's tokens) where the error says them."""
    window, asked = _field(body, "n_ctx"), _field(body, "n_prompt_tokens")  # llama.cpp
    if isinstance(window, int) and isinstance(asked, int):
        return window, asked
    for pattern, window_at, asked_at in _SIZES:
        match = pattern.search(message)
        if match:
            return int(match.group(window_at)), int(match.group(asked_at))
    return None, None


class ErrorWords:
    """Turns one transport's SDK failures into errors.py types, naming its server and model
    and never its key. `models` lists the server's models for a 404's message."""

    def __init__(self, where: str, model: str, key: str | None, has_key: bool,
                 timeout: float, models: Callable[[], list[str]]) -> None:
        self.where = where
        self.model = model
        self._key = key
        self._has_key = has_key
        self._timeout = timeout
        self._models = models

    def scrub(self, text: str) -> str:
        """One line, no trailing period, and never the key."""
        if self._key:
            text = text.replace(self._key, "***")
        return " ".join(text.split()).rstrip(". ")[:300]

    def of(self, exc: Exception) -> EngineError:
        """The errors.py type for any failure of one SDK call."""
        if isinstance(exc, EngineError):
            return exc
        if isinstance(exc, openai.APIStatusError):
            return self.status(exc)
        if isinstance(exc, openai.APITimeoutError):
            return ServiceError(f"{self.where} did not answer within {self._timeout:g} s "
                                f"(or fell silent that long mid-answer; model {self.model}); "
                                "try again later or raise request_timeout")
        if isinstance(exc, openai.APIConnectionError):
            return ServiceError(f"could not reach {self.where} ({self.scrub(str(exc))}): check "
                                "that the server is running and the base URL is right")
        return self.unreadable(f"{type(exc).__name__}: {self.scrub(str(exc))}")

    def unreadable(self, what: str) -> ServiceError:
        """A 200 whose body is not a chat completion (an HTML page, a bare string)."""
        return ServiceError(f"{self.where} answered something that is not a chat completion "
                            f"({what[:120]}); try again later, or check the base URL")

    def status(self, exc: openai.APIStatusError) -> EngineError:
        code = exc.status_code
        body = exc.body
        message = self.scrub(error_text(body, exc.message))
        kind = str(_field(body, "code") or _field(body, "type") or "")
        if code == 429:
            if kind == "insufficient_quota":
                return QuotaExhaustedError(
                    f"the account at {self.where} has no quota left for model {self.model} "
                    "(insufficient_quota); check its plan and billing, or use another key")
            return RateLimitedError(
                f"{self.where} rate limit reached for model {self.model} (HTTP 429); lower "
                "workers or requests per minute",
                retry_after=retry_after(exc.response.headers, message))
        if code in (401, 403):
            what = "refused the API key" if self._has_key else "needs an API key"
            return ModelAccessError(
                f"{self.where} {what} (HTTP {code}: {message}); set OPENAI_API_KEY or enter "
                "the key on the page", code)
        if code == 404:
            return ModelAccessError(self._not_found(message), code)
        if code in (400, 413, 422) and (_CONTEXT.search(message) or "context" in kind):
            return ModelAccessError(self._too_long(body, message), code)
        if code in (408, 409, 425) or code >= 500:
            return ServiceError(f"{self.where} service error {code} for model {self.model}: "
                                f"{message or 'no details'}; try again later", code)
        return ModelAccessError(f"{self.where} rejected the request for model {self.model} "
                                f"(HTTP {code}): {message}", code)

    def _not_found(self, message: str) -> str:
        try:
            names = self._models()
        except EngineError:
            return (f"{self.where} has no model {self.model!r} and lists none (HTTP 404: "
                    f"{message}); check the base URL (it usually ends in /v1) and the model")
        if self.model in names:
            return f"{self.where} answered 404 for model {self.model}: {message}"
        shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        return (f"model {self.model!r} is not served at {self.where} (HTTP 404); "
                + (f"models there: {shown}" if names else "the server lists no models"))

    def _too_long(self, body: Any, message: str) -> str:
        window, asked = context_sizes(body, message)
        sizes = f"{asked:,} tokens, but model {self.model} accepts {window:,}" \
            if window and asked else f"more than model {self.model} accepts"
        return (f"the course material is {sizes} (HTTP 400 from {self.where}); shorten the "
                "material or choose a model with a larger context window")
