"""Overhead: what our pool, limiter, retry layer and store cost per chapter.

Two measurements of `run_course` with an outline of N chapters (4 workers, no delays):
- over HTTP against the zero-latency fake, through google-genai (report only: it includes
  the SDK, HTTP on both sides and the fake itself, all in this one process);
- with `InstantEngine`, a benchmark-only in-process engine that returns a fixed chapter at
  once, so all that remains is our own code. The goal (< 5 ms per chapter) is on this one;
  a smaller course is timed too, to show whether the cost per chapter grows with N.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.harness import fake_gemini, material, run
from bench.report import Figure, Goal
from geminiteacher.backends.base import Engine
from geminiteacher.engine.runner import run_course
from geminiteacher.models import ChapterContent, CourseSettings, Reply, Usage

NAME = "overhead"
SETTINGS = CourseSettings(max_workers=4, delay_range=(0.0, 0.0), max_retries=3)


class InstantEngine(Engine):
    """Answers every call at once with fixed text (benchmark only)."""

    name = "instant"
    model = "instant"

    def plan_outline(self, source: str, settings: CourseSettings) -> Reply:
        return Reply(["Only chapter"], Usage(10, 0, 5))

    def write_chapter(self, source: str, title: str, settings: CourseSettings, *,
                      index: int = 1, outline: Sequence[str] = (),
                      previous: Sequence[ChapterContent] = ()) -> Reply:
        return Reply(ChapterContent(title, "Summary.", "Explanation.", "Extension."),
                     Usage(100, 80, 50, 10))

    def write_summary(self, source: str, chapters: Sequence[ChapterContent],
                      settings: CourseSettings) -> Reply:
        return Reply("Summary of the course.", Usage(100, 80, 50))

    def count_tokens(self, text: str) -> int:
        return len(text) // 4


def titles(n: int) -> list[str]:
    return [f"Chapter {i}" for i in range(1, n + 1)]


def instant_ms(chapters: int, tmp: Path) -> float:
    """Milliseconds per chapter of a whole course with the instant engine."""
    started = time.perf_counter()
    run_course(material(4), SETTINGS, engine=InstantEngine(), title=f"instant-{chapters}",
               output_dir=str(tmp), outline=titles(chapters))
    return (time.perf_counter() - started) * 1000 / chapters


def run_scenario(quick: bool) -> list[Figure]:
    big, small = (300, 100) if quick else (1000, 100)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        figures.append(Figure(NAME, f"ms per chapter, {big} chapters, in-process engine",
                              instant_ms(big, Path(tmp)), "ms", goal=Goal("value", "<", 5)))
        figures.append(Figure(NAME, f"ms per chapter, {small} chapters, in-process engine",
                              instant_ms(small, Path(tmp)), "ms"))
        with fake_gemini() as fake:
            result = run(fake, SETTINGS.with_(engine="gemini"), "overhead-http",
                         source=material(4), output_dir=Path(tmp), outline=titles(big))
        label = f"ms per chapter, {big} chapters, HTTP + SDK + fake, zero latency"
        figures.append(Figure(NAME, label, f"error: {result.error}") if result.error else
                       Figure(NAME, label, result.wall * 1000 / big, "ms"))
    return figures
