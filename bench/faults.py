"""Faults: a course while the fake answers 20% 503, 10% 500, 5% empty and 2% hanging calls.

A hanging call sleeps longer than `request_timeout`, so the client must time out and retry;
the seed puts two hangs among the first ten calls.
Settings: request_timeout small, max_retries 5, retry_delay 0.2 s. The goal is zero failed
chapters; wall time is reported against the fault-free course bound (the mean chapter
latency over successful calls that did not hang).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.harness import fake_gemini, gemini_settings, material, run
from bench.report import Figure, Goal

NAME = "faults"
FAULTS = {503: 0.2, 500: 0.1, "empty": 0.05, "hang": 0.02}
WORKERS = 4


def run_scenario(quick: bool) -> list[Figure]:
    chapters = 12 if quick else 24
    latency, jitter = (0.3, 0.06) if quick else (1.0, 0.2)
    timeout = 1.5 if quick else 3.0
    with fake_gemini(latency, jitter, seed=35) as fake, tempfile.TemporaryDirectory() as tmp:
        fake.faults = dict(FAULTS)
        fake.hang_seconds = 3 * timeout
        settings = gemini_settings(chapters, WORKERS, delay_range=(0.0, latency / 20),
                                   request_timeout=timeout, max_retries=5, retry_delay=0.2)
        result = run(fake, settings, "faults", source=material(chapters), output_dir=Path(tmp))
        label = f"failed chapters of {chapters}"
        if result.error:
            return [Figure(NAME, label, f"error: {result.error}", goal=Goal("value", "==", 0))]
        generate = sum(result.count(kind) for kind in ("outline", "chapter", "summary"))
        hung = sum(1 for r in result.requests if r.end == 0.0 or r.end - r.start >= timeout)
        return [
            Figure(NAME, label, result.chapters_with("failed"), goal=Goal("value", "==", 0)),
            Figure(NAME, f"{chapters} chapters, {WORKERS} workers, wall", result.wall, "s",
                   result.course_bound(chapters, WORKERS)),
            Figure(NAME, "generate requests (bound: one per call)", generate, "", chapters + 2),
            Figure(NAME, "errors answered (503/500)", result.count(status=503)
                   + result.count(status=500)),
            Figure(NAME, "calls timed out (hang)", hung),
        ]
