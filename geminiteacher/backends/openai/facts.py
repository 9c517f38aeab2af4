"""What an OpenAI-compatible server says about its models: their names and context windows.

`/v1/models` lists the names everywhere; some servers add the window to each entry (vLLM's
`max_model_len`, OpenRouter's `context_length`, LM Studio's `max_context_length`). Where the
entry does not say, the vendor's own endpoint beside the OpenAI ones is asked, once: LM
Studio's `/api/v0/models`, Ollama's `/api/show` (`model_info`'s
`<architecture>.context_length`) and llama.cpp's `/props` (the `n_ctx` it serves with).
Those answers are untrusted: small reads, short timeouts.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from geminiteacher.backends.openai.client import server_root

DEFAULT_CONTEXT_WINDOW = 128_000  # tokens, when neither the server nor the settings say
WINDOW_FIELDS = ("max_model_len", "context_length", "max_context_length", "context_window")
PROBE_TIMEOUT = 5.0
PROBE_BYTES = 4_000_000


@dataclass(frozen=True)
class ModelFacts:
    """One model's facts: its input window and where it was read (`""` when nobody said)."""

    name: str
    window: int | None = None
    said_by: str = ""

    def context_window(self) -> int:
        return self.window or DEFAULT_CONTEXT_WINDOW


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else None


def entry_window(entry: dict[str, Any]) -> tuple[int | None, str]:
    """The window a `/v1/models` entry states, and the field that stated it."""
    for name in WINDOW_FIELDS:
        window = _positive(entry.get(name))
        if window:
            return window, name
    return None, ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failure: the key is never carried to another address."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _fetch(url: str, api_key: str | None, body: dict[str, Any] | None = None) -> Any:
    """JSON from a vendor endpoint, or None on any failure or redirect (it is only a
    hint)."""
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with _OPENER.open(request, timeout=PROBE_TIMEOUT) as response:
            return json.loads(response.read(PROBE_BYTES))
    except (OSError, ValueError, urllib.error.URLError):
        return None


def lmstudio_window(base_url: str, model: str, api_key: str | None) -> int | None:
    """LM Studio's `max_context_length` from its REST API's model list (`/api/v0/models`)."""
    found = _fetch(f"{server_root(base_url)}/api/v0/models", api_key)
    entries = found.get("data") if isinstance(found, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("id") == model:
            return _positive(entry.get("max_context_length"))
    return None


def ollama_window(base_url: str, model: str, api_key: str | None) -> int | None:
    """Ollama's `<architecture>.context_length` from `/api/show`."""
    found = _fetch(f"{server_root(base_url)}/api/show", api_key, {"model": model})
    info = found.get("model_info") if isinstance(found, dict) else None
    if not isinstance(info, dict):
        return None
    return next((_positive(v) for k, v in info.items()
                 if k.endswith(".context_length") and _positive(v)), None)


def llamacpp_window(base_url: str, model: str, api_key: str | None) -> int | None:
    """llama.cpp's serving context (`/props`: `default_generation_settings.n_ctx`)."""
    found = _fetch(f"{server_root(base_url)}/props", api_key)
    settings = found.get("default_generation_settings") if isinstance(found, dict) else None
    return _positive(settings.get("n_ctx")) if isinstance(settings, dict) else None


def vendor_window(base_url: str, model: str, api_key: str | None) -> tuple[int | None, str]:
    """The window from LM Studio's, Ollama's or llama.cpp's own endpoint, and which one
    said it."""
    for reader, said_by in ((lmstudio_window, "LM Studio's max_context_length"),
                            (ollama_window, "Ollama's model_info context_length"),
                            (llamacpp_window, "llama.cpp's n_ctx")):
        window = reader(base_url, model, api_key)
        if window:
            return window, said_by
    return None, ""
