"""Shared pytest set-up. The fake Gemini fixtures live in tests/fakes/plugin.py.

Browser tests skip only where Chromium is absent, Redis tests only where `redis-server` is;
with GEMINITEACHER_REQUIRE_BROWSER=1 or GEMINITEACHER_REQUIRE_REDIS=1 (set by .ci/run,
which installs both) such a skip is reported as a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.redis_server import redis_server

pytest_plugins = ["tests.fakes.plugin"]

REQUIRED = {"browser": "GEMINITEACHER_REQUIRE_BROWSER", "redis": "GEMINITEACHER_REQUIRE_REDIS"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    for marker, variable in REQUIRED.items():
        required = os.environ.get(variable) == "1"
        if required and report.skipped and item.get_closest_marker(marker):
            report.outcome = "failed"
            report.longrepr = f"{marker} test skipped but CI requires it: {report.longrepr}"


@pytest.fixture(scope="session")
def redis_session() -> Iterator[str]:
    try:
        with redis_server() as url:
            yield url
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture
def redis_url(redis_session: str) -> Iterator[str]:
    """The URL of a real, empty `redis-server` on 127.0.0.1 (one per test session)."""
    import redis

    client = redis.Redis.from_url(redis_session)
    client.flushall()
    yield redis_session
    client.close()
