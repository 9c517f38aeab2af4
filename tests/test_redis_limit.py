"""One limit for several processes: with GEMINITEACHER_REDIS_URL the request and token caps and
the pause after a 429 are shared through a real `redis-server`; without it nothing touches Redis.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from geminiteacher.cli import load_options, settings_from
from geminiteacher.engine.ratelimit import REDIS_URL, Caps, Limiter, LimiterRegistry
from geminiteacher.engine.runner import run_course
from geminiteacher.errors import ServiceError, SettingsError
from tests.course_helpers import MATERIAL, fast_settings
from tests.fakes.plugin import TEST_KEY
from tests.redis_server import free_port, redis_server

ROOT = Path(__file__).resolve().parents[1]
GENERATE = ("outline", "chapter", "summary")


def shared_limiter(url: str, key: str = "gemini:test:key-abc", **caps: float) -> Limiter:
    """A limiter kept in Redis, as another process on the same quota would have it."""
    from geminiteacher.engine.redislimit import RedisWindow

    return Limiter(log=RedisWindow(url, key), **caps)


def env_with(**changes: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items()
            if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", REDIS_URL)}
    return {**base, "PYTHONPATH": str(ROOT), **changes}


def most_in_any_window(starts: list[float], window: float) -> int:
    starts = sorted(starts)
    return max((sum(1 for s in starts[i:] if s < t + window) for i, t in enumerate(starts)),
               default=0)


@pytest.mark.redis
def test_two_processes_on_one_key_stay_within_the_request_cap_together(redis_url, fake_gemini,
                                                                       tmp_path):
    requests, window = 2, 1.0
    # The fake counts arrivals; a process's first request may arrive a little after its start
    # (connection set-up under load), so the fake's window is a little shorter than the cap's.
    counted = window - 0.3
    fake_gemini.rate_limit(requests, counted)  # a request over the cap would draw a 429
    env = env_with(GEMINI_API_KEY=TEST_KEY, GOOGLE_GEMINI_BASE_URL=fake_gemini.url,
                   **{REDIS_URL: redis_url})
    processes = []  # courses long enough (10 calls each) that a slow start still overlaps
    for name in ("Alpha", "Beta"):
        notes = tmp_path / f"{name}.md"
        notes.write_text(f"{name.upper()}-DOC\n\n{MATERIAL}", encoding="utf-8")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "geminiteacher", "--input", str(notes), "--title", name,
             "--output-dir", str(tmp_path / "out"), "--mode", "parallel", "--max-chapters", "8",
             "--fixed-chapter-count", "--max-workers", "2", "--delay-min", "0", "--delay-max",
             "0", "--cache", "off", "--requests-per-minute", str(requests), "--rate-window",
             str(window)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    calls = [r for r in fake_gemini.requests if r.kind in GENERATE]
    assert len(calls) == 2 * 10 and fake_gemini.count(status=429) == 0
    assert most_in_any_window([r.start for r in calls], counted) <= requests
    by_doc = [[r.start for r in calls if f"{n}-DOC" in json.dumps(r.body)]
              for n in ("ALPHA", "BETA")]
    assert max(by_doc[0]) > min(by_doc[1]) and max(by_doc[1]) > min(by_doc[0]), \
        "the two processes did not run at the same time"


CHILD = """
import json, sys, time
from geminiteacher.engine.ratelimit import LIMITERS, Caps
lease = LIMITERS.join(sys.argv[1], Caps(2))
print("ready", flush=True)
sys.stdin.readline()
began = time.time()
with lease.slot():
    print(json.dumps([began, time.time()]), flush=True)
