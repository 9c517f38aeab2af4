"""Any OpenAI-compatible chat server through the official `openai` SDK: the shared client,
what the server says about its models, its errors in errors.py's words, and the transport and
engine built on them."""

from geminiteacher.backends.openai.client import BASE_URL_ENV, KEY_ENV, configured_base_url
from geminiteacher.backends.openai.transport import OpenAIEngine, OpenAITransport

__all__ = ["BASE_URL_ENV", "KEY_ENV", "OpenAIEngine", "OpenAITransport", "configured_base_url"]
