"""Many workers, short calls, default delays: the random gap must only stagger bursts.

Courses on 8 and 32 workers with 0.5 s and 3 s calls (± 10 %) and the default delay range,
plus 60 chapters on 8 workers at 0.5 s with and without delays (the regime where a gap
before every start capped upstream at about 4.7x its bound). Bound (`gap_bound`): the
measured latencies replayed on the workers, plus the outline and summary, plus the first
wave's stagger, (W - 1) x the mean gap. Goal: each course within 1.15x of its bound.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.harness import fake_gemini, gemini_settings, material, run
from bench.parallel import gap_bound
from bench.report import Figure, Goal

NAME = "many workers"
GOAL = Goal("ratio", "<=", 1.15)


def _cases(quick: bool) -> list[tuple[int, int, float, bool]]:
    """(chapters, workers, latency, default delays) of each course."""
    if quick:
        return [(24, 8, 0.5, True), (64, 32, 0.5, True), (24, 8, 0.5, False)]
    return [(60, 8, 0.5, True), (96, 32, 0.5, True), (24, 8, 3.0, True), (96, 32, 3.0, True),
            (60, 8, 0.5, False)]


def run_scenario(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, (chapters, workers, latency, delays) in enumerate(_cases(quick)):
            settings = gemini_settings(chapters, workers)
            if not delays:
                settings = settings.with_(delay_range=(0.0, 0.0))
            label = (f"{chapters} chapters, {workers} workers, {latency:g} s calls, "
                     + (f"default delays {settings.delay_range}" if delays else "no delays"))
            with fake_gemini(latency, latency / 10, seed=40 + n) as fake:
                result = run(fake, settings, f"workers-{n}", source=material(chapters),
                             output_dir=Path(tmp))
                peak = fake.max_in_flight
            failed = result.chapters_with("failed")
            if result.error or failed:
                figures.append(Figure(NAME, label, f"error: {result.error or failed}",
                                      goal=GOAL))
                continue
            figures += [
                Figure(NAME, label, result.wall, "s",
                       gap_bound(result, workers, settings.delay_range), GOAL),
                Figure(NAME, f"peak in flight, {chapters} chapters on {workers} workers, "
                             f"{latency:g} s", peak),
            ]
    return figures
