"""Batch against online: requests made, and wall time to completion given the batch delay.

The same course runs twice against the fake: online (every chapter a generateContent call at
the fake's latency, `WORKERS` at once) and with `batch=True` (the outline and the summary
online, the chapters as one batch job that the fake holds for `DELAY` seconds). The batch's
bound is what the server imposes: outline + batch delay + summary; the rest is the client's
polling, whose interval grows by `POLL_GROWTH` (so it overshoots by less than half the time
waited, and by at most `MAX_POLL` on long jobs).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.harness import fake_gemini, gemini_settings, material, run
from bench.report import Figure, Goal

NAME = "batch"
WORKERS = 4


def run_scenario(quick: bool) -> list[Figure]:
    chapters, latency, delay = (8, 0.3, 4.0) if quick else (24, 1.0, 20.0)
    settings = gemini_settings(chapters, WORKERS, delay_range=(0.0, 0.0))
    with fake_gemini(latency, seed=11) as fake, tempfile.TemporaryDirectory() as tmp:
        online = run(fake, settings, "online", source=material(chapters),
                     output_dir=Path(tmp))
        fake.batches.delay = delay
        batched = run(fake, settings.with_(batch=True), "batch", source=material(chapters),
                      output_dir=Path(tmp))
        done = batched.chapters_with("done")  # read before the folder goes
    if online.error or batched.error:
        return [Figure(NAME, "scenario", f"error: {online.error or batched.error}",
                       goal=Goal("run", "==", 0))]
    generate = ("outline", "chapter", "summary")
    outline, _, summary = batched.phases()
    job_calls = batched.count("batch") + batched.count("batches")
    return [
        Figure(NAME, f"online: requests for {chapters} chapters (generate calls)",
               sum(online.count(k) for k in generate)),
        Figure(NAME, "batch: requests (outline + summary online; create, polls, delete)",
               sum(batched.count(k) for k in generate) + job_calls),
        Figure(NAME, "batch: online chapter calls", batched.count("chapter"),
               goal=Goal("value", "==", 0)),
        Figure(NAME, "batch: chapters done", done,
               goal=Goal("value", "==", chapters)),
        Figure(NAME, f"online wall / bound ({latency:g} s per call, {WORKERS} workers)",
               online.wall, "s", online.course_bound(chapters, WORKERS)),
        Figure(NAME, f"batch wall / (outline + {delay:g} s batch delay + summary)",
               batched.wall, "s", outline + delay + summary, goal=Goal("ratio", "<=", 1.5)),
    ]
