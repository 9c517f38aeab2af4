"""The request and token windows and the pause after a 429, shared through Redis by every
process that draws on one quota (the limiter key: API key hash + model), for
`GEMINITEACHER_REDIS_URL`.

The windows are pyrate-limiter `RedisBucket`s: a sliding log in a Redis sorted set that one
Lua script checks and fills atomically. The bucket stamps a start with the client's clock
before its script runs, so two processes starting at once could each miss the other's
entry; a short redis-py lock around stamp-and-count puts them in order. The pause is a
Redis key whose time to live is the pause. A start refused by the token cap after the
request cap admitted it still counts as a request: the shared limit errs on the strict side.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import redis
from pyrate_limiter import Rate, RateItem, RedisBucket

from geminiteacher.engine.caps import REDIS_URL, Caps
from geminiteacher.errors import ServiceError, SettingsError, describe

PREFIX = "geminiteacher:limit:"
TOKEN_UNIT = 100  # tokens per entry of the token log: a 4M-token cap is 40,000 entries


def where(url: str) -> str:
    """Host and port of a Redis URL, never its password."""
    try:
        parts = urlsplit(url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 6379}" if parts.scheme \
            else "an unreadable URL"
    except ValueError:
        return "an unreadable URL"


def connect(url: str) -> redis.Redis:
    """A client for `url` that has answered a PING; a one-line SettingsError if it cannot."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
        client.ping()
    except (ValueError, redis.RedisError) as exc:
        raise SettingsError(
            f"{REDIS_URL}: cannot use Redis at {where(url)} ({describe(exc)}): start Redis "
            "there, correct the URL (redis://HOST:PORT/DB), or unset it to limit each process "
            "on its own") from exc
    return client


class RedisWindow:
    """A `ratelimit.Window` kept in Redis, shared by every process using the same key."""

    def __init__(self, url: str, key: str) -> None:
        self._url = url
        self._client = connect(url)
        self._key = PREFIX + key
        self._order = self._client.lock(self._key + ":lock", timeout=5, sleep=0.002,
                                        blocking_timeout=5)
        self._caps: Caps | None = None
        self._requests: RedisBucket | None = None
        self._tokens: RedisBucket | None = None
        self._blocked_until = 0.0  # monotonic; a refusal's wait is exact: no room before it

    @contextmanager
    def _answering(self) -> Iterator[None]:
        try:
            yield
        except redis.RedisError as exc:
            raise ServiceError(f"{REDIS_URL}: Redis at {where(self._url)} did not answer "
                               f"({describe(exc)}); check that it is running") from exc

    def _buckets(self, caps: Caps) -> None:
        """(Re)build the buckets for new caps in force; the stored logs are kept."""
        span = max(1, round(caps.span() * 1000))
        self._requests = RedisBucket.init([Rate(int(caps.requests), span)], self._client,
                                          self._key + ":requests") if caps.requests else None
        self._tokens = RedisBucket.init([Rate(max(1, int(caps.tokens // TOKEN_UNIT)), span)],
                                        self._client, self._key + ":tokens") \
            if caps.tokens else None
        self._caps = caps
        self._blocked_until = 0.0

    def admit(self, caps: Caps, tokens: int, now: float) -> float:
        """Wait out a shared pause, then take a place in the request and token logs."""
        with self._answering():
            if caps != self._caps:
                self._buckets(caps)
            clock = time.monotonic()
            if clock < self._blocked_until:
                return self._blocked_until - clock
            paused = self._client.pttl(self._key + ":pause")
            if paused > 0:
                return paused / 1000
            wait = self._count(tokens)
            if wait:
                self._blocked_until = clock + wait
        return wait

    def _count(self, tokens: int) -> float:
        """Take a place in each log, in order with every other process; 0, or the wait."""
        if self._requests is None and self._tokens is None:
            return 0.0
        units = math.ceil(tokens / TOKEN_UNIT)
        counted = []
        with self._order:
            for bucket, weight in ((self._requests, 1), (self._tokens, units)):
                if bucket is None or weight == 0:
                    continue
                item = RateItem("start", bucket.now(), min(weight, bucket.rates[0].limit))
                if not bucket.put(item):
                    return max(1, bucket.waiting(item)) / 1000
                counted.append((bucket, item.timestamp))
        for bucket, stamp in counted:
            bucket.leak(stamp)
            self._client.pexpire(bucket.bucket_key, bucket.rates[0].interval)
        return 0.0

    def pause(self, seconds: float) -> None:
        """Pause every process on this quota for `seconds` (a longer pause is kept)."""
        ms = math.ceil(seconds * 1000)
        key = self._key + ":pause"
        with self._answering():
            if ms > 0 and self._client.pttl(key) < ms:
                self._client.set(key, 1, px=ms)
