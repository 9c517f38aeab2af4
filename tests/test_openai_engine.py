"""The OpenAI-compatible provider, driven through the real `openai` SDK over HTTP against the
fake servers of tests/fakes/openai_server.py, one behaviour per test."""

from __future__ import annotations

import time

import pytest

from geminiteacher.backends import chosen_engine, resolve_engine
from geminiteacher.backends.openai import OpenAIEngine
from geminiteacher.backends.openai.facts import DEFAULT_CONTEXT_WINDOW
from geminiteacher.engine.retrying import call_with_retry
from geminiteacher.errors import (
    BlockedAnswerError,
    EmptyAnswerError,
    ModelAccessError,
    QuotaExhaustedError,
    RateLimitedError,
    RateLimitWaitError,
    ServiceError,
    SettingsError,
)
from geminiteacher.models import CourseSettings
from tests.course_helpers import MATERIAL
from tests.fakes.openai_server import FakeOpenAI

SETTINGS = CourseSettings(engine="openai", max_chapters=3, fixed_chapter_count=True,
                          quiz_questions=2, request_timeout=5.0)


@pytest.fixture(params=["openai", "vllm", "ollama", "lmstudio"])
def flavour(request):
    with FakeOpenAI(request.param, models=("model-a", "model-b")) as fake:
        yield fake


def engine_for(fake: FakeOpenAI, model: str | None = None, **kw) -> OpenAIEngine:
    """An engine on `fake`'s first model (or `model`)."""
    return OpenAIEngine(model or fake.models[0], base_url=fake.base_url,
                        timeout=kw.pop("timeout", 5.0), **kw)


def chapter(engine: OpenAIEngine, settings: CourseSettings = SETTINGS):
    return engine.write_chapter(MATERIAL, "Topic 2", settings).value


# -- structured answers ------------------------------------------------------------------------

def test_outline_and_chapters_ask_for_the_json_schema(fake_openai):
    engine = engine_for(fake_openai)
    assert engine.plan_outline(MATERIAL, SETTINGS).value == ["Topic 1", "Topic 2", "Topic 3"]
    written = chapter(engine)
    sent = [r.body["response_format"] for r in fake_openai.chats()]
    assert [f["type"] for f in sent] == ["json_schema", "json_schema"]
    assert "quiz" in sent[1]["json_schema"]["schema"]["properties"]
    assert len(written.quiz) == 2 and written.sources


def test_the_summary_asks_for_no_format(fake_openai):
    engine = engine_for(fake_openai)
    chapters = [chapter(engine)]
    assert engine.write_summary(MATERIAL, chapters, SETTINGS).value.startswith("## Course")
    assert "response_format" not in fake_openai.chats()[-1].body


def test_document_is_one_system_and_one_user_message_starting_with_the_document(fake_openai):
    engine = engine_for(fake_openai)
    engine.plan_outline(MATERIAL, SETTINGS)
    chapter(engine)
    first, second = fake_openai.chats()
    assert [m["role"] for m in first.body["messages"]] == ["system", "user"]
    assert first.system == second.system
    assert first.user.split("</document>")[0] == second.user.split("</document>")[0]


def test_a_refused_json_schema_falls_back_to_json_mode_once_with_a_note(fake_openai):
    fake_openai.refuse = {"json_schema"}
    engine = engine_for(fake_openai)
    reply = engine.write_chapter(MATERIAL, "Topic 2", SETTINGS)
    assert len(reply.value.quiz) == 2
    assert any("JSON mode" in note and "json_schema" in note for note in reply.notes)
    again = engine.write_chapter(MATERIAL, "Topic 3", SETTINGS)
    assert [r.format for r in fake_openai.chats()] == ["json_schema", "json_object",
                                                       "json_object"]
    assert again.notes == ()
    assert any("JSON mode" in note for note in engine.notes(SETTINGS))


