"""One `openai.OpenAI` client per (base URL, key), shared by every thread, and what was
learnt beside it about the server's models.

The SDK's own retries are off (`max_retries=0`): `geminiteacher.engine.retrying` is the only
retry layer. Without a key the client sends a placeholder, which local servers (Ollama, vLLM,
LM Studio, llama.cpp) ignore and a server that needs one answers with a 401.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import openai

BASE_URL_ENV = "OPENAI_BASE_URL"
KEY_ENV = "OPENAI_API_KEY"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
NO_KEY = "no-key"  # sent when no key is configured: local servers need none
_MAX_CLIENTS = 16


def configured_base_url(given: str | None = None) -> str | None:
    """The server to use: the one given, else OPENAI_BASE_URL (None when neither is set)."""
    from geminiteacher.models import checked_base_url

    for value in (given, os.environ.get(BASE_URL_ENV)):
        if value and value.strip():
            return checked_base_url(value)
    return None


def configured_key(given: str | None = None) -> str | None:
    """The key to use: the one given, else OPENAI_API_KEY (None for a keyless local server)."""
    for value in (given, os.environ.get(KEY_ENV)):
        if value and value.strip():
            return value.strip()
    return None


def is_loopback(base_url: str) -> bool:
    """Whether `base_url` names this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_root(base_url: str) -> str:
    """The server's own root, for the vendor endpoints beside the OpenAI ones (`/api/...`)."""
    return base_url.rstrip("/").removesuffix("/v1")


@dataclass
class Server:
    """The client for one server and key, and what was learnt about its models: their facts
    (`facts.ModelFacts`), the answer format each accepts, and the parameters each refused."""

    client: openai.OpenAI
    facts: dict[str, tuple[Any, float]] = field(default_factory=dict)
    formats: dict[str, int] = field(default_factory=dict)  # model -> index in FORMATS
    dropped: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_servers: OrderedDict[tuple[str, str], Server] = OrderedDict()
_servers_lock = threading.Lock()


def shared_server(base_url: str, api_key: str | None) -> Server:
    """The process-wide client for this server and key (SDK retries off)."""
    key = (base_url, api_key or "")
    with _servers_lock:
        server = _servers.get(key)
        if server is None:
            server = Server(openai.OpenAI(base_url=base_url, api_key=api_key or NO_KEY,
                                          max_retries=0))
            _servers[key] = server
            while len(_servers) > _MAX_CLIENTS:
                _servers.popitem(last=False)
        _servers.move_to_end(key)
        return server
