"""Whole courses through the OpenAI-compatible provider against the fake servers: every
flavour and mode from the API, the command line (in a subprocess), resume, the size check,
and two processes sharing one request cap through a real redis-server."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import geminiteacher as gt
from geminiteacher.backends.openai import OpenAIEngine
from geminiteacher.engine.ratelimit import REDIS_URL
from geminiteacher.engine.runner import finish_course, run_course
from geminiteacher.errors import SourceTooLargeError
from geminiteacher.models import CourseSettings, Event, EventKind, MediaPart, Source
from tests.course_helpers import MATERIAL
from tests.fakes.openai_server import FakeOpenAI
from tests.test_redis_limit import most_in_any_window

ROOT = Path(__file__).resolve().parents[1]


def settings(fake: FakeOpenAI, **changes) -> CourseSettings:
    base = CourseSettings(engine="openai", base_url=fake.base_url, model_name=fake.models[0],
                          max_chapters=3, fixed_chapter_count=True, quiz_questions=2,
                          delay_range=(0.0, 0.0), retry_delay=0.01, request_timeout=5.0)
    return base.with_(**changes)


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY",
                         "OPENAI_BASE_URL", REDIS_URL)}
    return subprocess.run([sys.executable, "-m", "geminiteacher", *args], capture_output=True,
                          text=True, timeout=120, env={**base, "PYTHONPATH": str(ROOT), **env})


@pytest.mark.parametrize("mode", ["sequential", "parallel", "cascade"])
@pytest.mark.parametrize("flavour", ["openai", "vllm", "ollama", "lmstudio", "llamacpp"])
def test_a_whole_course_is_written_in_every_flavour_and_mode(flavour, mode, tmp_path):
    with FakeOpenAI(flavour, models=("local-model",)) as fake:
        course = run_course(MATERIAL, settings(fake, mode=mode), title="Ideas",
                            output_dir=tmp_path)
        kinds = [r.kind for r in fake.chats()]
    assert kinds.count("outline") == 1 and kinds.count("chapter") == 3
    assert kinds.count("summary") == 1
    assert [c.title for c in course.chapters] == ["Topic 1", "Topic 2", "Topic 3"]
    assert all(len(c.quiz) == 2 and c.sources for c in course.chapters)
    manifest = json.loads((tmp_path / "Ideas" / "course.json").read_text())
    assert manifest["engine"] == "openai" and manifest["model"] == "local-model"
    assert manifest["settings"]["base_url"] == fake.base_url
    assert manifest["usage"]["input"] > 0 and course.model == "local-model"


def test_cascade_tells_each_chapter_the_summaries_before_it(tmp_path):
    with FakeOpenAI() as fake:
        run_course(MATERIAL, settings(fake, mode="cascade"), output_dir=tmp_path)
        chapters = [r for r in fake.chats() if r.kind == "chapter"]
    assert "Earlier chapters" not in chapters[0].user
    assert "Chapter 1: Topic 1" in chapters[2].user and "Chapter 2: Topic 2" in chapters[2].user


def test_the_api_picks_the_provider_from_openai_base_url(openai_env, tmp_path):
    course = gt.create_course_parallel(MATERIAL, max_chapters=2, fixed_chapter_count=True,
                                       model_name="test-model", delay_range=(0, 0),
                                       course_title="Ideas", output_dir=str(tmp_path))
    assert len(course.chapters) == 2 and openai_env.count("chapter") == 2
    assert json.loads((tmp_path / "Ideas" / "course.json").read_text())["engine"] == "openai"


def test_the_api_takes_an_openai_engine_as_llm(tmp_path):
    with FakeOpenAI("vllm", models=("served",)) as fake:
        engine = OpenAIEngine("served", base_url=fake.base_url)
        toc = gt.generate_toc(MATERIAL, llm=engine, max_chapters=3, fixed_chapter_count=True)
        course = gt.create_course_cascade(MATERIAL, llm=engine, max_chapters=2,
                                          fixed_chapter_count=True, delay_range=(0, 0),
                                          output_dir=str(tmp_path))
    assert toc == ["Topic 1", "Topic 2", "Topic 3"] and len(course.chapters) == 2


def test_a_refused_format_is_noted_once_and_the_course_completes(tmp_path):
    with FakeOpenAI("lmstudio", models=("local-model",)) as fake:
        fake.refuse = {"json_schema", "json_object"}
        course = run_course(MATERIAL, settings(fake, mode="parallel"), title="Ideas",
                            output_dir=tmp_path)
    manifest = json.loads((tmp_path / "Ideas" / "course.json").read_text())
    notes = [w for w in manifest.get("warnings", []) if "response_format" in w]
    assert len(notes) == 2  # json_schema, then JSON mode: each refused once
    assert all(len(c.quiz) == 2 for c in course.chapters)


def test_a_source_beyond_the_window_ollama_reports_is_refused_before_any_call(tmp_path):
    with FakeOpenAI("ollama", models=("small:latest",), window=300) as fake:
        with pytest.raises(SourceTooLargeError):
            run_course(MATERIAL * 4, settings(fake), output_dir=tmp_path)
        assert fake.chats() == []


def test_failed_chapters_are_finished_later_on_the_recorded_server(tmp_path):
    with FakeOpenAI() as fake:
        def fail_first_chapter(event: Event) -> None:
            if event.kind is EventKind.OUTLINE:
                fake.fail_next(2, 503)  # both attempts of chapter 1

        run_course(MATERIAL, settings(fake, mode="sequential", max_retries=1), title="Ideas",
                   output_dir=tmp_path, on_event=fail_first_chapter)
        manifest = json.loads((tmp_path / "Ideas" / "course.json").read_text())
        assert [c["status"] for c in manifest["chapters"]] == ["failed", "done", "done"]
        course = finish_course(tmp_path / "Ideas")
        assert fake.chats()[-2].kind == "chapter" and "Topic 1" in fake.chats()[-2].user
    assert course.chapters[0].summary != "This chapter could not be generated."


@pytest.mark.parametrize("mode", ["sequential", "parallel", "cascade"])
def test_the_cli_writes_a_course_and_shows_tokens_for_an_unpriced_model(mode, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    with FakeOpenAI("vllm", models=("llama-3.1-8b",)) as fake:
        result = cli("--input", str(notes), "--title", "Ideas", "--output-dir",
                     str(tmp_path / "o"), "--engine", "openai", "--base-url", fake.base_url,
                     "--max-chapters", "3", "--fixed-chapter-count", "--mode", mode,
                     "--delay-min", "0", "--delay-max", "0", env={})
        assert fake.count("chapter") == 3
    assert result.returncode == 0, result.stderr
    assert "no price is known for llama-3.1-8b" in result.stderr
    assert "tokens (" in result.stderr and "$" not in result.stderr
    assert "(model llama-3.1-8b)" in result.stdout


def test_the_cli_shows_a_cost_when_the_price_table_has_the_model(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"llama": {"input": 0.1, "cached": 0.01, "output": 0.2}}))
    with FakeOpenAI("ollama", models=("llama3.2:latest",)) as fake:
        result = cli("--input", str(notes), "--output-dir", str(tmp_path / "o"),
                     "--max-chapters", "2", "--fixed-chapter-count", "--model-name",
                     "llama3.2", "--delay-min", "0", "--delay-max", "0",
                     env={"OPENAI_BASE_URL": fake.base_url, "GEMINITEACHER_PRICES": str(prices)})
    assert result.returncode == 0, result.stderr
    assert "cost about $" in result.stderr


def test_the_cli_stops_on_a_wrong_key_with_one_line(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    with FakeOpenAI(key="the-right-key") as fake:
        result = cli("--input", str(notes), "--output-dir", str(tmp_path / "o"),
                     "--engine", "openai", "--model-name", "test-model",
                     env={"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-wrong-99"})
        assert fake.chats() == []
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("geminiteacher: error: ")
    assert "refused the API key" in result.stderr and "sk-wrong-99" not in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_names_the_models_for_an_unknown_one(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    with FakeOpenAI("ollama", models=("qwen3:8b", "gemma3:4b")) as fake:
        result = cli("--input", str(notes), "--output-dir", str(tmp_path / "o"),
                     "--engine", "openai", "--model-name", "llama9",
                     "--base-url", fake.base_url, env={})
    assert result.returncode != 0
    assert "models there: qwen3:8b, gemma3:4b" in result.stderr
    assert "Traceback" not in result.stderr


PICTURE = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # the bytes travel, whatever they draw


def with_picture(mime: str = "image/png") -> Source:
    source = Source.from_text(MATERIAL, "notes.md")
    source.media.append(MediaPart("diagram.png", "image", mime, data=PICTURE))
    return source


def test_pictures_go_as_image_parts_before_the_document(tmp_path):
    with FakeOpenAI("vllm", models=("vision-model",)) as fake:
        course = run_course(with_picture(), settings(fake), title="Ideas", output_dir=tmp_path)
        chats = [r for r in fake.chats() if r.kind in ("outline", "chapter", "summary")]
    url = "data:image/png;base64," + base64.b64encode(PICTURE).decode()
    assert chats and all(r.images == [url] for r in chats)
    assert "diagram.png (picture)" in chats[0].user
    assert all("Picture seen: image/png" in c.explanation for c in course.chapters)


@pytest.mark.parametrize("flavour", ["openai", "vllm", "ollama", "lmstudio"])
def test_a_text_only_model_gets_the_text_alone_with_a_note(flavour, tmp_path):
    with FakeOpenAI(flavour, models=("text-model",)) as fake:
        fake.text_only = {"text-model"}
        course = run_course(with_picture(), settings(fake, mode="parallel"), title="Ideas",
                            output_dir=tmp_path)
        with_images = [r for r in fake.chats() if r.images]
    assert len(with_images) == 1 and len(course.chapters) == 3
    warnings = json.loads((tmp_path / "Ideas" / "course.json").read_text())["warnings"]
    assert any("pictures" in w and "left out" in w for w in warnings)


def test_a_picture_type_image_url_cannot_take_is_left_out_with_a_note(tmp_path):
    with FakeOpenAI(models=("vision-model",)) as fake:
        run_course(with_picture("image/heic"), settings(fake), title="Ideas",
                   output_dir=tmp_path)
        assert not any(r.images for r in fake.chats())
    warnings = json.loads((tmp_path / "Ideas" / "course.json").read_text())["warnings"]
    assert any("diagram.png is left out: image/heic" in w for w in warnings)


@pytest.mark.redis
def test_two_processes_on_one_server_share_the_request_cap_through_redis(redis_url, tmp_path):
    requests, window = 2, 1.0
    counted = window - 0.3  # arrivals lag starts a little on a loaded machine
    with FakeOpenAI("vllm", models=("shared-model",)) as fake:
        fake.rate_limit(requests, counted)  # a request over the cap would draw a 429
        processes = []
        for name in ("Alpha", "Beta"):
            notes = tmp_path / f"{name}.md"
            notes.write_text(f"{name.upper()}-DOC\n\n{MATERIAL}", encoding="utf-8")
            base = {k: v for k, v in os.environ.items()
                    if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY")}
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "geminiteacher", "--input", str(notes), "--title", name,
                 "--output-dir", str(tmp_path / "out"), "--mode", "parallel",
                 "--max-chapters", "4", "--fixed-chapter-count", "--max-workers", "2",
                 "--delay-min", "0", "--delay-max", "0", "--requests-per-minute",
                 str(requests), "--rate-window", str(window)],
                env={**base, "PYTHONPATH": str(ROOT), "OPENAI_BASE_URL": fake.base_url,
                     "OPENAI_API_KEY": f"key-of-{name}", REDIS_URL: redis_url},
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for process in processes:
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
        calls = [r for r in fake.chats() if r.kind in ("outline", "chapter", "summary")]
    assert len(calls) == 2 * 6 and fake.count(status=429) == 0
    assert most_in_any_window([r.start for r in calls], counted) <= requests


def test_yaml_names_the_engine_server_and_window(tmp_path):
    from geminiteacher.cli import load_options, settings_from

    config = tmp_path / "course.yaml"
    config.write_text("engine: openai\nbase-url: http://localhost:8000/v1/\n"
                      "context_window: 16384\nmodel_name: Qwen/Qwen3-8B\n", encoding="utf-8")
    chosen = settings_from(load_options(["--config", str(config), "--input", "x.md"]))
    assert (chosen.engine, chosen.base_url, chosen.context_window, chosen.model_name) == \
        ("openai", "http://localhost:8000/v1", 16384, "Qwen/Qwen3-8B")