@pytest.mark.parametrize("flavour_name", ["openai", "vllm", "lmstudio"])
def test_both_formats_refused_fall_back_to_plain_answers_that_keep_quiz_and_sources(
        flavour_name):
    with FakeOpenAI(flavour_name, models=("model-a",)) as fake:
        fake.refuse = {"json_schema", "json_object"}
        engine = engine_for(fake)
        reply = engine.write_chapter(MATERIAL, "Topic 2", SETTINGS)
        assert len(reply.value.quiz) == 2 and reply.value.sources
        assert any("reading plain answers" in note for note in reply.notes)
        assert [r.format for r in fake.chats()][-1] == ""
        assert "The JSON follows this JSON schema" in fake.chats()[-1].user


def test_lm_studio_keeps_the_json_schema_it_accepts(fake_openai):
    with FakeOpenAI("lmstudio", models=("model-a",)) as fake:
        engine_for(fake).plan_outline(MATERIAL, SETTINGS)
        assert [r.format for r in fake.chats()] == ["json_schema"]


def test_a_refused_temperature_is_dropped_with_a_note(fake_openai):
    fake_openai.no_temperature = {"test-model"}
    settings = SETTINGS.with_(temperature=0.3)
    reply = engine_for(fake_openai).plan_outline(MATERIAL, settings)
    assert any("temperature" in note for note in reply.notes)
    assert [("temperature" in r.body) for r in fake_openai.chats()] == [True, False]


def test_the_thinking_setting_is_sent_as_reasoning_effort(fake_openai):
    engine_for(fake_openai).plan_outline(MATERIAL, SETTINGS.with_(thinking="low"))
    assert fake_openai.chats()[0].body["reasoning_effort"] == "low"


def test_a_markdown_answer_to_a_json_request_is_still_read(fake_openai):
    fake_openai.markdown_next(1)
    written = chapter(engine_for(fake_openai))
    assert written.title == "Topic 2" and "step by step" in written.explanation


def test_a_leading_think_block_is_left_out(fake_openai):
    fake_openai.thinks_aloud = True
    engine = engine_for(fake_openai)
    assert engine.plan_outline(MATERIAL, SETTINGS).value == ["Topic 1", "Topic 2", "Topic 3"]
    summary = engine.write_summary(MATERIAL, [chapter(engine)], SETTINGS).value
    assert summary.startswith("## Course summary") and "<think>" not in summary


# -- usage -------------------------------------------------------------------------------------

def test_usage_records_cached_and_reasoning_tokens(fake_openai):
    fake_openai.reasoning = True
    engine = engine_for(fake_openai)
    big = MATERIAL * 40
    first = engine.plan_outline(big, SETTINGS).usage
    second = engine.write_chapter(big, "Topic 1", SETTINGS).usage
    assert first.cached_tokens == 0 and second.cached_tokens > 1000
    assert second.cached_tokens % 128 == 0 and second.input_tokens > second.cached_tokens
    assert second.thinking_tokens > 0 and second.output_tokens > 0


def test_usage_without_details_counts_plain_tokens():
    with FakeOpenAI("ollama", models=("model-a",)) as fake:
        usage = engine_for(fake).plan_outline(MATERIAL * 40, SETTINGS).usage
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.cached_tokens == 0 and usage.thinking_tokens == 0


# -- failures ----------------------------------------------------------------------------------

def test_429_with_retry_after_ms_waits_what_the_server_asks(fake_openai):
    fake_openai.fail_next(1, 429, retry_after_ms="150")
    waits = []
    engine = engine_for(fake_openai)
    reply = call_with_retry(lambda: engine.plan_outline(MATERIAL, SETTINGS),
                            on_wait=lambda n, s, why: waits.append(s))
    assert reply.value and waits == [0.15]


def test_429_with_retry_after_seconds_is_read(fake_openai):
    fake_openai.fail_next(1, 429, retry_after="2")
    with pytest.raises(RateLimitedError) as caught:
        engine_for(fake_openai).plan_outline(MATERIAL, SETTINGS)
    assert caught.value.retry_after == 2.0


