"""The Gemini engine: google-genai calls for the outline, the chapters and the course summary.

One SDK Client per (API key, base URL) lives in a small process-wide registry and is shared by
all threads, so HTTP connections stay open across calls. The SDK's own retries are switched
off (`HttpRetryOptions(attempts=1)`: tenacity stops after one attempt, and the sync httpx path
has no other retry), because `geminiteacher.parallel` is the only retry layer. Every failure
leaves here as a `geminiteacher.errors` type whose message never contains the key.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, NoReturn

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from geminiteacher.backends.base import Engine
from geminiteacher.errors import (
    BlockedAnswerError,
    EmptyAnswerError,
    EngineError,
    ModelAccessError,
    OutlineError,
    QuotaExhaustedError,
    RateLimitedError,
    ServiceError,
)
from geminiteacher.models import DEFAULT_MODEL, ChapterContent, CourseSettings, Reply, Usage
from geminiteacher.prompts import (
    Prompt,
    chapter_prompt,
    outline_prompt,
    parse_chapter,
    parse_outline_text,
    summary_prompt,
)

BASE_URL_ENV = "GOOGLE_GEMINI_BASE_URL"
CONTEXT_WINDOW = 1_048_576
_BLOCKING_FINISH = {
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
    "LANGUAGE",
}
_MAX_CLIENTS = 16
_clients: OrderedDict[tuple[str, str | None], genai.Client] = OrderedDict()
_clients_lock = threading.Lock()


def _httpx_errors(name: str) -> tuple[type[BaseException], ...]:
    """`name` (e.g. RequestError) from httpx2 and httpx, whichever the SDK may be using."""
    found = []
    for module_name in ("httpx2", "httpx"):
        try:
            found.append(getattr(importlib.import_module(module_name), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


_REQUEST_ERRORS = _httpx_errors("RequestError")
_TIMEOUT_ERRORS = _httpx_errors("TimeoutException")


def shared_client(api_key: str, base_url: str | None = None) -> genai.Client:
    """The process-wide Client for this key and base URL (created once, SDK retries off)."""
    cache_key = (api_key, base_url)
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is None:
            client = genai.Client(
                vertexai=False,
                api_key=api_key,
                http_options=types.HttpOptions(
                    base_url=base_url, retry_options=types.HttpRetryOptions(attempts=1)
                ),
            )
            _clients[cache_key] = client
            while len(_clients) > _MAX_CLIENTS:
                _clients.popitem(last=False)
        _clients.move_to_end(cache_key)
        return client


class GeminiEngine(Engine):
    """Writes courses with a Gemini model through the google-genai SDK. Thread-safe."""

    name = "gemini"

    def __init__(
        self,
        api_key: str,
        model: str = DEFAULT_MODEL,
        *,
        base_url: str | None = None,
        timeout: float = 180.0,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ModelAccessError(
                "no Gemini API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) or enter a key"
            )
        self.model = model.strip().removeprefix("models/") or DEFAULT_MODEL
        self.base_url = base_url or os.environ.get(BASE_URL_ENV) or None
        self.timeout = timeout
        self._key = api_key.strip()
        self._client = shared_client(self._key, self.base_url)
        self._key_id = hashlib.sha256(self._key.encode()).hexdigest()[:12]

    def __repr__(self) -> str:
        where = f", base_url={self.base_url!r}" if self.base_url else ""
        return f"GeminiEngine(model={self.model!r}{where}, timeout={self.timeout:g})"

    @property
    def limiter_key(self) -> str:
        return f"{self.name}:{self.model}:key-{self._key_id}"

    # -- the three writes ---------------------------------------------------------------------

    def plan_outline(self, source: str, settings: CourseSettings) -> Reply:
        text, usage = self._generate(outline_prompt(source, settings), settings)
        titles = parse_outline_text(text)[: settings.max_chapters]
        if not titles:
            raise OutlineError(
                f"model {self.model} answered an outline without chapter titles; "
                "try again or choose another model"
            )
        return Reply(titles, usage)

    def write_chapter(
        self,
        source: str,
        title: str,
        settings: CourseSettings,
        *,
        index: int = 1,
        outline: Sequence[str] = (),
        previous: Sequence[ChapterContent] = (),
    ) -> Reply:
        prompt = chapter_prompt(
            source, title, settings, index=index, outline=outline, previous=previous
        )
        text, usage = self._generate(prompt, settings)
        return Reply(parse_chapter(text, title, source), usage)

    def write_summary(
        self, source: str, chapters: Sequence[ChapterContent], settings: CourseSettings
    ) -> Reply:
        text, usage = self._generate(summary_prompt(source, chapters, settings), settings)
        return Reply(text.strip(), usage)

    # -- model facts --------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` for this model, from the API; a len/4 estimate if that fails."""
        try:
            result = self._client.models.count_tokens(
                model=self.model,
                contents=text,
                config=types.CountTokensConfig(http_options=self._http_options()),
            )
            if result.total_tokens is not None:
                return result.total_tokens
        except (genai_errors.APIError, *_REQUEST_ERRORS, ValueError):
            pass
        return (len(text) + 3) // 4

    def context_window(self) -> int:
        if self.model.startswith("gemma"):
            return 131_072
        return CONTEXT_WINDOW

    def list_models(self) -> list[str]:
        """Names of the models this key may call with generateContent (no `models/` prefix)."""
        config = types.ListModelsConfig(page_size=100, http_options=self._http_options())
        try:
            return sorted(
                (m.name or "").removeprefix("models/")
                for m in self._client.models.list(config=config)
                if "generateContent" in (m.supported_actions or [])
            )
        except Exception as exc:
            self._reraise(exc)

    # -- one call -----------------------------------------------------------------------------

    def _http_options(self) -> types.HttpOptions:
        return types.HttpOptions(timeout=int(self.timeout * 1000))

    def _generate(self, prompt: Prompt, settings: CourseSettings) -> tuple[str, Usage]:
        config = types.GenerateContentConfig(
            system_instruction=prompt.system,
            temperature=settings.temperature,
            response_mime_type="application/json" if prompt.schema else None,
            response_json_schema=prompt.schema,
            thinking_config=None if settings.thinking_budget is None
            else types.ThinkingConfig(thinking_budget=settings.thinking_budget),
            http_options=self._http_options(),
        )
        contents = [
            types.Content(role="user", parts=[types.Part(text=part) for part in prompt.parts])
        ]
        try:
            response = self._client.models.generate_content(
                model=self.model, contents=contents, config=config
            )
        except Exception as exc:
            self._reraise(exc)
        return _answer_text(response, structured=prompt.schema is not None), _usage(response)

    def _reraise(self, exc: Exception) -> NoReturn:
        """Raise the errors.py type for an SDK or transport failure, the key scrubbed out."""
        if isinstance(exc, genai_errors.APIError):
            raise self._api_error(exc) from exc
        if isinstance(exc, _TIMEOUT_ERRORS):
            raise ServiceError(
                f"Gemini did not answer within {self.timeout:g} s (model {self.model}); "
                "try again later or raise request_timeout"
            ) from exc
        if isinstance(exc, _REQUEST_ERRORS):
            where = self.base_url or "the Gemini API"
            raise ServiceError(
                f"could not reach {where} ({type(exc).__name__}: {self._scrub(str(exc))}); "
                "check the network and try again"
            ) from exc
        raise exc

    def _api_error(self, exc: genai_errors.APIError) -> EngineError:
        code = exc.code or 0
        status = exc.status or ""
        message = self._scrub(exc.message or "")
        details = _error_details(exc)
        if code == 429:
            if _daily_quota(details):
                return QuotaExhaustedError(
                    f"the daily Gemini quota for model {self.model} is spent; try again "
                    "tomorrow, or use another API key or model"
                )
            return RateLimitedError(
                f"Gemini rate limit reached for model {self.model} (HTTP 429); "
                "lower workers or requests per minute",
                retry_after=_retry_delay(details, exc),
            )
        if code in (400, 401, 403, 404):
            return ModelAccessError(self._access_message(code, status, message, details), code)
        if code == 408 or code >= 500 or code == 499:
            return ServiceError(
                f"Gemini service error {code} {status} for model {self.model}: {message}; "
                "try again later",
                status=code,
            )
        return ModelAccessError(
            f"Gemini refused the request ({code} {status}): {message}", status=code
        )

    def _access_message(self, code: int, status: str, message: str, details: list) -> str:
        reasons = {d.get("reason") for d in details if isinstance(d, dict)}
        if code == 404:
            return (
                f"model {self.model!r} was not found (HTTP 404): check the model name; "
                "the Gemini model list shows the names your key may use"
            )
        if "API_KEY_INVALID" in reasons or re.search(r"api key", message, re.I):
            return (
                f"the Gemini API key is invalid (HTTP {code} {status}): check GEMINI_API_KEY "
                "or the key you entered"
            )
        if code in (401, 403):
            return (
                f"the Gemini API key is not allowed to use model {self.model} "
                f"(HTTP {code} {status}): check the key, its project, and the model name"
            )
        return (
            f"Gemini rejected the request for model {self.model} (HTTP 400 {status}: "
            f"{message}): check the API key and the model name"
        )

    def _scrub(self, text: str) -> str:
        """One line, no trailing period, and never the key."""
        return " ".join(text.replace(self._key, "***").split()).rstrip(". ")


