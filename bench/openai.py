"""The OpenAI-compatible provider beside Gemini: the same courses through the `openai` SDK
against the fake OpenAI-compatible server and through google-genai against the fake Gemini.

- ratio to the parallel bound: a course of N chapters on 4 workers at the same jittered
  latency on both fakes, its wall time against the schedule bound measured in the same run
  (see bench/parallel.py); the goal is the parallel scenario's, on the provider's ratio;
- overhead: milliseconds per chapter of a course at zero latency (SDK, HTTP on both sides and
  the fake, all in this one process), for each provider.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.harness import fake_gemini, material, run
from bench.parallel import GOAL, schedule_bound
from bench.report import Figure
from geminiteacher.models import CourseSettings
from tests.fakes.openai_server import FakeOpenAI

NAME = "openai"
WORKERS = 4


def settings(chapters: int, engine: str, latency: float) -> CourseSettings:
    return CourseSettings(engine=engine, max_chapters=chapters, fixed_chapter_count=True,
                          max_workers=WORKERS, mode="parallel",
                          delay_range=(0.0, latency / 20))


def run_scenario(quick: bool) -> list[Figure]:
    chapters, big = (12, 300) if quick else (24, 1000)
    latency, jitter = (0.3, 0.06) if quick else (1.0, 0.2)
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        with FakeOpenAI(latency=latency, jitter=jitter, seed=6, window=1_000_000) as server, \
                fake_gemini(latency, jitter, seed=6) as gemini:
            for provider, fake, engine in (("openai", server, "openai"),
                                           ("gemini", gemini, "gemini")):
                result = run(fake, settings(chapters, engine, latency), f"{provider}-bound",
                             source=material(chapters), output_dir=out)
                label = f"{provider}: {chapters} chapters, {WORKERS} workers, vs schedule bound"
                if result.error or result.chapters_with("failed"):
                    figures.append(Figure(NAME, label, f"error: {result.error or 'failed'}",
                                          goal=GOAL if provider == "openai" else None))
                    continue
                figures.append(Figure(NAME, label, result.wall, "s",
                                      schedule_bound(result, WORKERS),
                                      GOAL if provider == "openai" else None))
        outline = [f"Chapter {i}" for i in range(1, big + 1)]
        with FakeOpenAI(window=1_000_000) as server, fake_gemini() as gemini:
            for provider, fake, engine in (("openai", server, "openai"),
                                           ("gemini", gemini, "gemini")):
                result = run(fake, settings(10, engine, 0.0).with_(delay_range=(0.0, 0.0)),
                             f"{provider}-overhead", source=material(4), output_dir=out,
                             outline=outline)
                label = f"{provider}: ms per chapter, {big} chapters, HTTP + SDK + fake, zero " \
                        "latency"
                figures.append(Figure(NAME, label, f"error: {result.error}") if result.error
                               else Figure(NAME, label, result.wall * 1000 / big, "ms"))
    return figures
