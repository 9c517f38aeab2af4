"""One limiter per API key and model, shared by every worker and job in the process.

Each running job holds a `Lease` on the limiter with its own caps; while several jobs share
it, the stricter of their caps applies, and when a job leaves its caps (and any pause its
429s caused) leave with it. How a request gets a slot (all under one condition variable):

1. **Pause** - after a 429 everyone waits until the server's retry delay has passed,
   so one rate-limit answer does not turn into one per worker. The pause belongs to the
   job that got the 429 and ends early when that job ends (e.g. it was cancelled).
2. **Concurrency** - at most `limit` requests in flight. The limit halves on every 429
   and grows back by one per `limit` successes (additive increase, multiplicative
   decrease), never above the smallest worker count of the jobs sharing the limiter.
3. **Request and token windows** - optional caps on requests and input tokens started in
   any sliding window (60 s for per-minute quotas). A sliding log, not a token bucket,
   because a bucket's burst can exceed a server's sliding-window cap. The window is
   stretched by a small margin because the server counts arrivals, not our starts.
   A fractional cap (0.5 per minute) becomes one request per proportionally longer window.
   The log is a `Window`: `SlidingLog` in this process, or, with `GEMINITEACHER_REDIS_URL`
   set, `geminiteacher.engine.redislimit.RedisWindow`, which also shares the pause after a 429
   with every process on the same quota (concurrency always stays per process).

The limiter never sleeps past a cancel: waiting polls the cancel event.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

from geminiteacher.engine.caps import REDIS_URL, Caps, stricter
from geminiteacher.errors import CancelledError

_POLL = 0.2
class Window(Protocol):
    """Where request and token starts are counted against the caps, and 429 pauses shared."""

    def admit(self, caps: Caps, tokens: int, now: float) -> float:
        """Count a start of `tokens` and return 0 if `caps` allow it now, else the seconds
        to wait (counting nothing)."""

    def pause(self, seconds: float) -> None:
        """Share a 429's pause beyond this process (a no-op where nothing is shared)."""


class SlidingLog:
    """The in-process window: a log of this process's starts and their tokens."""

    def __init__(self) -> None:
        self._starts: deque[tuple[float, int]] = deque()

    def admit(self, caps: Caps, tokens: int, now: float) -> float:
        span = caps.span()
        while self._starts and self._starts[0][0] <= now - span:
            self._starts.popleft()
        if caps.requests and len(self._starts) >= caps.requests:
            index = len(self._starts) - int(caps.requests)
            return self._starts[index][0] + span - now
        if caps.tokens and self._starts:
            used = sum(t for _, t in self._starts)
            if used + tokens > caps.tokens:
                return self._starts[0][0] + span - now
        self._starts.append((now, tokens))
        return 0.0

    def pause(self, seconds: float) -> None:
        """Pauses in one process live in the limiter and its leases."""


class Lease:
    """One job's hold on a shared limiter; `close()` when the job ends."""

    def __init__(self, limiter: Limiter, caps: Caps) -> None:
        self.limiter = limiter
        self.caps = caps
        self.paused_until = 0.0

    def slot(self, tokens: int = 0, cancel: threading.Event | None = None
             ) -> AbstractContextManager[None]:
        return self.limiter.slot(tokens, cancel)

    def on_success(self) -> None:
        self.limiter.on_success()

    def on_rate_limited(self, pause: float) -> None:
        self.limiter.on_rate_limited(pause, self)

    def close(self) -> None:
        self.limiter.leave(self)


class Limiter:
    """Gatekeeper for the requests that draw on one quota."""

    def __init__(
        self,
        max_concurrency: int = 4,
        requests_per_window: float | None = None,
        tokens_per_window: float | None = None,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        log: Window | None = None,
    ) -> None:
        self._cond = threading.Condition()
        self._clock = clock
        self.log = log or SlidingLog()
        self._default = Caps(max(1, max_concurrency), requests_per_window, tokens_per_window,
                             window)
        self._leases: list[Lease] = []
        self.caps = self._default.whole_requests()
        self.ceiling = self.caps.concurrency
        self.limit = float(self.ceiling)
        self.in_flight = 0
        self.paused_until = 0.0  # 429s of callers without a lease
        self.peak_in_flight = 0

    def join(self, caps: Caps) -> Lease:
        """A lease for a job with `caps`; the stricter caps of all holders apply."""
        lease = Lease(self, caps)
        with self._cond:
            self._leases.append(lease)
            self._adopt()
        return lease

    def leave(self, lease: Lease) -> None:
        with self._cond:
            if lease in self._leases:
                self._leases.remove(lease)
                self._adopt()

    def _adopt(self) -> None:
        """Recompute the caps in force from the current leases (caller holds the lock)."""
        caps = stricter([lease.caps for lease in self._leases]) if self._leases \
            else self._default
        self.caps = caps.whole_requests()
        grown = self.caps.concurrency - self.ceiling
        self.ceiling = self.caps.concurrency
        self.limit = max(1.0, min(float(self.ceiling), self.limit + max(0, grown)))
        self._cond.notify_all()

    def _pause_end(self) -> float:
        return max([self.paused_until, *(lease.paused_until for lease in self._leases)])

    def _try_start(self, tokens: int, now: float) -> float:
        """Start a request of `tokens` and return 0, or return the seconds until it may."""
        paused = self._pause_end()
        if now < paused:
            return paused - now
        if self.in_flight >= max(1, int(self.limit)):
            return _POLL
        return self.log.admit(self.caps, tokens, now)

    @contextmanager
    def slot(self, tokens: int = 0, cancel: threading.Event | None = None) -> Iterator[None]:
        """Hold one request slot for the duration of the block."""
        with self._cond:
            while True:
                if cancel is not None and cancel.is_set():
                    raise CancelledError("the course was cancelled")
                now = self._clock()
                wait = self._try_start(tokens, now)
                if wait <= 0:
                    break
                self._cond.wait(min(wait, _POLL))
            self.in_flight += 1
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

    def on_rate_limited(self, pause: float, lease: Lease | None = None) -> None:
        """Pause everyone for `pause` seconds (for as long as `lease` holds) and halve
        concurrency."""
        with self._cond:
            until = self._clock() + pause
            if lease is None:
                self.paused_until = max(self.paused_until, until)
            else:
                lease.paused_until = max(lease.paused_until, until)
            self.limit = max(1.0, self.limit / 2)
            self.log.pause(pause)


class LimiterRegistry:
    """The process-wide map from a quota identity (key hash + model) to its limiter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._limiters: dict[tuple[str, str | None], Limiter] = {}

    def join(self, key: str, caps: Caps, shared: bool = True) -> Lease:
        """A lease on the limiter for `key` (created on first use) with this job's caps.

        With `shared` and `GEMINITEACHER_REDIS_URL` set, the limiter's window and pauses
        live in that Redis (a `SettingsError` if it cannot be used); otherwise, and without
        the variable, they stay in this process and nothing touches Redis.
        """
        url = (os.environ.get(REDIS_URL, "").strip() or None) if shared else None
        with self._lock:
            limiter = self._limiters.get((key, url))
            if limiter is None:
                log = None
                if url:
                    from geminiteacher.engine.redislimit import RedisWindow  # redis: only here

                    log = RedisWindow(url, key)
                limiter = self._limiters[(key, url)] = Limiter(
                    caps.concurrency, caps.requests, caps.tokens, caps.window, log=log)
        return limiter.join(caps)


LIMITERS = LimiterRegistry()
