"""Engines that write courses. Each implements `Engine`; `resolve_engine` picks one."""

from __future__ import annotations

import os

from geminiteacher.backends.base import Engine
from geminiteacher.errors import SettingsError
from geminiteacher.models import CourseSettings

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


__all__ = ["KEY_VARIABLES", "Engine", "configured_api_key", "resolve_engine"]
