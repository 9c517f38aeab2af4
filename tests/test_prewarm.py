"""Prewarming: Gemini's SDK, client and model facts are ready before a course asks for them."""

from __future__ import annotations

from geminiteacher.backends import prewarm
from geminiteacher.engine.runner import run_course
from tests.course_helpers import MATERIAL, fast_settings


def test_a_prewarm_reads_the_model_facts_that_the_next_course_then_reuses(gemini_env, tmp_path):
    thread = prewarm(model=fast_settings().model_name)
    assert thread is not None
    thread.join(20)
    assert gemini_env.count("list") == 1 and gemini_env.count("outline") == 0
    run_course(MATERIAL, fast_settings(), title="T", output_dir=tmp_path)
    assert gemini_env.count("list") == 1  # the course did not ask again


def test_nothing_is_prewarmed_without_a_key(monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    assert prewarm() is None


def test_prewarming_can_be_turned_off(gemini_env, monkeypatch):
    monkeypatch.setenv("GEMINITEACHER_PREWARM", "0")
    assert prewarm() is None
    assert gemini_env.requests == []