def test_a_429_asking_longer_than_max_wait_stops_the_call(fake_openai):
    fake_openai.fail_next(1, 429, retry_after="900")
    engine = engine_for(fake_openai)
    with pytest.raises(RateLimitWaitError):
        call_with_retry(lambda: engine.plan_outline(MATERIAL, SETTINGS), max_wait=60)
    assert len(fake_openai.chats()) == 1


def test_an_exhausted_quota_stops_at_once(fake_openai):
    fake_openai.fail_next(1, 429, quota=True)
    engine = engine_for(fake_openai)
    with pytest.raises(QuotaExhaustedError, match="insufficient_quota"):
        call_with_retry(lambda: engine.plan_outline(MATERIAL, SETTINGS))
    assert len(fake_openai.chats()) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable_service_errors(flavour, status):
    flavour.fail_next(1, status)
    with pytest.raises(ServiceError) as caught:
        engine_for(flavour).plan_outline(MATERIAL, SETTINGS)
    assert caught.value.retryable and len(flavour.chats()) == 1


def test_a_5xx_is_retried_into_a_course_part(fake_openai):
    fake_openai.fail_next(2, 503)
    engine = engine_for(fake_openai)
    reply = call_with_retry(lambda: engine.plan_outline(MATERIAL, SETTINGS), retry_delay=0.01)
    assert reply.value and len(fake_openai.chats()) == 3


@pytest.mark.parametrize("status", [200, 502])
def test_an_html_page_is_a_retryable_service_error(fake_openai, status):
    fake_openai.html_next(1, status)
    with pytest.raises(ServiceError) as caught:
        engine_for(fake_openai).plan_outline(MATERIAL, SETTINGS)
    assert caught.value.retryable and fake_openai.base_url in str(caught.value)


def test_an_upstream_error_inside_a_200_is_a_retryable_service_error(fake_openai):
    fake_openai.upstream_error_next(1)
    with pytest.raises(ServiceError, match="Upstream provider returned an error") as caught:
        engine_for(fake_openai).plan_outline(MATERIAL, SETTINGS)
    assert caught.value.retryable


def test_a_bare_string_is_a_retryable_service_error(fake_openai):
    fake_openai.bare_string_next(1)
    with pytest.raises(ServiceError, match="not a chat completion"):
        engine_for(fake_openai).plan_outline(MATERIAL, SETTINGS)


def test_an_empty_answer_is_retryable(fake_openai):
    fake_openai.empty_next(1)
    with pytest.raises(EmptyAnswerError) as caught:
        engine_for(fake_openai).plan_outline(MATERIAL, SETTINGS)
    assert caught.value.retryable and caught.value.usage.input_tokens > 0


def test_a_content_filter_stop_is_a_retryable_blocked_answer(fake_openai):
    fake_openai.filter_next(1)
    with pytest.raises(BlockedAnswerError, match="content_filter") as caught:
        engine_for(fake_openai).plan_outline(MATERIAL, SETTINGS)
    assert caught.value.retryable


def test_a_hang_beyond_the_timeout_is_a_service_error_in_time(fake_openai):
    fake_openai.hang_next(1, seconds=30)
    began = time.monotonic()
    with pytest.raises(ServiceError, match=r"did not answer within 0\.5 s"):
        engine_for(fake_openai, timeout=0.5).plan_outline(MATERIAL, SETTINGS)
    assert time.monotonic() - began < 5


def test_a_slow_stream_is_not_cut_off_while_pieces_keep_coming(fake_openai):
    fake_openai.chunk_delay = 0.3  # six pieces: about 1.8 s in all, never 1 s of silence
    began = time.monotonic()
    titles = engine_for(fake_openai, timeout=1.0).plan_outline(MATERIAL, SETTINGS).value
    assert titles == ["Topic 1", "Topic 2", "Topic 3"] and time.monotonic() - began > 1.0


