"""Parallel efficiency: wall time of a course against its bound, on 1, 4 and 8 workers.

Two bounds, both from the fake's request times in the same run:
- formula: outline latency + ceil(N/W) x mean chapter latency + summary latency;
- schedule: outline + the makespan of the measured chapter latencies replayed on W workers
  in input order with no gaps and no overhead + summary. This is what a zero-overhead
  engine gets for the same latencies; with jittered latencies it exceeds the formula,
  because the slowest worker, not the mean one, finishes last. The goal is on this one.
The goal runs space starts by a small random gap (0 to latency/20). More figures use the
default delay range (0.1-0.5 s) on 12 chapters and 4 workers, three courses in a row: the
mean and worst ratio of our pool, and an upstream-style model where the caller sleeps the
mean delay before each submission in turn. With default delays the bound adds the first
wave's stagger, (W - 1) mean gaps (`gap_bound`): that is what the gap is for, and once the
first wave is out a start after a finish goes at once, so it is all the gap may cost.
"""

from __future__ import annotations

import heapq
import tempfile
from collections.abc import Sequence
from pathlib import Path

from bench.harness import Run, fake_gemini, gemini_settings, material, run
from bench.report import Figure, Goal

NAME = "parallel"
GOAL = Goal("ratio", "<=", 1.10)
DEFAULTS_GOAL = Goal("value", "<=", 1.15)  # issue 25: mean wall / gap bound, default delays
WORKERS = (1, 4, 8)


def makespan(latencies: Sequence[float], workers: int, gap: float = 0.0) -> float:
    """When the last task ends if task i starts on the first free worker, but not before
    (i + 1) x gap (a caller that sleeps `gap` before each submission)."""
    free = [0.0] * workers
    for i, latency in enumerate(latencies):
        start = max((i + 1) * gap, heapq.heappop(free))
        heapq.heappush(free, start + latency)
    return max(free)


def schedule_bound(result: Run, workers: int, gap: float = 0.0) -> float:
    outline, _, summary = result.phases()
    started = sorted((r for r in result.requests if r.kind == "chapter" and r.status == 200),
                     key=lambda r: r.start)
    return outline + makespan([r.end - r.start for r in started], workers, gap) + summary


def _error(result: Run) -> str:
    failed = result.chapters_with("failed")
    return result.error or (f"{failed} chapter(s) failed" if failed else "")


def run_scenario(quick: bool) -> list[Figure]:
    chapters = 12 if quick else 24
    latency, jitter = (0.3, 0.06) if quick else (1.0, 0.2)
    small = (0.0, latency / 20)
    figures: list[Figure] = []
    with fake_gemini(latency, jitter, seed=6) as fake, tempfile.TemporaryDirectory() as tmp:
        for workers in WORKERS:
            fake.max_in_flight = 0
            label = f"{chapters} chapters, {workers} workers"
            result = run(fake, gemini_settings(chapters, workers, delay_range=small),
                         f"parallel-w{workers}", source=material(chapters),
                         output_dir=Path(tmp))
            if _error(result):
                figures.append(Figure(NAME, label, f"error: {_error(result)}", goal=GOAL))
                continue
            figures += [
                Figure(NAME, label, result.wall, "s", schedule_bound(result, workers), GOAL),
                Figure(NAME, f"{label} (formula bound)", result.wall, "s",
                       result.course_bound(chapters, workers)),
                Figure(NAME, f"peak in flight, {workers} workers", fake.max_in_flight),
            ]
        figures += _defaults(fake, Path(tmp), goal=None if quick else DEFAULTS_GOAL)
    return figures


def gap_bound(result: Run, workers: int, delay_range: tuple[float, float]) -> float:
    """The schedule bound plus the first wave's stagger, (W - 1) mean gaps: what the random
    gap is for, and all it may cost."""
    return schedule_bound(result, workers) + (workers - 1) * sum(delay_range) / 2


def _defaults(fake, tmp: Path, goal: Goal | None, courses: int = 3) -> list[Figure]:
    """12 chapters on 4 workers with the default delay range: ours, and upstream's model."""
    settings = gemini_settings(12, 4)
    label = f"12 chapters, 4 workers, default delays {settings.delay_range}"
    ratios, upstream = [], []
    for n in range(courses):
        result = run(fake, settings, f"parallel-defaults-{n}", source=material(12),
                     output_dir=tmp)
        if _error(result):
            return [Figure(NAME, label, f"error: {_error(result)}", goal=goal)]
        bound = gap_bound(result, 4, settings.delay_range)
        ratios.append(result.wall / bound)
        upstream.append(schedule_bound(result, 4, gap=sum(settings.delay_range) / 2) / bound)
    return [Figure(NAME, f"{label}, mean of {courses} courses", sum(ratios) / courses, "x",
                   goal=goal),
            Figure(NAME, f"{label}, worst of {courses} courses", max(ratios), "x"),
            Figure(NAME, "same, upstream-style serialized submission (model, mean)",
                   sum(upstream) / courses, "x")]