def _answer_text(response: types.GenerateContentResponse, *, structured: bool) -> str:
    """The answer's text, or the typed error that says why there is none."""
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        raise BlockedAnswerError(_enum_name(feedback.block_reason))
    candidate = (response.candidates or [None])[0]
    if candidate is None:
        raise EmptyAnswerError("no candidates")
    finish = _enum_name(candidate.finish_reason) if candidate.finish_reason else ""
    if finish in _BLOCKING_FINISH:
        raise BlockedAnswerError(finish)
    text = response.text or ""
    if not text.strip():
        raise EmptyAnswerError(finish or "no text")
    if structured and finish == "MAX_TOKENS":
        raise EmptyAnswerError("MAX_TOKENS: the structured answer was cut off")
    return text


def _usage(response: types.GenerateContentResponse) -> Usage:
    meta = response.usage_metadata
    if meta is None:
        return Usage()
    return Usage(
        input_tokens=meta.prompt_token_count or 0,
        cached_tokens=meta.cached_content_token_count or 0,
        output_tokens=meta.candidates_token_count or 0,
        thinking_tokens=meta.thoughts_token_count or 0,
    )


def _enum_name(value: Any) -> str:
    return str(getattr(value, "value", value))


def _error_details(exc: genai_errors.APIError) -> list:
    body = exc.details
    if isinstance(body, dict):
        body = body.get("error", body)
        details = body.get("details") if isinstance(body, dict) else None
        if isinstance(details, list):
            return details
    return []


def _daily_quota(details: list) -> bool:
    for detail in details:
        if not isinstance(detail, dict) or not detail.get("@type", "").endswith("QuotaFailure"):
            continue
        for violation in detail.get("violations") or []:
            names = f"{violation.get('quotaId', '')} {violation.get('quotaMetric', '')}"
            if "perday" in names.lower():
                return True
    return False


def _retry_delay(details: list, exc: genai_errors.APIError) -> float | None:
    """Seconds from google.rpc.RetryInfo ("2s", "1.5s"), else from a Retry-After header."""
    for detail in details:
        if isinstance(detail, dict) and detail.get("@type", "").endswith("RetryInfo"):
            match = re.fullmatch(r"\s*([\d.]+)s\s*", str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    headers = getattr(getattr(exc, "response", None), "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
