"""The Gemini transport: one google-genai call per prompt, and the GeminiEngine built on it.

Calls go through the process-wide client of `client.py` (one per key, base URL and API
version, SDK retries off); the model's facts and the parameters it rejected are kept beside
that client. Every failure leaves here as a `geminiteacher.errors` type whose message never
contains the key.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NoReturn

from google.genai import errors as genai_errors
from google.genai import types

from geminiteacher.backends.gemini.answers import read_answer
from geminiteacher.backends.gemini.batch import GeminiBatchJobs
from geminiteacher.backends.gemini.cache import CourseCache
from geminiteacher.backends.gemini.client import BASE_URL_ENV, shared_client
from geminiteacher.backends.gemini.facts import ModelFacts, picker_order
from geminiteacher.backends.gemini.files import CourseFiles, files_gone
from geminiteacher.backends.gemini.media_tokens import estimate_media_tokens
from geminiteacher.backends.gemini.request import (
    build_request,
    drop_note,
    rejected_parameter,
    setting_notes,
)
from geminiteacher.backends.pricing import expected_hours, wants_cache
from geminiteacher.backends.prompted import PromptedEngine
from geminiteacher.backends.prompts import Prompt
from geminiteacher.backends.transport import Answer, BatchJobs, Transport
from geminiteacher.errors import (
    EngineError,
    ModelAccessError,
    QuotaExhaustedError,
    RateLimitedError,
    ServiceError,
)
from geminiteacher.models import DEFAULT_MODEL, MEDIA_KINDS, CourseSettings, MediaPart

FACTS_RETRY_SECONDS = 60.0  # how long "the API could not say" is believed before asking again


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


class GeminiTransport(Transport):
    """Sends prompts to one Gemini model through the google-genai SDK. Thread-safe."""

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
        self._shared = shared_client(self._key, self.base_url)
        self._client = self._shared.client
        self._key_id = hashlib.sha256(self._key.encode()).hexdigest()[:12]
        self._caches: dict[tuple[str, str], CourseCache] = {}
        self._files: dict[str, CourseFiles] = {}  # media hash -> the uploads holding it
        self._caches_lock = threading.Lock()

    def __repr__(self) -> str:
        where = f", base_url={self.base_url!r}" if self.base_url else ""
        return f"GeminiTransport(model={self.model!r}{where}, timeout={self.timeout:g})"

    @property
    def limiter_key(self) -> str:
        return f"{self.name}:{self.model}:key-{self._key_id}"

    # -- model facts --------------------------------------------------------------------------

    def facts(self) -> ModelFacts:
        """This model's facts from `models.get`, cached per key and model for the process
        (asked once at a time: a caller arriving while they are being read waits for them)."""
        with self._shared.asking_about(self.model):
            with self._shared.lock:
                cached = self._shared.facts.get(self.model)
            if cached is not None and (cached[0].known
                                       or time.monotonic() - cached[1] < FACTS_RETRY_SECONDS):
                return cached[0]
            return self._read_facts()

    def _read_facts(self) -> ModelFacts:
        config = types.GetModelConfig(http_options=self._http_options())
        try:
            facts = ModelFacts.from_api(self._client.models.get(model=self.model,
                                                                config=config))
            facts = ModelFacts(**{**facts.__dict__, "name": self.model})
        except genai_errors.APIError as exc:
            if self._refuses_outright(exc):
                raise self._api_error(exc) from exc
            facts = ModelFacts(self.model)
        except Exception:  # a gateway without /models, or no network: generation may still work
            facts = ModelFacts(self.model)
        with self._shared.lock:
            self._shared.facts[self.model] = (facts, time.monotonic())
        return facts

    def warm(self) -> None:
        """Do ahead what a first call would otherwise pay for: read the model's facts, shape
        one request and read one answer (the SDK's types build their validators on first
        use: a third of a second)."""
        build_request(Prompt("", ("",), {"type": "object"}), CourseSettings(), self.facts(),
                      set(), self._http_options())
        types.GenerateContentResponse.model_validate(
            {"candidates": [{"content": {"role": "model", "parts": [{"text": "{}"}]},
                             "finish_reason": "STOP"}],
             "usage_metadata": {"prompt_token_count": 1, "candidates_token_count": 1}})

    def _refuses_outright(self, exc: genai_errors.APIError) -> bool:
        """Whether a failed `models.get` already says no call can work: the key is invalid, or
        the model is missing from the key's model list (a gateway without `/models` says
        neither, so generation is still tried there)."""
        if exc.code in (400, 401, 403):
            return _refuses_key(exc)
        if exc.code != 404:
            return False
        try:
            return self.model not in self.list_models()
        except EngineError:
            return False

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
        return self.facts().context_window()

    def list_models(self) -> list[str]:
        """Models this key may generate with: aliases first, then newest first.

        Raises ModelAccessError when the server refuses the key (so a page can say so before
        anything is generated), ServiceError when the list is not available (e.g. a gateway
        without /models, or no network).
        """
        config = types.ListModelsConfig(page_size=100, http_options=self._http_options())
        try:
            found = [ModelFacts.from_api(m) for m in self._client.models.list(config=config)]
        except genai_errors.APIError as exc:
            if _refuses_key(exc):
                raise self._api_error(exc) from exc
            where = self.base_url or "the Gemini API"
            raise ServiceError(f"the model list is not available from {where} "
                               f"(HTTP {exc.code}); type a model name instead") from exc
        except (*_REQUEST_ERRORS, ValueError) as exc:
            where = self.base_url or "the Gemini API"
            raise ServiceError(f"the model list is not available from {where} "
                               f"({type(exc).__name__}); type a model name instead") from exc
        now = time.monotonic()
        with self._shared.lock:
            for facts in found:
                self._shared.facts.setdefault(facts.name, (facts, now))
        return [facts.name for facts in picker_order(found)]

    def notes(self, settings: CourseSettings) -> list[str]:
        return setting_notes(settings, self.facts(), self.dropped())

    def dropped(self) -> set[str]:
        """The parameters this model rejected in this process (left out of every request)."""
        with self._shared.lock:
            return set(self._shared.dropped.get(self.model, ()))

    # -- batch jobs ---------------------------------------------------------------------------

    def batch_jobs(self, prefix: tuple[str, str]) -> BatchJobs | None:
        """Gemini's Batch API for this model, or None when its facts say it has none."""
        facts = self.facts()
        if facts.is_gemma or (facts.known and "batchGenerateContent" not in facts.actions):
            return None
        return GeminiBatchJobs(self, prefix)

    # -- explicit caching ---------------------------------------------------------------------

    def caches_worth_trying(self, prefix: tuple[str, str], settings: CourseSettings,
                            calls: int, media: Sequence[MediaPart] = ()) -> bool:
        """Whether to make an explicit cache: asked for, or `auto` and it pays for itself."""
        if not self.caches_at_all():
            return False
        tokens = (len(prefix[0]) + len(prefix[1]) + 3) // 4 + sum(
            self.media_tokens(item, settings.media_resolution) for item in media)
        return wants_cache(tokens, calls, settings, self.model)

    def caches_at_all(self) -> bool:
        """Whether this model has explicit caching (its facts say so, or are unknown)."""
        facts = self.facts()
        return not (facts.is_gemma or (facts.known
                                       and "createCachedContent" not in facts.actions))

    # -- media --------------------------------------------------------------------------------

    @property
    def media_kinds(self) -> frozenset[str]:  # type: ignore[override]
        """Gemini reads every kind of media natively (Gemma models: none)."""
        return frozenset() if self.facts().is_gemma else frozenset(MEDIA_KINDS)

    def media_tokens(self, item: MediaPart, resolution: str = "auto") -> int:
        """Gemini's count once the file is uploaded in a running course, else the estimate."""
        with self._caches_lock:
            files = self._files.get(item.sha256)
        counted = files.tokens(item) if files is not None else None
        return counted if counted is not None \
            else estimate_media_tokens(item, resolution, self.model)

    def _count_part(self, part: types.Part, resolution: str = "auto") -> int | None:
        """Gemini's count of one uploaded part, at the course's media resolution where the
        model takes it per part (countTokens on the Developer API takes no generation config,
        so 2.5 models are counted at their default)."""
        if resolution != "auto" and self.facts().sets_resolution_per_part:
            part = part.model_copy(update={"media_resolution": types.PartMediaResolution(
                level=f"MEDIA_RESOLUTION_{resolution.upper()}")})
        try:
            result = self._client.models.count_tokens(
                model=self.model, contents=[types.Content(role="user", parts=[part])],
                config=types.CountTokensConfig(http_options=self._http_options()))
            return result.total_tokens
        except Exception:  # a count is a nicety: the estimate stands in
            return None

    def _media_parts(self, prompt: Prompt) -> list[types.Part]:
        parts = []
        for item in prompt.media:
            with self._caches_lock:
                files = self._files.get(item.sha256)
            if files is None:
                raise ServiceError(f"{item.name} is not uploaded to Gemini; media are read "
                                   "only inside a course run")
            parts.append(files.part(item))
        return parts

    @contextlib.contextmanager
    def course_context(
        self,
        prefix: tuple[str, str],
        settings: CourseSettings,
        *,
        calls: int,
        saved: Mapping[str, Any],
        save: Callable[[dict[str, Any]], None],
        media: Sequence[MediaPart] = (),
        saved_files: Mapping[str, Any] | None = None,
        save_files: Callable[[dict[str, Any]], None] | None = None,
    ) -> Iterator[list[str]]:
        """The course's media in the Files API (uploaded once, deleted at the end; not at all
        when the course has no call left to make) and an explicit cache of the course's
        prefix while it runs, when it is worth one."""
        with contextlib.ExitStack() as held:
            files = CourseFiles(self._client, self._http_options(), media, saved_files,
                                save_files, functools.partial(
                                    self._count_part, resolution=settings.media_resolution)
                                ) if media and calls else None
            if files is not None:
                held.callback(self._forget_files, files)
                with self._caches_lock:
                    self._files.update({item.sha256: files for item in media})
                files.open()
            notes = []
            if not self.caches_worth_trying(prefix, settings, calls, media):
                if media and not self.caches_at_all():
                    notes.append(f"model {self.model} has no explicit caching: its media are "
                                 "sent with every call (Gemini's implicit caching may bill "
                                 "repeats for less)")
                yield notes
                return
            ttl = expected_hours(calls, settings.max_workers) * 3600
            # a cache holds each part at its own resolution, which only Gemini 3+ accepts
            resolution = settings.media_resolution \
                if self.facts().sets_resolution_per_part else "auto"
            media_parts = [files.part(item, resolution) for item in media] if files else []
            audio = sum(self.media_tokens(item, resolution) for item in media
                        if item.kind == "audio")
            cache = CourseCache(self._client, self.model, *prefix, self._http_options(), ttl,
                                dict(saved), save, media_parts, audio)
            with self._caches_lock:
                self._caches[prefix] = cache
            try:
                yield notes
            finally:
                with self._caches_lock:
                    self._caches.pop(prefix, None)
                cache.close()

    def _forget_files(self, files: CourseFiles) -> None:
        with self._caches_lock:
            for sha in [sha for sha, held in self._files.items() if held is files]:
                del self._files[sha]
        files.close()

    def _cache_for(self, prompt: Prompt) -> CourseCache | None:
        if not prompt.parts:
            return None
        with self._caches_lock:
            return self._caches.get((prompt.system, prompt.parts[0]))

    # -- one call -----------------------------------------------------------------------------

    def _http_options(self) -> types.HttpOptions:
        return types.HttpOptions(timeout=int(self.timeout * 1000))

    def generate(self, prompt: Prompt, settings: CourseSettings) -> Answer:
        """One call; a parameter the model rejects with a 400 is dropped and the call retried."""
        facts = self.facts()
        dropped = self.dropped()
        notes: list[str] = []
        cache = self._cache_for(prompt)
        name = cache.current(wait=not prompt.urgent) if cache else None
        if cache is not None and cache.note:
            notes.append(self._scrub(cache.note))
        replaced = renewed = False
        while True:
            request = build_request(prompt, settings, facts, dropped, self._http_options(),
                                    name, self._media_parts(prompt))
            try:
                response = self._client.models.generate_content(
                    model=self.model, contents=request.contents, config=request.config
                )
            except genai_errors.APIError as exc:
                if cache is not None and name is not None and not replaced and _cache_gone(exc):
                    name, replaced = cache.replace(), True
                    continue
                if prompt.media and not renewed and exc.code in (400, 403, 404) \
                        and files_gone(exc.message or ""):
                    self._renew_files(prompt)
                    renewed = True
                    continue
                rejected = rejected_parameter(exc.message or "", request.sent) \
                    if exc.code == 400 else None
                if rejected is None:
                    self._reraise(exc)
                dropped.add(rejected)
                with self._shared.lock:
                    self._shared.dropped.setdefault(self.model, set()).add(rejected)
                notes.append(drop_note(self.model, rejected, self._scrub(exc.message or "")))
                continue
            except Exception as exc:
                self._reraise(exc)
            return read_answer(response, request.config.response_json_schema is not None,
                               notes)

    def _renew_files(self, prompt: Prompt) -> None:
        """Upload again the files Gemini lost (expired or deleted) under a running course."""
        with self._caches_lock:
            held = {id(f): f for item in prompt.media
                    if (f := self._files.get(item.sha256)) is not None}
        for files in held.values():
            files.renew()

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
        raise ServiceError(
            f"Gemini's answer could not be read ({type(exc).__name__}: "
            f"{self._scrub(str(exc))[:200]}); try again later"
        ) from exc

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
            advice = "" if re.search(r"try again", message, re.I) else "; try again later"
            return ServiceError(
                f"Gemini service error {code} {status} for model {self.model}: {message}"
                f"{advice}",
                status=code,
            )
        return ModelAccessError(
            f"Gemini refused the request ({code} {status}): {message}", status=code
        )

    def _access_message(self, code: int, status: str, message: str, details: list) -> str:
        reasons = {d.get("reason") for d in details if isinstance(d, dict)}
        if code == 404:
            return (
                f"model {self.model!r} is not available to this key (HTTP 404: retired or "
                f"misspelled); {self._alternatives()}"
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
        return f"Gemini rejected the request: {message} (HTTP {code} {status}, model {self.model})"

    def _alternatives(self) -> str:
        """The names this key can use instead, best effort, for a 404's message."""
        try:
            names = self.list_models()
        except EngineError:
            return "check the name against the models your key may use"
        shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
        return f"models you can use: {shown}" if names else "no models are listed for this key"

    def _scrub(self, text: str) -> str:
        """One line, no trailing period, and never the key."""
        return " ".join(text.replace(self._key, "***").split()).rstrip(". ")


def _refuses_key(exc: genai_errors.APIError) -> bool:
    """Whether Gemini's answer says the API key itself is invalid."""
    if exc.code not in (400, 401, 403):
        return False
    reasons = {d.get("reason") for d in _error_details(exc) if isinstance(d, dict)}
    return "API_KEY_INVALID" in reasons or bool(re.search(r"api key", exc.message or "", re.I))


def _cache_gone(exc: genai_errors.APIError) -> bool:
    """Gemini's answer when a named cache expired or was deleted."""
    return exc.code in (403, 404) and "cachedcontent" in (exc.message or "").lower()


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


class GeminiEngine(PromptedEngine):
    """Writes courses with a Gemini model: the course tasks over a `GeminiTransport`."""

    transport: GeminiTransport

    def __init__(
        self,
        api_key: str,
        model: str = DEFAULT_MODEL,
        *,
        base_url: str | None = None,
        timeout: float = 180.0,
    ) -> None:
        super().__init__(GeminiTransport(api_key, model, base_url=base_url, timeout=timeout))

    def facts(self) -> ModelFacts:
        return self.transport.facts()

    def list_models(self) -> list[str]:
        return self.transport.list_models()
