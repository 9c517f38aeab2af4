"""GeminiEngine with the real google-genai SDK over real HTTP against the fake server."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
from google import genai

from geminiteacher.backends.gemini import GeminiEngine
from geminiteacher.errors import (
    BlockedAnswerError,
    EmptyAnswerError,
    ModelAccessError,
    QuotaExhaustedError,
    RateLimitedError,
    ServiceError,
)
from geminiteacher.models import ChapterContent, CourseSettings
from tests.fakes.gemini_server import FakeGemini

KEY = "test-key-a1b2c3-very-secret"
SETTINGS = CourseSettings(max_chapters=3, fixed_chapter_count=True, temperature=0.3)
PARAGRAPH = "Loops repeat work; a `for x in {items}:` loop visits each item in turn. "
SOURCE = "# Basics\n\n" + PARAGRAPH * 240 + "\n\n# Loops {chapter_title}\n\n" + PARAGRAPH * 10


@pytest.fixture
def engine(fake_gemini: FakeGemini) -> GeminiEngine:
    return GeminiEngine(KEY, base_url=fake_gemini.url, timeout=5)


def run_course_calls(engine: GeminiEngine, settings: CourseSettings = SETTINGS) -> None:
    titles = engine.plan_outline(SOURCE, settings).value
    chapter = engine.write_chapter(SOURCE, titles[0], settings, index=1, outline=titles).value
    engine.write_summary(SOURCE, [chapter], settings)


def generate_calls(fake: FakeGemini):
    return [r for r in fake.requests if r.kind in ("outline", "chapter", "summary")]


def test_outline_parses_into_the_requested_number_of_titles(engine):
    reply = engine.plan_outline(SOURCE, SETTINGS)
    assert reply.value == ["Basics", "Loops {chapter_title}", "Topic 3"]
    assert reply.usage.input_tokens > 0 and reply.usage.output_tokens > 0


def test_outline_is_trimmed_to_max_chapters(engine, fake_gemini):
    fake_gemini.outline_size = 7
    assert len(engine.plan_outline(SOURCE, SETTINGS).value) == 3


def test_chapter_answer_parses_into_chapter_content(engine):
    reply = engine.write_chapter(SOURCE, "Loops {chapter_title}", SETTINGS)
    chapter = reply.value
    assert isinstance(chapter, ChapterContent)
    assert chapter.title == "Loops {chapter_title}"
    assert chapter.summary and chapter.explanation and chapter.extension
    assert reply.usage.thinking_tokens > 0


def test_summary_answer_is_markdown_text(engine):
    reply = engine.write_summary(SOURCE, [ChapterContent("Basics", "About basics.")], SETTINGS)
    assert reply.value.startswith("## Course summary")
    assert "- Basics" in reply.value


def test_system_instruction_is_identical_across_the_calls_of_a_course(engine, fake_gemini):
    run_course_calls(engine)
    systems = {r.system for r in generate_calls(fake_gemini)}
    assert len(systems) == 1 and systems.pop()


def test_document_is_the_first_part_and_identical_across_calls(engine, fake_gemini):
    run_course_calls(engine)
    calls = generate_calls(fake_gemini)
    assert [r.kind for r in calls] == ["outline", "chapter", "summary"]
    assert len({r.parts[0] for r in calls}) == 1
    assert SOURCE in calls[0].parts[0]
    assert all(len(r.body["contents"]) == 1 and len(r.parts) == 2 for r in calls)


def test_braces_reach_the_wire_untouched(engine, fake_gemini):
    settings = SETTINGS.with_(custom_prompt="Explain {chapter_title} and {0}.")
    engine.write_chapter(SOURCE, "Loops {chapter_title}", settings)
    sent = json.dumps(fake_gemini.requests[-1].body, ensure_ascii=False)
    for piece in ("for x in {items}:", "Chapter title: Loops {chapter_title}", "{0}."):
        assert piece in sent


def test_cached_tokens_are_recorded_from_the_second_call(engine):
    first = engine.plan_outline(SOURCE, SETTINGS)
    second = engine.write_chapter(SOURCE, "Basics", SETTINGS)
    assert first.usage.cached_tokens == 0
    assert second.usage.cached_tokens >= 4096  # Gemini 3's caching minimum
    assert second.usage.cached_tokens < second.usage.input_tokens


def test_temperature_and_json_schema_are_sent_for_structured_calls(engine, fake_gemini):
    run_course_calls(engine)
    outline, chapter, summary = (r.generation_config for r in generate_calls(fake_gemini))
    assert outline["temperature"] == chapter["temperature"] == 0.3
    assert outline["responseMimeType"] == chapter["responseMimeType"] == "application/json"
    assert "chapters" in outline["responseJsonSchema"]["properties"]
    assert "explanation" in chapter["responseJsonSchema"]["properties"]
    assert "responseJsonSchema" not in summary


def test_non_json_answer_falls_back_to_the_markdown_parser(engine, fake_gemini):
    fake_gemini.markdown_next(2)
    assert engine.plan_outline(SOURCE, SETTINGS).value[:2] == ["Basics", "Loops {chapter_title}"]
    chapter = engine.write_chapter(SOURCE, "Loops", SETTINGS).value
    assert chapter.summary.startswith("This chapter covers Loops")
    assert "## Explanation" not in chapter.explanation


def test_empty_answer_raises_empty_answer_error_with_finish_reason(engine, fake_gemini):
    fake_gemini.empty_next(1)
    with pytest.raises(EmptyAnswerError) as caught:
        engine.write_chapter(SOURCE, "Basics", SETTINGS)
    assert caught.value.reason == "STOP"


def test_blocked_answer_raises_blocked_answer_error_with_block_reason(engine, fake_gemini):
    fake_gemini.block_next(1)
    with pytest.raises(BlockedAnswerError) as caught:
        engine.write_summary(SOURCE, [], SETTINGS)
    assert caught.value.reason == "SAFETY"


def test_429_with_retry_info_raises_rate_limited_with_retry_after(engine, fake_gemini):
    fake_gemini.fail_next(1, 429, retry_delay=1.5)
    with pytest.raises(RateLimitedError) as caught:
        engine.write_chapter(SOURCE, "Basics", SETTINGS)
    assert caught.value.retry_after == 1.5
    assert caught.value.retryable


def test_429_for_a_daily_quota_raises_quota_exhausted(engine, fake_gemini):
    fake_gemini.fail_next(1, 429, retry_delay=3, daily=True)
    with pytest.raises(QuotaExhaustedError) as caught:
        engine.write_chapter(SOURCE, "Basics", SETTINGS)
    assert "daily" in str(caught.value) and "tomorrow" in str(caught.value)
    assert not caught.value.retryable


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_raise_service_error(engine, fake_gemini, status):
    fake_gemini.fail_next(1, status)
    with pytest.raises(ServiceError) as caught:
        engine.write_summary(SOURCE, [], SETTINGS)
    assert caught.value.status == status


def test_sdk_sends_exactly_one_request_on_a_503(engine, fake_gemini):
    fake_gemini.fail_next(3, 503)
    with pytest.raises(ServiceError):
        engine.write_summary(SOURCE, [], SETTINGS)
    time.sleep(0.2)  # a hidden SDK retry would land here
    assert fake_gemini.count("summary") == 1


@pytest.mark.parametrize("model", ["nonexistent-model-9", "gemini-2.5-flash"])
def test_an_unavailable_model_is_named_with_the_models_the_key_can_use(fake_gemini, model):
    engine = GeminiEngine(KEY, model, base_url=fake_gemini.url)
    with pytest.raises(ModelAccessError) as caught:
        engine.plan_outline(SOURCE, SETTINGS)
    message = str(caught.value)
    assert caught.value.status == 404 and not caught.value.retryable
    assert model in message and "retired or misspelled" in message
    assert "gemini-flash-latest" in message and "\n" not in message


def test_bad_key_raises_model_access_error_saying_the_key_is_invalid(fake_gemini):
    engine = GeminiEngine("bad-key", base_url=fake_gemini.url)
    with pytest.raises(ModelAccessError) as caught:
        engine.plan_outline(SOURCE, SETTINGS)
    assert caught.value.status == 400
    assert "API key is invalid" in str(caught.value)


def test_hang_beyond_the_timeout_raises_service_error_quickly(fake_gemini):
    engine = GeminiEngine(KEY, base_url=fake_gemini.url, timeout=0.3)
    fake_gemini.hang_next(1, seconds=30)
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        engine.write_summary(SOURCE, [], SETTINGS)
    assert time.monotonic() - started < 3
    assert "did not answer within 0.3 s" in str(caught.value)


def test_unreachable_service_raises_service_error_at_once_without_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = GeminiEngine(KEY, base_url=f"http://127.0.0.1:{port}", timeout=2)
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        engine.write_summary(SOURCE, [], SETTINGS)
    assert time.monotonic() - started < 1.5  # the SDK's default retries would back off ~1 s+
    assert "could not reach" in str(caught.value)


def test_key_never_appears_in_errors_reprs_or_requests(fake_gemini):
    engine = GeminiEngine(KEY, base_url=fake_gemini.url, timeout=0.3)
    texts = [repr(engine), engine.limiter_key]
    faults = [
        lambda: fake_gemini.fail_next(1, 429, retry_delay=1),
        lambda: fake_gemini.fail_next(1, 429, daily=True),
        lambda: fake_gemini.fail_next(1, 503),
        lambda: fake_gemini.fail_next(1, 403),
        lambda: fake_gemini.empty_next(1),
        lambda: fake_gemini.block_next(1),
        lambda: fake_gemini.hang_next(1, 5),
    ]
    for arm in faults:
        arm()
        with pytest.raises(Exception) as caught:
            engine.write_summary(SOURCE, [], SETTINGS)
        texts += [str(caught.value), repr(caught.value)]
    texts += [json.dumps(r.body) + r.path for r in fake_gemini.requests]
    assert len(generate_calls(fake_gemini)) == len(faults)
    assert not [t for t in texts if "a1b2c3" in t]


def test_limiter_key_identifies_key_and_model(fake_gemini):
    one = GeminiEngine(KEY, base_url=fake_gemini.url)
    other_key = GeminiEngine(KEY + "x", base_url=fake_gemini.url)
    other_model = GeminiEngine(KEY, "gemini-3.1-pro-preview", base_url=fake_gemini.url)
    same = GeminiEngine(KEY, base_url=fake_gemini.url)
    assert one.limiter_key == same.limiter_key
    assert len({one.limiter_key, other_key.limiter_key, other_model.limiter_key}) == 3


def test_engines_with_the_same_key_and_base_url_share_one_client(fake_gemini):
    one = GeminiEngine(KEY, base_url=fake_gemini.url)
    two = GeminiEngine(KEY, "gemini-3.1-pro-preview", base_url=fake_gemini.url, timeout=9)
    other = GeminiEngine(KEY + "x", base_url=fake_gemini.url)
    assert one.transport._client is two.transport._client
    assert one.transport._client is not other.transport._client


def test_threads_share_the_engine_concurrently(fake_gemini):
    fake_gemini.latency = 0.2
    engine = GeminiEngine(KEY, base_url=fake_gemini.url)
    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda t=t: results.append(engine.write_chapter(SOURCE, t, SETTINGS).value.title)
        )
        for t in ("A", "B", "C", "D")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["A", "B", "C", "D"]
    assert fake_gemini.max_in_flight >= 2


def test_base_url_and_key_come_from_the_environment(gemini_env, monkeypatch):
    engine = GeminiEngine("test-key")
    assert engine.plan_outline(SOURCE, SETTINGS).value
    raw = genai.Client(api_key="test-key")  # the SDK honours GOOGLE_GEMINI_BASE_URL itself
    assert raw.models.generate_content(model="gemini-3.8-flash", contents="hi").text == "OK"
    assert gemini_env.count("outline") == 1 and gemini_env.count("other") == 1


def test_every_call_goes_to_the_pinned_v1beta_api(engine, fake_gemini, monkeypatch):
    monkeypatch.delenv("GOOGLE_GENAI_API_VERSION", raising=False)
    run_course_calls(engine)
    engine.count_tokens("x")
    assert {r.path.split("/")[1] for r in fake_gemini.requests} == {"v1beta"}


def test_the_api_version_can_be_overridden(fake_gemini, monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1alpha")
    engine = GeminiEngine(KEY + "alpha", base_url=fake_gemini.url)
    assert engine.write_chapter(SOURCE, "Basics", SETTINGS).value.title == "Basics"
    assert fake_gemini.requests[-1].path == "/v1alpha/models/gemini-flash-latest:generateContent"


def test_count_tokens_asks_the_api(engine, fake_gemini):
    assert engine.count_tokens("hello world " * 100) > 250
    assert fake_gemini.count("count") == 1


def test_count_tokens_falls_back_to_an_estimate_when_the_api_fails(fake_gemini):
    engine = GeminiEngine("bad-key", base_url=fake_gemini.url)
    assert engine.count_tokens("x" * 400) == 100


def test_list_models_names_generate_capable_models_aliases_first_then_newest(engine):
    names = engine.list_models()
    aliases = [n for n in names if n.endswith("-latest")]
    assert names[: len(aliases)] == sorted(aliases) and "gemini-flash-latest" in aliases
    concrete = names[len(aliases):]
    assert concrete.index("gemini-3.8-flash") < concrete.index("gemini-3.7-flash") \
        < concrete.index("gemini-3.1-pro-preview") < concrete.index("gemini-2.5-flash-lite")
    assert "gemini-embedding-001" not in names and "gemini-2.5-flash" not in names
    assert not [n for n in names if n.startswith("models/")]


def test_context_window_is_the_models_own_input_limit(fake_gemini):
    limits = {}
    raw = genai.Client(api_key=KEY, http_options={"base_url": fake_gemini.url,
                                                    "api_version": "v1beta"})
    for model in ("gemini-flash-latest", "gemma-3-27b-it"):
        info = raw.models.get(model=model)
        limits[model] = info.input_token_limit
        assert GeminiEngine(KEY, model, base_url=fake_gemini.url).context_window() == \
            info.input_token_limit
    assert limits["gemma-3-27b-it"] < limits["gemini-flash-latest"]
