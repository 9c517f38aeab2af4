"""One limiter per API key and model, shared by every worker and job in the process.

How a request gets a slot (all under one condition variable):

1. **Pause** - after a 429 everyone waits until the server's retry delay has passed,
   so one rate-limit answer does not turn into one per worker.
2. **Concurrency** - at most `limit` requests in flight. The limit halves on every 429
   and grows back by one per `limit` successes (additive increase, multiplicative
   decrease), never above the largest worker count any job asked for.
3. **Request and token windows** - optional caps on requests and input tokens started in
   any sliding window (60 s for per-minute quotas). A sliding log, not a token bucket,
   because a bucket's burst can exceed a server's sliding-window cap. The window is
   stretched by a small margin because the server counts arrivals, not our starts.

The limiter never sleeps past a cancel: waiting polls the cancel event.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from geminiteacher.errors import CancelledError

_POLL = 0.2


class Limiter:
    """Gatekeeper for the requests that draw on one quota."""

    def __init__(
        self,
        max_concurrency: int = 4,
        requests_per_window: float | None = None,
        tokens_per_window: float | None = None,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cond = threading.Condition()
        self._clock = clock
        self.ceiling = max(1, max_concurrency)
        self.limit = float(self.ceiling)
        self.requests_per_window = requests_per_window
        self.tokens_per_window = tokens_per_window
        self.window = window
        self.in_flight = 0
        self.paused_until = 0.0
        self._starts: deque[tuple[float, int]] = deque()
        self.peak_in_flight = 0

    def configure(
        self,
        max_concurrency: int,
        requests_per_window: float | None,
        tokens_per_window: float | None,
        window: float,
    ) -> None:
        """Adopt a job's caps. The worker ceiling only grows; the latest caps win."""
        with self._cond:
            if max_concurrency > self.ceiling:
                self.limit += max_concurrency - self.ceiling
                self.ceiling = max_concurrency
            self.requests_per_window = requests_per_window
            self.tokens_per_window = tokens_per_window
            self.window = window
            self._cond.notify_all()

    def _wait_needed(self, tokens: int, now: float) -> float:
        """Seconds until a request of `tokens` may start; 0 when it may start now."""
        if now < self.paused_until:
            return self.paused_until - now
        if self.in_flight >= max(1, int(self.limit)):
            return _POLL
        window = self.window + min(1.0, 0.02 * self.window + 0.05)
        while self._starts and self._starts[0][0] <= now - window:
            self._starts.popleft()
        if self.requests_per_window and len(self._starts) >= self.requests_per_window:
            index = len(self._starts) - int(self.requests_per_window)
            return self._starts[index][0] + window - now
        if self.tokens_per_window and self._starts:
            used = sum(t for _, t in self._starts)
            if used + tokens > self.tokens_per_window:
                return self._starts[0][0] + window - now
        return 0.0

    @contextmanager
    def slot(self, tokens: int = 0, cancel: threading.Event | None = None) -> Iterator[None]:
        """Hold one request slot for the duration of the block."""
        with self._cond:
            while True:
                if cancel is not None and cancel.is_set():
                    raise CancelledError("the course was cancelled")
                now = self._clock()
                wait = self._wait_needed(tokens, now)
                if wait <= 0:
                    break
                self._cond.wait(min(wait, _POLL))
            self.in_flight += 1
            self._starts.append((now, tokens))
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    def on_success(self) -> None:
        """Grow the concurrency limit slowly back towards the ceiling."""
        with self._cond:
            self.limit = min(float(self.ceiling), self.limit + 1.0 / max(self.limit, 1.0))

    def on_rate_limited(self, pause: float) -> None:
        """Pause everyone for `pause` seconds and halve concurrency."""
        with self._cond:
            self.paused_until = max(self.paused_until, self._clock() + pause)
            self.limit = max(1.0, self.limit / 2)


class LimiterRegistry:
    """The process-wide map from a quota identity (key hash + model) to its limiter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limiters: dict[str, Limiter] = {}

    def get(
        self,
        key: str,
        max_concurrency: int = 4,
        requests_per_window: float | None = None,
        tokens_per_window: float | None = None,
        window: float = 60.0,
    ) -> Limiter:
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = Limiter(max_concurrency, requests_per_window, tokens_per_window, window)
                self._limiters[key] = limiter
            else:
                limiter.configure(max_concurrency, requests_per_window, tokens_per_window, window)
            return limiter


LIMITERS = LimiterRegistry()
