"""A 200-chapter course with 30% faulty calls, then `retry_failed` on the same folder.

Faults: 15% 503, 10% 500, 5% empty answers. Settings are the defaults except 8 workers and
short delays. The first pass may leave a few chapters failed (each chapter gives up after
max_retries); the second pass must request only those and leave none failed.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from bench.harness import Run, fake_gemini, gemini_settings, material, run
from bench.report import Figure, Goal

NAME = "200 chapters, 30% faults"
CHAPTERS = 200
WORKERS = 8
FAULTS = {503: 0.15, 500: 0.10, "empty": 0.05}
_TITLE = re.compile(r"^Chapter title:\s*(.+)$", re.MULTILINE)


def _requested(result: Run) -> set[str]:
    found = (_TITLE.search(r.instruction) for r in result.requests if r.kind == "chapter")
    return {m.group(1).strip() for m in found if m}


def run_scenario(quick: bool) -> list[Figure]:
    latency, jitter = (0.05, 0.01) if quick else (1.0, 0.2)
    titles = [f"Part {i}" for i in range(1, CHAPTERS + 1)]
    # max_chapters (at most 100) caps a planned outline; this one is given, so it is not cut.
    settings = gemini_settings(100, WORKERS, delay_range=(0.0, latency / 20),
                               retry_delay=0.1 if quick else 0.5)
    with fake_gemini(latency, jitter, seed=200) as fake, tempfile.TemporaryDirectory() as tmp:
        fake.faults = dict(FAULTS)
        first = run(fake, settings, "big", source=material(20), output_dir=Path(tmp),
                    outline=titles)
        failed = {c["title"] for c in first.manifest.get("chapters", [])
                  if c["status"] == "failed"}
        second = run(fake, settings, "big", source=material(20), output_dir=Path(tmp),
                     retry_failed=True)
        done = second.chapters_with("done")
    error = first.error or second.error
    if error:
        return [Figure(NAME, "failed after retry_failed", f"error: {error}",
                       goal=Goal("value", "==", 0))]
    return [
        Figure(NAME, "first pass wall", first.wall, "s", first.course_bound(CHAPTERS, WORKERS)),
        Figure(NAME, "first pass generate requests", first.count("chapter")
               + first.count("summary"), "", CHAPTERS + 1),
        Figure(NAME, "failed after first pass", len(failed)),
        Figure(NAME, "failed after retry_failed", CHAPTERS - done, goal=Goal("value", "==", 0)),
        Figure(NAME, "chapters re-requested that had not failed",
               len(_requested(second) - failed), goal=Goal("value", "==", 0)),
    ]
