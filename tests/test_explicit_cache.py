"""Explicit context caching: one cache per course, used by every call, gone when it ends."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from geminiteacher.backends.gemini import GeminiEngine
from geminiteacher.backends.gemini import cache as gemini_cache
from geminiteacher.backends.gemini.cache import CourseCache
from geminiteacher.backends.prompts import document_part
from geminiteacher.engine.runner import run_course
from geminiteacher.errors import CancelledError
from geminiteacher.models import EventKind
from tests.course_helpers import MATERIAL, fast_settings
from tests.fakes.plugin import TEST_KEY

PARAGRAPH = ("A heat engine turns a temperature difference into work; the Carnot cycle "
             "bounds how much of the heat can become work. ")
DOCUMENT = "\n\n".join(f"# Part {n}\n\n" + PARAGRAPH * 28 for n in range(1, 13))  # ~40,000 chars


def manifest(folder: Path) -> dict:
    return json.loads((folder / "course.json").read_text(encoding="utf-8"))


def course_calls(fake):
    return [r for r in fake.requests if r.kind in ("outline", "chapter", "summary")]


def test_a_12_chapter_course_reads_at_least_90_percent_of_chapter_input_from_the_cache(
        gemini_env, tmp_path):
    assert 39_000 <= len(DOCUMENT) <= 41_000
    settings = fast_settings(max_chapters=12)
    run_course(DOCUMENT, settings, title="Heat", output_dir=tmp_path)
    chapters = manifest(tmp_path / "Heat")["chapters"]
    read = sum(c["tokens"]["input"] for c in chapters)
    cached = sum(c["tokens"]["cached"] for c in chapters)
    assert len(chapters) == 12 and cached / read >= 0.90
    assert gemini_env.caches.created == 1 and gemini_env.caches.live() == []


def test_every_call_after_the_outline_names_the_cache_and_sends_neither_system_nor_document(
        gemini_env, tmp_path):
    run_course(DOCUMENT, fast_settings(), title="Heat", output_dir=tmp_path)
    # the outline goes out at once, while the cache is being made
    calls = [r for r in course_calls(gemini_env) if r.kind != "outline"]
    assert {r.body.get("cachedContent") for r in calls} == {"cachedContents/fake0001"}
    assert not [r for r in calls if r.system or document_part(DOCUMENT) in r.parts]
    assert manifest(tmp_path / "Heat")["cache"]["name"] is None  # deleted at the end


def test_the_cache_is_deleted_when_the_course_is_cancelled(gemini_env, tmp_path):
    gemini_env.latency = 0.2
    cancel = threading.Event()

    def cancel_after_first_chapter(event):
        if event.kind is EventKind.DONE:
            cancel.set()

    with pytest.raises(CancelledError):
        run_course(DOCUMENT, fast_settings(max_workers=1, mode="sequential"), title="Heat",
                   output_dir=tmp_path, on_event=cancel_after_first_chapter, cancel=cancel)
    assert gemini_env.caches.created == 1 and gemini_env.caches.live() == []


def test_too_small_a_document_falls_back_to_implicit_caching_with_a_note(gemini_env, tmp_path):
    course = run_course(MATERIAL, fast_settings(cache="on"), title="T", output_dir=tmp_path)
    assert len(course.chapters) == 4 and gemini_env.caches.created == 0
    assert not [r for r in course_calls(gemini_env) if "cachedContent" in r.body]
    assert any("too small" in w for w in manifest(tmp_path / "T")["warnings"])


def test_cache_off_never_makes_one(gemini_env, tmp_path):
    run_course(DOCUMENT, fast_settings(cache="off"), title="Heat", output_dir=tmp_path)
    assert gemini_env.count("cache") == 0


def test_a_cache_that_expires_mid_course_is_replaced_once(gemini_env, tmp_path):
    def expire_after_the_first_chapter(event):
        # not at the outline: the cache is made alongside the outline call and may not
        # exist yet; the first chapter waited for it
        if event.kind is EventKind.DONE and event.index == 1:
            gemini_env.caches.expire_all()

    course = run_course(DOCUMENT, fast_settings(max_workers=1), title="Heat",
                        output_dir=tmp_path, on_event=expire_after_the_first_chapter)
    assert len(course.chapters) == 4
    assert gemini_env.caches.created == 2 and gemini_env.caches.live() == []


def _cache(fake, saved: dict | None = None) -> CourseCache:
    transport = GeminiEngine(TEST_KEY, base_url=fake.url).transport
    return CourseCache(transport._client, transport.model, "Teach.", DOCUMENT,
                       transport._http_options(), saved=saved)


def test_a_resumed_course_reuses_its_live_cache(fake_gemini):
    first = _cache(fake_gemini)
    assert first.current() is not None
    saved = first.state()  # the process dies here: the cache is never closed
    second = _cache(fake_gemini, saved)
    assert second.current() == saved["name"] and fake_gemini.caches.created == 1
    second.close()
    assert fake_gemini.caches.live() == []


def test_a_cache_running_short_is_extended_while_in_use(fake_gemini, monkeypatch):
    cache = _cache(fake_gemini)
    name = cache.current()
    monkeypatch.setattr(gemini_cache, "EXTEND_WHEN", 10 ** 6)  # every use finds it short
    assert cache.current() == name
    assert [r.method for r in fake_gemini.requests if r.kind == "cache"] == ["POST", "PATCH"]
    cache.close()


def test_a_course_with_nothing_left_to_write_makes_no_cache(gemini_env, tmp_path):
    run_course(DOCUMENT, fast_settings(), title="Heat", output_dir=tmp_path)
    created = gemini_env.caches.created
    run_course(DOCUMENT, fast_settings(), title="Heat", output_dir=tmp_path)
    assert gemini_env.caches.created == created == 1


def test_the_course_records_the_caches_size_and_storage_time(gemini_env, tmp_path):
    run_course(DOCUMENT, fast_settings(), title="Heat", output_dir=tmp_path)
    record = manifest(tmp_path / "Heat")["cache"]
    assert record["tokens"] >= len(DOCUMENT) // 4 and record["seconds"] > 0


def test_the_cli_prints_an_estimated_cost_before_and_the_cost_after(fake_gemini, tmp_path):
    from tests.test_gemini_today import gemini_cli

    notes = tmp_path / "heat.md"
    notes.write_text(DOCUMENT, encoding="utf-8")
    result = gemini_cli(fake_gemini, "--input", str(notes), "--output-dir", str(tmp_path),
                        "--max-chapters", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    estimate = [i for i, line in enumerate(lines) if "estimated cost about $" in line]
    spent = [i for i, line in enumerate(lines) if line.startswith("geminiteacher: cost about $")]
    assert len(estimate) == len(spent) == 1 and estimate[0] < spent[0]
    assert fake_gemini.caches.created == 1 and fake_gemini.caches.live() == []
