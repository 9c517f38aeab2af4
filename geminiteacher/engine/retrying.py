"""The one retry layer every model call goes through (outline, chapters, summary).

Rules, in order of precedence:
- the daily quota is spent (`QuotaExhaustedError`) or the key/model is wrong
  (`ModelAccessError`): raise at once, never retried;
- a 429 waits the server's RetryInfo delay (exponential backoff when it sent none) and
  pauses the whole limiter; it does not use up `max_retries` (the server said when to come
  back), but at most `RATE_LIMIT_RETRIES` of them are honoured per call, and a delay
  longer than `max_wait` fails the call at once (`RateLimitWaitError`) instead of sleeping;
- anything else retryable (empty or blocked answers, 408/5xx, timeouts, dropped
  connections) is retried `max_retries` times after a jittered exponential wait (`backoff`:
  10-50 % of `retry_delay` x 2^(n-1)).
Waits are interruptible by the cancel event, and so is the call itself: with a cancel event
`fn` runs in a daemon thread, and on cancel the caller stops waiting for it at once
(`CancelledError`). The request is abandoned, not closed: the SDK's shared HTTP client
serves every other course, so the thread blocked in it is left to finish in the
background and its answer is discarded (and so is what it cost, which is not known); no
new request starts. Tokens that failed attempts still cost are added to the reply's usage
(or to the final error's `usage`), so totals count them.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import replace

import tenacity

from geminiteacher.engine.ratelimit import Lease, Limiter
from geminiteacher.errors import (
    CancelledError,
    EngineError,
    RateLimitedError,
    RateLimitWaitError,
    describe,
)
from geminiteacher.models import Reply, Usage

RATE_LIMIT_RETRIES = 8
MAX_BACKOFF = 60.0
CANCEL_POLL = 0.05  # how often a caller waiting on a call looks at the cancel event

OnAttempt = Callable[[int], None]
OnWait = Callable[[int, float, str], None]


def call_with_retry(
    fn: Callable[[], Reply],
    *,
    max_retries: int = 3,
    retry_delay: float = 1.0,
    limiter: Limiter | Lease | None = None,
    tokens: int = 0,
    max_wait: float | None = None,
    on_attempt: OnAttempt | None = None,
    on_wait: OnWait | None = None,
    cancel: threading.Event | None = None,
) -> Reply:
    """Run `fn` under the limiter until it succeeds or the rules above give up.

    Raises the last `EngineError` when retries are exhausted, `CancelledError` on cancel.
    """
    failures = 0
    rate_limits = 0
    pause = 0.0  # how long the last 429 asks everyone to wait
    spent = Usage()  # what the failed attempts cost

    def send() -> Reply:
        if cancel is not None and cancel.is_set():
            raise CancelledError("the course was cancelled")
        if on_attempt is not None:
            on_attempt(failures + rate_limits + 1)
        return fn() if cancel is None else abandonable(fn, cancel)

    def attempt() -> Reply:
        nonlocal failures, rate_limits, pause, spent
        try:
            if limiter is None:
                reply = send()
            else:
                with limiter.slot(tokens, cancel):
                    reply = send()
        except RateLimitedError as exc:
            rate_limits += 1
            pause = exc.retry_after if exc.retry_after is not None else backoff(rate_limits,
                                                                                retry_delay)
            if max_wait is not None and pause > max_wait:
                raise RateLimitWaitError(pause, max_wait) from exc
            if limiter is not None:
                limiter.on_rate_limited(pause)
            raise
        except EngineError as exc:
            failures += 1
            if exc.usage is not None:
                spent = spent + exc.usage
            raise
        if limiter is not None:
            limiter.on_success()
        return reply if not spent.total else replace(reply, usage=spent + reply.usage)

    def should_stop(state: tenacity.RetryCallState) -> bool:
        if cancel is not None and cancel.is_set():
            return True
        return failures > max_retries or rate_limits > RATE_LIMIT_RETRIES

    def wait(state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimitedError):
            return pause
        return backoff(failures, retry_delay)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        if on_wait is not None and state.next_action is not None:
            error = state.outcome.exception() if state.outcome else None
            on_wait(state.attempt_number, state.next_action.sleep, describe(error))

    def sleep(seconds: float) -> None:
        if cancel is None:
            tenacity.nap.sleep(seconds)
        elif cancel.wait(seconds):
            raise CancelledError("the course was cancelled")

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda e: isinstance(e, EngineError) and e.retryable),
        stop=should_stop,
        wait=wait,
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except EngineError as exc:
        exc.usage = spent if spent.total else exc.usage
        raise


def abandonable(fn: Callable[[], Reply], cancel: threading.Event) -> Reply:
    """`fn()`, run in a daemon thread so that the caller can stop waiting when `cancel` is set
    (then `CancelledError`; the thread ends on its own and its result is dropped)."""
    outcome: list[Reply | BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:  # handed to the caller, whatever it is
            outcome.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="geminiteacher-call", daemon=True).start()
    while not done.wait(CANCEL_POLL):
        if cancel.is_set():
            raise CancelledError("the course was cancelled")
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def backoff(failures: int, retry_delay: float) -> float:
    """The wait before retry n: a random share (10-50 %) of retry_delay * 2^(n-1), capped.

    Chosen by `bench/retries.py` on the same fault sequences against plain exponential
    backoff with jitter (1.x's schedule), full jitter and a quarter-base exponential: the
    first retry of a 5xx or empty answer comes after 0.1-0.5 s (at the default 1 s delay),
    which is when a transient fault has usually passed, and the spread still parts the
    workers' retries. 429s wait what the server says instead.
    """
    return min(MAX_BACKOFF, retry_delay * 2 ** max(0, failures - 1) * random.uniform(0.1, 0.5))