"""


@pytest.mark.redis
def test_a_429_in_one_process_pauses_the_other(redis_url):
    key = "gemini:test:key-pause"
    child = subprocess.Popen([sys.executable, "-c", CHILD, key], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True,
                             env=env_with(**{REDIS_URL: redis_url}))
    try:
        assert child.stdout.readline().strip() == "ready"  # started and joined its limiter
        shared_limiter(redis_url, key).on_rate_limited(1.5)
        paused_until = time.time() + 1.5
        child.stdin.write("go\n")
        child.stdin.flush()
        began, admitted = json.loads(child.stdout.readline())
    finally:
        child.kill()
        child.wait()
    assert began < paused_until - 1.0
    assert admitted >= paused_until - 0.1


@pytest.mark.redis
def test_limiters_of_two_processes_share_the_request_cap(redis_url):
    limiters = [shared_limiter(redis_url, max_concurrency=4, requests_per_window=3,
                               window=1.0) for _ in range(2)]
    starts: list[float] = []
    lock = threading.Lock()

    def worker(limiter: Limiter) -> None:
        for _ in range(2):
            with limiter.slot(), lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker, args=(limiters[n % 2],)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(starts) == 12
    # Unshared windows would let both limiters start 3 at once: 6 starts within milliseconds.
    # A thread notes its start a moment after its slot is counted (longer on a loaded
    # machine), so the burst is looked for in a short window, and the rate over the whole run
    # (12 starts at 3 per second take at least three windows) is checked as a lower bound.
    assert most_in_any_window(starts, 0.2) <= 3
    assert max(starts) - min(starts) >= 3 * 1.0 * 0.9


@pytest.mark.redis
def test_limiters_of_two_processes_share_the_token_cap(redis_url):
    first, second = (shared_limiter(redis_url, tokens_per_window=1000, window=0.5)
                     for _ in range(2))
    with first.slot(tokens=600):
        pass
    begun = time.monotonic()
    with second.slot(tokens=600):
        pass
    assert time.monotonic() - begun >= 0.4


@pytest.mark.redis
def test_a_course_without_the_variable_never_connects_to_redis(redis_url, gemini_env,
                                                               monkeypatch, tmp_path):
    import redis

    monkeypatch.delenv(REDIS_URL, raising=False)
    client = redis.Redis.from_url(redis_url)
    connections = client.info("stats")["total_connections_received"]
    run_course(MATERIAL, fast_settings(requests_per_minute=100, tokens_per_minute=10**6),
               title="Local", output_dir=tmp_path)
    assert client.info("stats")["total_connections_received"] == connections
    assert client.dbsize() == 0


@pytest.mark.redis
def test_a_course_with_the_variable_counts_its_calls_in_redis(redis_url, gemini_env,
                                                             monkeypatch, tmp_path):
    import redis

    monkeypatch.setenv(REDIS_URL, redis_url)
    run_course(MATERIAL, fast_settings(requests_per_minute=100), title="Shared",
               output_dir=tmp_path)
    client = redis.Redis.from_url(redis_url)
    logs = [k for k in client.keys("geminiteacher:limit:*") if k.endswith(b":requests")]
    assert len(logs) == 1 and TEST_KEY.encode() not in logs[0]
    assert client.zcard(logs[0]) == gemini_env.count("chapter") + 2


@pytest.mark.parametrize("url", ["http://127.0.0.1/0", "redis://:s3cret@127.0.0.1:{port}/0"])
def test_an_unusable_redis_url_fails_the_course_at_start_naming_the_variable(url, gemini_env,
                                                                             monkeypatch,
                                                                             tmp_path):
    monkeypatch.setenv(REDIS_URL, url.format(port=free_port()))
    with pytest.raises(SettingsError) as error:
        run_course(MATERIAL, fast_settings(), title="Refused", output_dir=tmp_path)
    message = str(error.value)
    assert message.startswith(REDIS_URL) and "unset it" in message and "\n" not in message
    assert "s3cret" not in message
    assert gemini_env.count("outline") == 0


@pytest.mark.redis
def test_redis_going_away_mid_run_is_a_retryable_service_error_naming_the_variable(
        redis_session):
    with redis_server() as url:
        limiter = shared_limiter(url, requests_per_window=5, window=1)
        with limiter.slot():
            pass
    with pytest.raises(ServiceError, match=REDIS_URL) as error, limiter.slot():
        pass
    assert error.value.retryable


def test_the_cli_takes_the_window_the_cap_counts_over():
    options = load_options(["--input", "x.md", "--requests-per-minute", "3",
                            "--rate-window", "2.5"])
    assert settings_from(options).rate_window == 2.5
    assert settings_from(load_options(["--input", "x.md"])).rate_window == 60


def test_the_offline_engine_never_needs_redis(monkeypatch, tmp_path):
    monkeypatch.setenv(REDIS_URL, f"redis://127.0.0.1:{free_port()}/0")
    course = run_course(MATERIAL, fast_settings(engine="offline"), title="Offline",
                        output_dir=tmp_path)
    assert course.chapters


def test_the_registry_keeps_redis_and_local_limiters_apart(monkeypatch):
    registry = LimiterRegistry()
    monkeypatch.delenv(REDIS_URL, raising=False)
    local = registry.join("gemini:abc:flash", Caps(2))
    monkeypatch.setenv(REDIS_URL, f"redis://127.0.0.1:{free_port()}/0")
    assert registry.join("gemini:abc:flash", Caps(2), shared=False).limiter is local.limiter
    with pytest.raises(SettingsError):
        registry.join("gemini:abc:flash", Caps(2))
