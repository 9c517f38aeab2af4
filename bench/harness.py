"""Driving real courses against the fake Gemini server, and reading bounds off its records.

Every course runs through `run_course` with a `GeminiEngine` pointed at the fake's URL, so
the real google-genai SDK talks HTTP to it. Each run gets its own key, so it gets its own
process-wide limiter, as a fresh process would. One-time costs of a process (importing
google-genai, creating the SDK client) are paid before a run's clock starts.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from geminiteacher.backends.base import Engine
from geminiteacher.backends.gemini import GeminiEngine
from geminiteacher.backends.openai import OpenAIEngine
from geminiteacher.course.store import course_dir
from geminiteacher.engine.runner import run_course
from geminiteacher.models import CourseSettings, Source
from tests.fakes.gemini_server import FakeGemini, Recorded
from tests.fakes.openai_server import FakeOpenAI

VOCABULARY = (
    "model data layer signal network gradient vector matrix sample error feature training "
    "loss weight bias output input value function system process memory cache request "
    "answer chapter course learner topic example method result theory practice review "
    "structure pattern context window token limit budget latency throughput schedule "
    "worker thread queue retry backoff quota window server client protocol message"
)


@contextmanager
def fake_gemini(latency: float = 0.0, jitter: float = 0.0, seed: int = 0) -> Iterator[FakeGemini]:
    """A started fake Gemini server, stopped afterwards."""
    fake = FakeGemini(latency=latency, jitter=jitter, seed=seed).start()
    try:
        yield fake
    finally:
        fake.stop()


def material(sections: int, chars: int = 0, seed: int = 1) -> str:
    """A Markdown document with `sections` headed sections, about `chars` long if given."""
    rng = random.Random(seed)
    words = VOCABULARY.split()
    per_section = max(200, chars // max(1, sections))
    blocks = []
    for n in range(1, sections + 1):
        body: list[str] = []
        while sum(len(s) + 1 for s in body) < per_section:
            sentence = rng.choices(words, k=rng.randint(8, 18))
            body.append(" ".join(sentence).capitalize() + ".")
        blocks.append(f"# Section {n}\n\n" + " ".join(body))
    text = "\n\n".join(blocks)
    return text[:chars] if chars else text


def gemini_settings(chapters: int, workers: int, **changes: object) -> CourseSettings:
    """Gemini settings for a course of exactly `chapters` chapters on `workers` workers."""
    base = CourseSettings(engine="gemini", max_chapters=chapters, fixed_chapter_count=True,
                          max_workers=workers, mode="parallel")
    return base.with_(**changes)


@dataclass
class Run:
    """One finished (or failed) course run and what the fake saw of it."""

    wall: float
    folder: Path
    requests: list[Recorded]
    error: str = ""

    @property
    def manifest(self) -> dict:
        try:
            return json.loads((self.folder / "course.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def chapters_with(self, status: str) -> int:
        return sum(c["status"] == status for c in self.manifest.get("chapters", []))

    def latencies(self, kind: str) -> list[float]:
        """Server-side seconds of the successful generate calls of `kind`."""
        return [r.end - r.start for r in self.requests
                if r.kind == kind and r.status == 200 and r.end > r.start]

    def count(self, kind: str | None = None, status: int | None = None) -> int:
        return sum(1 for r in self.requests
                   if (kind is None or r.kind == kind) and (status is None or r.status == status))

    def phases(self) -> tuple[float, float, float]:
        """Measured outline latency, mean chapter latency and summary latency."""
        chapters = self.latencies("chapter")
        return (max(self.latencies("outline"), default=0.0),
                statistics.fmean(chapters) if chapters else 0.0,
                max(self.latencies("summary"), default=0.0))

    def course_bound(self, chapters: int, workers: int) -> float:
        """Outline + ceil(N/W) x mean chapter latency + summary, all as measured."""
        outline, mean, summary = self.phases()
        return outline + math.ceil(chapters / workers) * mean + summary


def run(fake: FakeGemini | FakeOpenAI, settings: CourseSettings, label: str, *,
        source: str | Source,
        output_dir: Path, outline: Sequence[str] | None = None,
        retry_failed: bool = False) -> Run:
    """Run one course into `output_dir/<label>` and time it; errors land in `Run.error`.

    The engine (and so its SDK client, created once per process and key in real use) is
    built before the clock starts: a GeminiEngine for the fake Gemini, an OpenAIEngine for
    a fake OpenAI-compatible server. The fake's request log is cleared first, so
    `Run.requests` holds this run's requests only.
    """
    engine: Engine
    if isinstance(fake, FakeOpenAI):
        engine = OpenAIEngine(fake.models[0], base_url=fake.base_url,
                              timeout=settings.request_timeout)
    else:
        engine = GeminiEngine(f"bench-key-{label}", settings.model_name, base_url=fake.url,
                              timeout=settings.request_timeout)
    fake.requests.clear()
    started = time.perf_counter()
    error = ""
    try:
        run_course(source, settings, engine=engine, title=label,
                            output_dir=str(output_dir), outline=list(outline or []) or None,
                            retry_failed=retry_failed)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - started
    return Run(wall, course_dir(output_dir, label), list(fake.requests), error)
