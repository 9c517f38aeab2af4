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


def resolve_engine(settings: CourseSettings, api_key: str | None = None) -> Engine:
    """The engine `settings.engine` asks for; "auto" means Gemini when a key is configured."""
    key = configured_api_key(api_key)
    if settings.engine == "offline" or (settings.engine == "auto" and key is None):
        from geminiteacher.backends.offline import OfflineEngine

        return OfflineEngine()
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


__all__ = ["KEY_VARIABLES", "Engine", "configured_api_key", "prewarm", "resolve_engine"]
