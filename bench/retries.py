"""Retry schedules compared on the same faults: 20% 503, 10% 500, 5% empty answers.

Each schedule writes the same course against a fake seeded alike, so the n-th request gets
the same fault whichever schedule runs; the median wall time of three seeds is its figure.
The candidates (seconds before retry n, at retry_delay d = 1 s, the default):
- exponential + jitter, 1.x's: d * 2^(n-1) + U(0, d)  (first retry after 1-2 s);
- full jitter: U(0, d * 2^(n-1))  (0-1 s, then 0-2 s, ...);
- quarter base: d/4 * 2^(n-1) + U(0, d/4 * 2^(n-1))  (0.25-0.5 s, then 0.5-1 s, ...);
- shipped (`geminiteacher.engine.retrying.backoff`): U(0.1, 0.5) * d * 2^(n-1).
Goal: the shipped schedule is within 1.2x of the best one measured. The bound is the
course's fault-free bound: outline + the successful chapter calls replayed on the workers +
summary + the first wave's stagger ((W - 1) mean gaps, default delays).
"""

from __future__ import annotations

import random
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from unittest import mock

from bench.harness import fake_gemini, gemini_settings, material, run
from bench.parallel import gap_bound
from bench.report import Figure, Goal
from geminiteacher.engine import retrying

NAME = "retries"
FAULTS = {503: 0.2, 500: 0.1, "empty": 0.05}
WORKERS = 4
SEEDS = (35, 36, 37)
Schedule = Callable[[int, float], float]
SCHEDULES: dict[str, Schedule] = {
    "exponential + jitter (1.x)": lambda n, d: d * 2 ** (n - 1) + random.uniform(0, d),
    "full jitter": lambda n, d: random.uniform(0, d * 2 ** (n - 1)),
    "quarter base": lambda n, d: d / 4 * 2 ** (n - 1) * (1 + random.uniform(0, 1)),
    "shipped": retrying.backoff,
}


def run_scenario(quick: bool) -> list[Figure]:
    chapters = 8 if quick else 12
    latency, jitter = (0.3, 0.06) if quick else (1.0, 0.2)
    settings = gemini_settings(chapters, WORKERS)  # default delays and retries
    walls: dict[str, list[float]] = {}
    bounds: list[float] = []
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, schedule in SCHEDULES.items():
            for seed in SEEDS:
                with fake_gemini(latency, jitter, seed=seed) as fake, \
                        mock.patch.object(retrying, "backoff", schedule):
                    fake.faults = dict(FAULTS)
                    result = run(fake, settings, f"retries-{len(walls)}-{seed}",
                                 source=material(chapters), output_dir=Path(tmp))
                if result.error:
                    return [Figure(NAME, name, f"error: {result.error}",
                                   goal=Goal("value", "==", 0))]
                walls.setdefault(name, []).append(result.wall)
                bounds.append(gap_bound(result, WORKERS, settings.delay_range))
                failed += result.chapters_with("failed") if name == "shipped" else 0
    medians = {name: statistics.median(w) for name, w in walls.items()}
    best = min(medians.values())
    bound = statistics.median(bounds)
    label = f"{chapters} chapters, {WORKERS} workers, median of {len(SEEDS)} seeds"
    figures = [Figure(NAME, f"{name}: {label}", wall, "s", bound)
               for name, wall in medians.items()]
    figures += [
        Figure(NAME, "shipped schedule / best schedule measured", medians["shipped"] / best,
               "x", goal=Goal("value", "<=", 1.2)),
        Figure(NAME, f"failed chapters, shipped schedule, {len(SEEDS)} courses", failed,
               goal=Goal("value", "==", 0)),
    ]
    return figures
