"""A job's rate caps, and the variable that shares them through Redis.

Both the in-process limiter (`ratelimit`) and the Redis windows (`redislimit`) read these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

REDIS_URL = "GEMINITEACHER_REDIS_URL"


@dataclass(frozen=True)
class Caps:
    """One job's limits: requests in flight, and optional requests/tokens per `window` s."""

    concurrency: int = 4
    requests: float | None = None
    tokens: float | None = None
    window: float = 60.0

    def whole_requests(self) -> Caps:
        """The same rate with a whole number of requests per window (0.5/60 s -> 1/120 s)."""
        if not self.requests or float(self.requests).is_integer():
            return self
        whole = max(1, math.floor(self.requests))
        stretch = whole / self.requests
        tokens = self.tokens * stretch if self.tokens else self.tokens
        return Caps(self.concurrency, whole, tokens, self.window * stretch)

    def span(self) -> float:
        """The window as counted: stretched by a margin, since the server counts arrivals."""
        return self.window + min(1.0, 0.02 * self.window + 0.05)


def stricter(caps: list[Caps]) -> Caps:
    """Caps no looser than any of `caps`: the fewest workers, requests and tokens, over the
    longest window of the capped ones."""
    requests = [c.requests for c in caps if c.requests]
    tokens = [c.tokens for c in caps if c.tokens]
    capped = [c.window for c in caps if c.requests or c.tokens]
    return Caps(min(c.concurrency for c in caps), min(requests, default=None),
                min(tokens, default=None), max(capped or [c.window for c in caps]))
