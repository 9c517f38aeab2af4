"""Engines that write courses. Each implements `Engine`; `resolve_engine` picks one."""

from __future__ import annotations

import contextlib
import os
import threading

from geminiteacher.backends.base import Engine
from geminiteacher.errors import SettingsError
from geminiteacher.models import DEFAULT_MODEL, CourseSettings

PREWARM_ENV = "GEMINITEACHER_PREWARM"

KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY")


def configured_api_key(api_key: str | None = None) -> str | None:
    """The key to use: the one given, else GEMINI_API_KEY, else GOOGLE_API_KEY."""
    if api_key and api_key.strip():
        return api_key.strip()
    for name in KEY_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def chosen_engine(settings: CourseSettings, api_key: str | None = None) -> str:
    """The engine `settings.engine` names; "auto" means Gemini when a Gemini key is
    configured, else an OpenAI-compatible server when OPENAI_BASE_URL (or `base_url`) is set,
    else offline."""
    if settings.engine != "auto":
        return settings.engine
    if configured_api_key(api_key) is not None:
        return "gemini"
    from geminiteacher.backends.openai import configured_base_url

    return "openai" if configured_base_url(settings.base_url) else "offline"


def resolve_engine(settings: CourseSettings, api_key: str | None = None) -> Engine:
    """The engine `chosen_engine` picks. For "openai", `api_key` (else OPENAI_API_KEY) is
    the server's key, optional for local servers."""
    engine = chosen_engine(settings, api_key)
    if engine == "offline":
        from geminiteacher.backends.offline import OfflineEngine

        return OfflineEngine()
    if engine == "openai":
        from geminiteacher.backends.openai import OpenAIEngine, configured_base_url

        model = None if settings.model_name == DEFAULT_MODEL else settings.model_name
        return OpenAIEngine(model, base_url=configured_base_url(settings.base_url),
                            api_key=api_key, timeout=settings.request_timeout,
                            context_window=settings.context_window)
    key = configured_api_key(api_key)
    if key is None:
        raise SettingsError(
            "engine 'gemini' needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), "
            "or choose the offline engine"
        )
    from geminiteacher.backends.gemini import GeminiEngine

    return GeminiEngine(key, settings.model_name, timeout=settings.request_timeout)


def prewarm(api_key: str | None = None, model: str | None = None) -> threading.Thread | None:
    """Get Gemini ready in a background thread while the caller does other work: import the
    SDK, build the shared client, read the model's facts (`models.get`) and shape one request,
    so a course's first request need not wait for any of it. Nothing happens without a
    configured key, or with GEMINITEACHER_PREWARM=0; failures are left for the course itself
    to report."""
    key = configured_api_key(api_key)
    if key is None or os.environ.get(PREWARM_ENV, "").strip() == "0":
        return None

    def warm() -> None:
        with contextlib.suppress(Exception):  # the course asks again and says what is wrong
            from geminiteacher.backends.gemini import GeminiTransport

            GeminiTransport(key, (model or "").strip() or DEFAULT_MODEL).warm()

    thread = threading.Thread(target=warm, name="geminiteacher-prewarm", daemon=True)
    thread.start()
    return thread


__all__ = ["KEY_VARIABLES", "Engine", "chosen_engine", "configured_api_key", "prewarm",
           "resolve_engine"]
