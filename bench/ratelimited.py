"""Rate limited: a course under a requests-per-window cap enforced by the fake server.

The fake admits at most R generate calls per sliding window of S seconds and answers the
rest with 429 + RetryInfo. With the client cap set to the same R and S (CourseSettings
`requests_per_minute` and `rate_window`), the course should draw few 429s and fail nothing.

Cap bound: a course needs at least N + 2 requests (outline, chapters, summary); under the cap
the last of them cannot start before floor((N + 1) / R) x S after the first, and then takes
the measured summary latency. The bound is the larger of that and the no-cap course bound,
plus the first wave's stagger ((W - 1) mean gaps, as in every default-delay bound).
A second run without the client cap shows the adaptive limiter alone (report only). Both
use the default delay range: the caps, not the gap, bound the request rate.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.harness import Run, fake_gemini, gemini_settings, material, run
from bench.report import Figure, Goal

NAME = "rate limited"
WORKERS = 4


def cap_bound(result: Run, chapters: int, requests: int, window: float,
              delay_range: tuple[float, float]) -> float:
    """The cap's bound (or the course bound, if larger) plus the first wave's stagger,
    (W - 1) mean gaps: the sliding window repeats the first starts' spacing."""
    summary = result.phases()[2]
    capped = (chapters + 1) // requests * window + summary
    stagger = (WORKERS - 1) * sum(delay_range) / 2
    return max(capped, result.course_bound(chapters, WORKERS)) + stagger


def run_scenario(quick: bool) -> list[Figure]:
    chapters = 12 if quick else 24
    latency, jitter = (0.3, 0.06) if quick else (1.0, 0.2)
    requests, window = (4, 2.0) if quick else (6, 5.0)
    retry_delay = window / 4
    source = material(chapters)
    figures: list[Figure] = []
    with fake_gemini(latency, jitter, seed=7) as fake, tempfile.TemporaryDirectory() as tmp:
        for capped in (True, False):
            fake.rate_limit(requests, window, retry_delay)  # also forgets earlier admissions
            settings = gemini_settings(chapters, WORKERS)  # default delays and retries
            if capped:
                settings = settings.with_(requests_per_minute=requests, rate_window=window)
            where = "client cap" if capped else "no client cap, adaptive limiter only"
            result = run(fake, settings, f"ratelimited-{'cap' if capped else 'nocap'}",
                         source=source, output_dir=Path(tmp))
            label = f"{chapters} chapters, {requests} req / {window:g} s, {where}"
            if result.error:
                figures.append(Figure(NAME, label, f"error: {result.error}",
                                      goal=Goal("ratio", "<=", 1.15) if capped else None))
                continue
            figures += [
                Figure(NAME, label, result.wall, "s",
                       cap_bound(result, chapters, requests, window, settings.delay_range),
                       Goal("ratio", "<=", 1.15) if capped else None),
                Figure(NAME, f"429s drawn, {where}", result.count(status=429),
                       goal=Goal("value", "<=", 2) if capped else None),
                Figure(NAME, f"failed chapters, {where}", result.chapters_with("failed"),
                       goal=Goal("value", "==", 0) if capped else None),
            ]
    return figures
