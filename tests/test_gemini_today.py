"""Gemini as it is in late 2026: aliases, Gemini 3 thinking, Gemma, retired models, limits.

Every test drives the real SDK over HTTP against the fake, whose catalog and request rules
(tests/fakes/catalog.py) follow today's API, so a request the real service would refuse
fails here too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geminiteacher.backends.gemini import GeminiEngine
from geminiteacher.engine.runner import run_course
from geminiteacher.errors import ModelAccessError, ServiceError, SourceTooLargeError
from geminiteacher.models import DEFAULT_MODEL, Source
from tests.course_helpers import MATERIAL, fast_settings
from tests.fakes.catalog import ALIASES, MODELS
from tests.fakes.plugin import TEST_KEY
from tests.test_cli import cli

GENERATE_KINDS = ("outline", "chapter", "summary")


def generate_requests(fake):
    return [r for r in fake.requests if r.kind in GENERATE_KINDS]


def thinking_configs(fake) -> list[dict]:
    return [r.generation_config.get("thinkingConfig") or {} for r in generate_requests(fake)]


def manifest(folder: Path) -> dict:
    return json.loads((folder / "course.json").read_text(encoding="utf-8"))


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.md"
    path.write_text(MATERIAL, encoding="utf-8")
    return path


def gemini_cli(fake, *args: str):
    return cli(*args, env={"GEMINI_API_KEY": TEST_KEY, "GOOGLE_GEMINI_BASE_URL": fake.url})


def test_the_default_model_is_the_flash_alias_and_the_answering_model_is_recorded(
        fake_gemini, notes, tmp_path):
    out = tmp_path / "out"
    result = gemini_cli(fake_gemini, "--input", str(notes), "--title", "T",
                        "--output-dir", str(out))
    assert result.returncode == 0, result.stderr
    concrete = ALIASES[DEFAULT_MODEL]
    assert {r.model for r in generate_requests(fake_gemini)} == {DEFAULT_MODEL}
    data = manifest(out / "T")
    assert data["model"] == DEFAULT_MODEL and data["model_version"] == concrete
    assert {c["model"] for c in data["chapters"]} == {concrete}
    assert result.stdout.strip().splitlines()[-1].endswith(f"(model {concrete})")


def test_no_temperature_is_sent_unless_the_user_sets_one(gemini_env, tmp_path):
    run_course(MATERIAL, fast_settings(), title="A", output_dir=tmp_path)
    assert not [r for r in generate_requests(gemini_env) if "temperature" in r.generation_config]


def test_a_temperature_below_one_on_gemini_3_is_sent_with_a_warning(fake_gemini, notes,
                                                                    tmp_path):
    result = gemini_cli(fake_gemini, "--input", str(notes), "--output-dir", str(tmp_path),
                        "--title", "T", "--temperature", "0.2")
    assert result.returncode == 0, result.stderr
    assert {r.generation_config.get("temperature") for r in generate_requests(fake_gemini)} \
        == {0.2}
    warnings = [line for line in result.stderr.splitlines() if "temperature 0.2" in line]
    assert len(warnings) == 1 and "Google advises" in warnings[0]
    assert any("temperature 0.2" in w for w in manifest(tmp_path / "T")["warnings"])


def test_pro_with_thinking_off_completes_at_its_lowest_level_with_a_note(fake_gemini, notes,
                                                                        tmp_path):
    result = gemini_cli(fake_gemini, "--input", str(notes), "--output-dir", str(tmp_path),
                        "--title", "T", "--model-name", "gemini-3.1-pro-preview",
                        "--thinking", "off")
    assert result.returncode == 0, result.stderr
    assert {c.get("thinking_level") for c in thinking_configs(fake_gemini)} == {"LOW"}
    assert "cannot turn thinking off" in result.stderr
    assert all(c["status"] == "done" for c in manifest(tmp_path / "T")["chapters"])


@pytest.mark.parametrize("thinking,level", [("low", "LOW"), ("medium", "MEDIUM"),
                                            ("high", "HIGH"), ("off", "MINIMAL")])
def test_gemini_3_flash_gets_a_thinking_level(gemini_env, tmp_path, thinking, level):
    run_course(MATERIAL, fast_settings(thinking=thinking), title="T", output_dir=tmp_path)
    assert {c.get("thinking_level") for c in thinking_configs(gemini_env)} == {level}


def test_gemini_2_5_gets_a_budget_and_never_a_level(gemini_env, tmp_path):
    settings = fast_settings(model_name="gemini-2.5-flash-lite", thinking="off")
    run_course(MATERIAL, settings, title="T", output_dir=tmp_path)
    configs = thinking_configs(gemini_env)
    assert {c.get("thinking_budget") for c in configs} == {0}
    assert not [c for c in configs if "thinking_level" in c]


def test_a_2_5_era_budget_becomes_a_level_on_gemini_3(gemini_env, tmp_path):
    run_course(MATERIAL, fast_settings(thinking_budget=2048), title="T", output_dir=tmp_path)
    configs = thinking_configs(gemini_env)
    assert {c.get("thinking_level") for c in configs} == {"MEDIUM"}
    assert not [c for c in configs if "thinking_budget" in c]


def test_auto_thinking_sends_no_thinking_config(gemini_env, tmp_path):
    run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    assert thinking_configs(gemini_env) == [{}] * len(generate_requests(gemini_env))


def test_gemma_gets_the_system_instruction_in_the_user_turn_and_no_thinking(gemini_env,
                                                                            tmp_path):
    settings = fast_settings(model_name="gemma-3-27b-it", thinking="low")
    course = run_course(MATERIAL, settings, title="T", output_dir=tmp_path)
    requests = generate_requests(gemini_env)
    assert len(course.chapters) == 4 and requests
    assert not [r for r in requests if r.system or "thinkingConfig" in r.generation_config]
    firsts = {r.parts[0] for r in requests}
    assert len(firsts) == 1  # the constant prefix implicit caching needs
    assert firsts.pop().startswith("You are an experienced teacher")
    assert "does not think" in " ".join(manifest(tmp_path / "T")["warnings"])


def test_max_output_tokens_is_the_models_own_limit(gemini_env, tmp_path):
    run_course(MATERIAL, fast_settings(model_name="gemma-3-27b-it"), title="T",
               output_dir=tmp_path)
    limit = MODELS["gemma-3-27b-it"].output_limit
    assert {r.generation_config.get("maxOutputTokens") for r in generate_requests(gemini_env)} \
        == {limit}


def test_a_retired_model_exits_2_with_one_line_listing_usable_models(fake_gemini, notes,
                                                                     tmp_path):
    result = gemini_cli(fake_gemini, "--input", str(notes), "--output-dir", str(tmp_path),
                        "--model-name", "gemini-2.5-flash")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "gemini-2.5-flash" in lines[0] and "gemini-flash-latest" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_source_over_the_models_input_limit_is_refused_before_any_generation(gemini_env,
                                                                               tmp_path):
    limit = MODELS["gemma-3-27b-it"].input_limit
    big = Source.from_text("# Big\n\n" + "word " * (limit + 1000))
    with pytest.raises(SourceTooLargeError) as caught:
        run_course(big, fast_settings(model_name="gemma-3-27b-it"), title="T",
                   output_dir=tmp_path)
    assert f"{limit:,}" in str(caught.value)
    assert generate_requests(gemini_env) == []


def test_a_rejected_parameter_is_dropped_once_and_the_call_retried_with_a_warning(gemini_env,
                                                                                 tmp_path):
    gemini_env.fail_next(1, 400, message="Thinking level HIGH is not supported for this model.")
    course = run_course(MATERIAL, fast_settings(thinking="high"), title="T",
                        output_dir=tmp_path)
    assert len(course.chapters) == 4
    configs = thinking_configs(gemini_env)
    assert configs[0] and configs[1] == {} and not [c for c in configs[2:] if c]
    warnings = manifest(tmp_path / "T")["warnings"]
    assert any("rejected the thinking setting" in w for w in warnings)


def test_structured_output_rejected_by_the_v1_api_falls_back_to_markdown(gemini_env, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1")
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    assert [c.title for c in course.chapters] == ["Topic 1", "Topic 2", "Topic 3", "Topic 4"]
    assert all(c.explanation for c in course.chapters)
    assert any("structured output" in w for w in manifest(tmp_path / "T")["warnings"])


def test_a_400_that_is_not_about_the_key_leads_with_the_servers_reason(fake_gemini):
    engine = GeminiEngine(TEST_KEY, base_url=fake_gemini.url)
    fake_gemini.fail_next(1, 400, message="Request contains an invalid argument.")
    with pytest.raises(ModelAccessError) as caught:
        engine.write_summary(MATERIAL, [], fast_settings())
    assert str(caught.value).startswith(
        "Gemini rejected the request: Request contains an invalid argument")
    assert "API key" not in str(caught.value)


def test_an_unreadable_answer_is_a_retryable_service_error(fake_gemini):
    engine = GeminiEngine(TEST_KEY, base_url=fake_gemini.url)
    fake_gemini.garbage_next(1)
    with pytest.raises(ServiceError) as caught:
        engine.write_summary(MATERIAL, [], fast_settings())
    assert caught.value.retryable and "could not be read" in str(caught.value)


def test_an_unreadable_answer_costs_one_retry_not_the_course(gemini_env, tmp_path):
    gemini_env.garbage_next(2)
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    assert len(course.chapters) == 4
    assert all(c["status"] == "done" for c in manifest(tmp_path / "T")["chapters"])


def test_without_a_model_list_generation_still_works_with_documented_defaults(gemini_env,
                                                                             tmp_path):
    gemini_env.serve_models = False
    engine = GeminiEngine(TEST_KEY, "gemini-3.1-pro-preview")
    assert not engine.facts().known
    with pytest.raises(ServiceError, match="type a model name"):
        engine.list_models()
    course = run_course(MATERIAL, fast_settings(model_name="gemini-3.1-pro-preview",
                                                thinking="off"), title="T", output_dir=tmp_path)
    assert len(course.chapters) == 4
    assert {c.get("thinking_level") for c in thinking_configs(gemini_env)} == {"LOW"}


def test_an_output_limit_the_server_refuses_is_dropped_and_the_call_retried(gemini_env,
                                                                            tmp_path):
    gemini_env.fail_next(1, 400, message="The maxOutputTokens value 65536 is out of range.")
    course = run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    assert len(course.chapters) == 4
    sent = [r.generation_config.get("maxOutputTokens") for r in generate_requests(gemini_env)]
    assert sent[0] and not [value for value in sent[1:] if value]