def test_a_stream_that_falls_silent_is_a_retryable_service_error(fake_openai):
    fake_openai.chunk_delay = 3.0
    began = time.monotonic()
    with pytest.raises(ServiceError, match=r"fell silent that long mid-answer") as caught:
        engine_for(fake_openai, timeout=0.5).plan_outline(MATERIAL, SETTINGS)
    assert caught.value.retryable and time.monotonic() - began < 5


def test_a_server_refusing_streams_gets_whole_answers_with_a_note(fake_openai):
    fake_openai.no_stream = True
    reply = engine_for(fake_openai).plan_outline(MATERIAL, SETTINGS)
    assert reply.value and any("streamed answers" in note for note in reply.notes)
    assert [r.body.get("stream") for r in fake_openai.chats()] == [True, None]
    assert reply.usage.input_tokens > 0


def test_an_unreachable_server_is_a_service_error_naming_it():
    engine = OpenAIEngine("m", base_url="http://127.0.0.1:9/v1", timeout=2)
    with pytest.raises(ServiceError, match=r"could not reach http://127\.0\.0\.1:9/v1"):
        engine.plan_outline(MATERIAL, SETTINGS)


@pytest.mark.parametrize("flavour_name", ["openai", "vllm", "lmstudio", "llamacpp"])
def test_a_wrong_key_stops_at_once_naming_the_key_and_never_showing_it(flavour_name):
    with FakeOpenAI(flavour_name, key="right-key-0000") as fake:
        engine = OpenAIEngine("test-model", base_url=fake.base_url,
                              api_key="sk-wrong-key-123456", timeout=5)
        with pytest.raises(ModelAccessError, match="OPENAI_API_KEY") as caught:
            call_with_retry(lambda: engine.plan_outline(MATERIAL, SETTINGS))
        assert len(fake.chats()) == 1
    assert "sk-wrong-key-123456" not in str(caught.value)
    assert "refused the API key" in str(caught.value)


def test_a_missing_key_is_named_as_missing():
    with FakeOpenAI(key="right") as fake, \
            pytest.raises(ModelAccessError, match="needs an API key"):
        OpenAIEngine("test-model", base_url=fake.base_url).plan_outline(MATERIAL, SETTINGS)


def test_a_wrong_key_stops_when_the_model_facts_are_read():
    with FakeOpenAI(key="right") as fake, \
            pytest.raises(ModelAccessError, match="needs an API key"):
        OpenAIEngine("test-model", base_url=fake.base_url).context_window()


def test_an_unknown_model_is_named_with_the_models_the_server_lists(flavour):
    with pytest.raises(ModelAccessError) as caught:
        call_with_retry(lambda: engine_for(flavour, "no-such").plan_outline(MATERIAL,
                                                                             SETTINGS))
    assert "'no-such' is not served at" in str(caught.value)
    assert "model-a, model-b" in str(caught.value)
    assert len(flavour.chats()) == 1


def test_ollama_serves_a_bare_name_as_its_latest_tag():
    with FakeOpenAI("ollama", models=("llama3.2:latest",)) as fake:
        engine = OpenAIEngine("llama3.2", base_url=fake.base_url, timeout=5)
        assert engine.plan_outline(MATERIAL, SETTINGS).model_version == "llama3.2:latest"


@pytest.mark.parametrize("flavour_name", ["openai", "vllm", "lmstudio", "llamacpp"])
def test_a_context_overflow_stops_at_once_naming_both_sizes(flavour_name):
    with FakeOpenAI(flavour_name, window=500) as fake:
        engine = OpenAIEngine("test-model", base_url=fake.base_url, timeout=5,
                              context_window=100_000)  # so the pre-check lets it through
        with pytest.raises(ModelAccessError) as caught:
            call_with_retry(lambda: engine.plan_outline(MATERIAL * 3, SETTINGS))
        assert len(fake.chats()) == 1
    message = str(caught.value)
    assert "accepts 500" in message and "tokens, but model test-model" in message


