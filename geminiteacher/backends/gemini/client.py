"""One google-genai Client per (API key, base URL, API version), shared by every thread.

HTTP connections stay open across calls, and beside each client live the model facts read
from the API and the parameters each model rejected. The API version is pinned (`v1beta`,
where explicit caches, batches and files live; `GOOGLE_GENAI_API_VERSION` overrides). The
SDK's own retries are off, because `geminiteacher.engine.retrying` is the only retry layer.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from google import genai
from google.genai import types

from geminiteacher.backends.gemini.facts import ModelFacts

BASE_URL_ENV = "GOOGLE_GEMINI_BASE_URL"
API_VERSION_ENV = "GOOGLE_GENAI_API_VERSION"
API_VERSION = "v1beta"
_MAX_CLIENTS = 16



def api_version() -> str:
    """The Gemini API version every call uses: `v1beta` unless GOOGLE_GENAI_API_VERSION says."""
    return os.environ.get(API_VERSION_ENV, "").strip() or API_VERSION


@dataclass
class SharedClient:
    """A Client for one key and base URL, with what was learnt about its models."""

    client: genai.Client
    facts: dict[str, tuple[ModelFacts, float]] = field(default_factory=dict)
    dropped: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    asking: dict[str, threading.Lock] = field(default_factory=dict)  # one `models.get` at a time

    def asking_about(self, model: str) -> threading.Lock:
        """The lock held while this model's facts are being read, so that a course starting
        during a prewarm waits for that answer instead of asking again."""
        with self.lock:
            return self.asking.setdefault(model, threading.Lock())


_clients: OrderedDict[tuple[str, str | None, str], SharedClient] = OrderedDict()
_clients_lock = threading.Lock()


def shared_client(api_key: str, base_url: str | None = None) -> SharedClient:
    """The process-wide client for this key, base URL and API version (SDK retries off)."""
    version = api_version()
    cache_key = (api_key, base_url, version)
    with _clients_lock:
        shared = _clients.get(cache_key)
        if shared is None:
            shared = SharedClient(genai.Client(
                vertexai=False,
                api_key=api_key,
                http_options=types.HttpOptions(
                    base_url=base_url, api_version=version,
                    retry_options=types.HttpRetryOptions(attempts=1),
                ),
            ))
            _clients[cache_key] = shared
            while len(_clients) > _MAX_CLIENTS:
                _clients.popitem(last=False)
        _clients.move_to_end(cache_key)
        return shared
