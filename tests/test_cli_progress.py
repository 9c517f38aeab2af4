"""The CLI counts what this run does: a resume counts its own chapters after the ones done
before, and the cost lines say what they estimate (nothing for a source refused)."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from geminiteacher.engine.runner import run_course
from geminiteacher.errors import CancelledError
from geminiteacher.ingest.convert import load_sources
from geminiteacher.models import CourseSettings, EventKind
from tests.course_helpers import fast_settings
from tests.fakes.catalog import MODELS
from tests.test_cli import cli, gemini_cli_env

SECTIONS = "\n\n".join(
    f"## Topic {name}\n\nThe {name} topic explains how {name} works in practice. "
    f"Students learn the parts of {name} and why each part matters for the whole."
    for name in ("rivers", "lakes", "glaciers", "deltas", "tides", "storms", "dunes",
                 "caves", "reefs", "volcanoes"))


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "ten.md"
    path.write_text(f"# Ten topics\n\n{SECTIONS}\n", encoding="utf-8")
    return path


def stop_after(notes: Path, out: Path, settings: CourseSettings, done: int) -> None:
    """Write the course "Ten" from `notes` and cancel it once `done` chapters are written."""
    source, _ = load_sources([notes])
    cancel = threading.Event()
    finished = []

    def on_event(event):
        if event.kind is EventKind.DONE:
            finished.append(event.index)
            if len(finished) == done:
                cancel.set()

    with pytest.raises(CancelledError):
        run_course(source, settings, title="Ten", output_dir=out, cancel=cancel,
                   on_event=on_event)


OFFLINE = ("--max-chapters", "10", "--fixed-chapter-count", "--mode", "sequential",
           "--delay-min", "0", "--delay-max", "0")


def test_a_resume_after_6_of_10_counts_its_4_chapters_after_the_6_done_before(notes, tmp_path):
    settings = CourseSettings(engine="offline", max_chapters=10, fixed_chapter_count=True,
                              mode="sequential", delay_range=(0.0, 0.0))
    stop_after(notes, tmp_path, settings, done=6)
    result = cli("--input", str(notes), "--title", "Ten", "--output-dir", str(tmp_path),
                 *OFFLINE)
    assert result.returncode == 0, result.stderr
    assert ("6 of 10 chapters done before; this run writes 4 and the course summary"
            in result.stderr)
    counts = re.findall(r"\] (.*?)(\d+)/(\d+) ", result.stderr)
    assert counts == [("6 done before, ", str(n), "4") for n in range(1, 5)], result.stderr


def test_a_new_course_counts_every_chapter_and_says_nothing_about_earlier_work(notes,
                                                                              tmp_path):
    result = cli("--input", str(notes), "--title", "Ten", "--output-dir", str(tmp_path),
                 *OFFLINE)
    assert result.returncode == 0, result.stderr
    counts = re.findall(r"\] (\d+)/(\d+) ", result.stderr)
    assert counts == [(str(n), "10") for n in range(11)] and "before" not in result.stderr


def test_a_resumed_gemini_course_estimates_the_chapters_left_and_costs_this_run(
        notes, tmp_path, gemini_env):
    stop_after(notes, tmp_path, fast_settings(mode="sequential", max_chapters=4), done=3)
    gemini_env.requests.clear()
    result = cli("--input", str(notes), "--title", "Ten", "--output-dir", str(tmp_path),
                 "--max-chapters", "4", "--fixed-chapter-count", "--mode", "sequential",
                 env=gemini_cli_env(gemini_env))
    assert result.returncode == 0, result.stderr
    assert re.search(r"estimated cost about \$[\d.]+ for the 1 chapter\(s\) left and the "
                     r"course summary on ", result.stderr), result.stderr
    assert re.search(r"cost about \$[\d.]+ this run, \$[\d.]+ for the course over all its "
                     r"runs \(prices as of", result.stderr), result.stderr
    assert [r.kind for r in gemini_env.requests
            if r.kind in ("outline", "chapter", "summary")] == ["chapter", "summary"]


def test_a_source_refused_as_too_large_gets_no_cost_estimate(tmp_path, gemini_env):
    limit = MODELS["gemma-3-27b-it"].input_limit
    big = tmp_path / "big.md"
    big.write_text("# Big\n\n" + "word " * (limit + 1000), encoding="utf-8")
    result = cli("--input", str(big), "--output-dir", str(tmp_path), "--model-name",
                 "gemma-3-27b-it", env=gemini_cli_env(gemini_env))
    assert result.returncode == 2 and "split the material" in result.stderr, result.stderr
    assert "cost" not in result.stderr