# -- what the server says ----------------------------------------------------------------------

@pytest.mark.parametrize("flavour_name", ["vllm", "ollama", "lmstudio", "llamacpp"])
def test_the_context_window_is_read_where_the_server_says_it(flavour_name):
    with FakeOpenAI(flavour_name, models=("model-a",), window=8192) as fake:
        engine = engine_for(fake)
        assert engine.context_window() == 8192
        assert not any("context window" in n for n in engine.notes(SETTINGS))


def test_without_a_said_window_the_default_applies_with_a_note(fake_openai):
    engine = engine_for(fake_openai, "test-model")
    assert engine.context_window() == DEFAULT_CONTEXT_WINDOW
    assert any("--context-window" in note for note in engine.notes(SETTINGS))


def test_the_context_window_setting_wins(fake_openai):
    assert engine_for(fake_openai, "test-model", context_window=4096).context_window() == 4096


def test_the_model_list_is_the_servers_in_its_order(flavour):
    assert engine_for(flavour).list_models() == ["model-a", "model-b"]


def test_no_model_named_takes_the_first_the_server_lists(flavour):
    assert OpenAIEngine(base_url=flavour.base_url).model == "model-a"


def test_a_server_without_a_model_list_says_to_type_a_name():
    with FakeOpenAI(models=()) as fake, pytest.raises(SettingsError, match="lists no models"):
        OpenAIEngine(base_url=fake.base_url)


def test_the_limiter_key_is_base_url_and_model_never_the_key(fake_openai):
    engine = OpenAIEngine("test-model", base_url=fake_openai.base_url, api_key="sk-secret-1")
    assert engine.limiter_key == f"openai:{fake_openai.base_url}:test-model"
    assert "secret" not in engine.limiter_key and "secret" not in repr(engine)


def test_a_loopback_server_is_local(fake_openai):
    assert engine_for(fake_openai, "test-model").local
    assert not OpenAIEngine("m", base_url="https://api.example.com/v1").local


# -- choosing the engine -----------------------------------------------------------------------

def test_auto_picks_gemini_with_a_key_then_openai_with_a_base_url_then_offline(openai_env,
                                                                              monkeypatch):
    auto = CourseSettings(model_name="test-model")
    assert chosen_engine(auto) == "openai"
    assert resolve_engine(auto).name == "openai"
    assert chosen_engine(auto, api_key="gemini-key") == "gemini"
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert chosen_engine(auto) == "offline"


def test_the_key_comes_from_openai_api_key(openai_env, monkeypatch):
    openai_env.key = "env-key"
    monkeypatch.setenv("OPENAI_API_KEY", "env-key")
    engine = resolve_engine(CourseSettings(engine="openai", model_name="test-model"))
    assert engine.plan_outline(MATERIAL, SETTINGS).value


def test_a_base_url_with_credentials_or_no_scheme_is_refused():
    with pytest.raises(SettingsError, match="OPENAI_API_KEY"):
        CourseSettings(base_url="http://user:pass@localhost:11434/v1")
    with pytest.raises(SettingsError, match="http"):
        CourseSettings(base_url="localhost:11434")


def test_a_vendor_endpoint_that_redirects_never_carries_the_key_elsewhere():
    import http.server
    import threading

    from geminiteacher.backends.openai.facts import vendor_window

    seen: list[tuple[int, str, str | None]] = []

    def handler(port_of_other: list[int]):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append((self.server.server_address[1], self.path,
                             self.headers.get("Authorization")))
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{port_of_other[0]}/steal")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args):
                pass
        return Handler

    other: list[int] = [0]
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(other))
               for _ in range(2)]
    other[0] = servers[1].server_address[1]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{servers[0].server_address[1]}/v1"
        assert vendor_window(base, "m", "sk-secret") == (None, "")
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert seen and all(port == servers[0].server_address[1] for port, _, _ in seen)
