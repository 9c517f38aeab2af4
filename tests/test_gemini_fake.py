"""The fake Gemini server's own contract, as other tests rely on it (real SDK, real HTTP)."""

from __future__ import annotations

import threading
import time

import pytest
from google import genai
from google.genai import errors, types

from tests.fakes.gemini_server import FakeGemini

MODEL = "gemini-3.8-flash"
NO_RETRY = types.HttpRetryOptions(attempts=1)


def client_for(fake: FakeGemini, timeout_ms: int = 5000) -> genai.Client:
    options = types.HttpOptions(base_url=fake.url, timeout=timeout_ms, retry_options=NO_RETRY,
                                api_version="v1beta")
    return genai.Client(api_key="test-key", http_options=options)


def ask(client: genai.Client, instruction: str, schema: dict | None = None):
    config = types.GenerateContentConfig(
        system_instruction="Teach.",
        response_mime_type="application/json" if schema else None,
        response_json_schema=schema,
    )
    contents = [types.Content(role="user", parts=[types.Part(text="<document>\n# Intro\n"
                                                                 "</document>"),
                                                   types.Part(text=instruction)])]
    return client.models.generate_content(model=MODEL, contents=contents, config=config)


OUTLINE_SCHEMA = {"type": "object", "properties": {"chapters": {"type": "array"}}}


def test_requests_are_classified_by_their_instruction(fake_gemini):
    client = client_for(fake_gemini)
    ask(client, "Task: course outline\nNumber of chapters: exactly 2.", OUTLINE_SCHEMA)
    ask(client, "Task: write one chapter\nChapter title: Intro", {"type": "object"})
    ask(client, "Task: course summary\n1. Intro")
    ask(client, "hello")
    assert [r.kind for r in fake_gemini.requests] == ["outline", "chapter", "summary", "other"]


def test_outline_size_follows_the_instruction_unless_set(fake_gemini):
    client = client_for(fake_gemini)
    text = ask(client, "Task: course outline\nNumber of chapters: between 1 and 4.",
               OUTLINE_SCHEMA).text
    assert text == '{"chapters": ["Intro", "Topic 2", "Topic 3", "Topic 4"]}'
    fake_gemini.outline_size = 1
    assert ask(client, "Task: course outline", OUTLINE_SCHEMA).text == '{"chapters": ["Intro"]}'


def test_streaming_answers_arrive_as_sse_chunks_that_join_up(fake_gemini):
    client = client_for(fake_gemini)
    whole = ask(client, "Task: write one chapter\nChapter title: Intro").text
    chunks = list(client.models.generate_content_stream(
        model=MODEL, contents="Task: write one chapter\nChapter title: Intro"))
    assert len(chunks) > 1
    assert "".join(c.text for c in chunks) == whole
    assert chunks[-1].usage_metadata.candidates_token_count > 0
    assert fake_gemini.requests[-1].path.endswith(":streamGenerateContent?alt=sse")


def test_rate_limit_answers_429_with_retry_info_past_the_window(fake_gemini):
    fake_gemini.rate_limit(2, window=60, retry_delay=4)
    client = client_for(fake_gemini)
    ask(client, "one")
    ask(client, "two")
    with pytest.raises(errors.ClientError) as caught:
        ask(client, "three")
    assert caught.value.code == 429
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "4s"} in (
        caught.value.details["error"]["details"]
    )
    assert fake_gemini.count(status=429) == 1


def test_random_faults_follow_their_odds(fake_gemini):
    fake_gemini.faults = {500: 1.0}
    with pytest.raises(errors.ServerError):
        ask(client_for(fake_gemini), "hello")
    fake_gemini.faults = {}
    assert ask(client_for(fake_gemini), "hello").text == "OK"


def test_scripted_faults_come_in_the_order_they_were_set(fake_gemini):
    fake_gemini.fail_next(1, 500)
    fake_gemini.empty_next(1)
    client = client_for(fake_gemini)
    with pytest.raises(errors.ServerError):
        ask(client, "a")
    assert ask(client, "b").text is None
    assert ask(client, "c").text == "OK"


def test_latency_overlaps_and_max_in_flight_counts_the_peak(fake_gemini):
    fake_gemini.latency = 0.2
    client = client_for(fake_gemini)
    threads = [threading.Thread(target=ask, args=(client, "hi")) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake_gemini.max_in_flight == 3  # the three overlapped at the server
    assert all(r.end - r.start >= 0.2 for r in fake_gemini.requests)


def test_stop_returns_promptly_while_a_request_hangs():
    fake = FakeGemini().start()
    fake.hang_next(1, seconds=60)
    client = client_for(fake, timeout_ms=30_000)
    outcome: list[str] = []

    def call() -> None:
        try:
            outcome.append(ask(client, "x").text)
        except Exception as exc:  # whichever way the cut-off call ends, it must end
            outcome.append(type(exc).__name__)

    worker = threading.Thread(target=call)
    worker.start()
    time.sleep(0.2)
    started = time.monotonic()
    fake.stop()
    worker.join(timeout=5)
    assert time.monotonic() - started < 2
    assert not worker.is_alive() and outcome and outcome[0] != "OK"


def test_cached_tokens_appear_only_for_a_long_repeated_prefix(fake_gemini):
    client = client_for(fake_gemini)
    long_doc = "<document>\n" + "word " * 4000 + "\n</document>"  # over Flash's 4,096
    usage = []
    for instruction in ("first", "second"):
        response = client.models.generate_content(
            model=MODEL,
            contents=[types.Part(text=long_doc), types.Part(text=instruction)],
        )
        usage.append(response.usage_metadata.cached_content_token_count)
    ask(client, "short one")
    short = ask(client, "short two").usage_metadata.cached_content_token_count
    assert usage[0] is None and usage[1] >= 4096 and short is None


def test_unknown_model_and_bad_key_are_refused(fake_gemini):
    client = client_for(fake_gemini)  # keep a reference: a collected Client closes its pool
    with pytest.raises(errors.ClientError) as missing:
        client.models.generate_content(model="nonexistent-x", contents="hi")
    options = types.HttpOptions(base_url=fake_gemini.url, retry_options=NO_RETRY)
    bad = genai.Client(api_key="bad-key", http_options=options)
    with pytest.raises(errors.ClientError) as refused:
        bad.models.generate_content(model=MODEL, contents="hi")
    assert (missing.value.code, refused.value.code) == (404, 400)
    assert refused.value.details["error"]["details"][0]["reason"] == "API_KEY_INVALID"


def test_count_tokens_and_model_list_are_served(fake_gemini):
    client = client_for(fake_gemini)
    assert client.models.count_tokens(model=MODEL, contents="x" * 40).total_tokens > 0
    names = [m.name for m in client.models.list()]
    assert f"models/{MODEL}" in names
    assert [r.kind for r in fake_gemini.requests] == ["count", "list"]
