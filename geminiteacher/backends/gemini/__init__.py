"""Google Gemini through the google-genai SDK: the shared client, model facts, one request's
shape, reading answers, the transport and engine built on them, explicit caches and batches.
"""

from geminiteacher.backends.gemini.client import shared_client
from geminiteacher.backends.gemini.transport import GeminiEngine, GeminiTransport

__all__ = ["GeminiEngine", "GeminiTransport", "shared_client"]
