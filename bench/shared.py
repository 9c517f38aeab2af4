"""Two processes sharing one cap: two CLI processes write a course each on one API key.

The fake admits at most R generate calls per sliding window of S seconds (both processes
together) and answers the rest with 429 + RetryInfo. Each process is told the cap
(`--requests-per-minute R --rate-window S`). Without Redis each keeps its own count, so
together they send up to twice the cap and draw 429s; with GEMINITEACHER_REDIS_URL they
count in one shared window.

Cap bound: the two courses need 2 (N + 2) requests; under the cap the last of them cannot
start before floor((2N + 3) / R) x S after the first, and then takes the measured summary
latency. Wall time is read off the fake, from the first generate request's arrival to the
last answer, so the processes' start-up (imports) is not counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.harness import fake_gemini, material
from bench.report import Figure, Goal
from geminiteacher.engine.ratelimit import REDIS_URL
from tests.fakes.gemini_server import FakeGemini
from tests.redis_server import redis_server

NAME = "shared cap"
WORKERS = 4
ROOT = Path(__file__).resolve().parents[1]
GENERATE = ("outline", "chapter", "summary")


def run_pair(fake: FakeGemini, folder: Path, chapters: int, requests: int, window: float,
             redis_url: str | None) -> tuple[float, float, int, int]:
    """Two CLI courses at once; (wall, cap bound, 429s, failed chapters) as the fake saw them."""
    env = {k: v for k, v in os.environ.items() if k != REDIS_URL}
    env.update(GEMINI_API_KEY="bench-key-shared", GOOGLE_GEMINI_BASE_URL=fake.url,
               PYTHONPATH=str(ROOT), **({REDIS_URL: redis_url} if redis_url else {}))
    fake.requests.clear()
    processes = []
    for n in (1, 2):
        notes = folder / f"course{n}.md"
        notes.write_text(material(chapters, seed=n), encoding="utf-8")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "geminiteacher", "--input", str(notes), "--title",
             f"course{n}", "--output-dir", str(folder), "--mode", "parallel",
             "--max-chapters", str(chapters), "--fixed-chapter-count", "--max-workers",
             str(WORKERS), "--delay-min", "0", "--delay-max", str(fake.latency / 20),
             "--cache", "off", "--requests-per-minute", str(requests), "--rate-window",
             str(window)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    for process in processes:
        process.wait(600)
    calls = [r for r in fake.requests if r.kind in GENERATE]
    wall = max(r.end for r in calls) - min(r.start for r in calls)
    summary = max((r.end - r.start for r in calls if r.kind == "summary" and r.status == 200),
                  default=0.0)
    bound = (2 * chapters + 3) // requests * window + summary
    failed = 0
    for n in (1, 2):
        manifest = folder / f"course{n}" / "course.json"
        chapters_ = json.loads(manifest.read_text(encoding="utf-8")).get("chapters", []) \
            if manifest.exists() else []
        failed += sum(c["status"] != "done" for c in chapters_) if chapters_ else chapters
    return wall, bound, sum(r.status == 429 for r in calls), failed


def run_scenario(quick: bool) -> list[Figure]:
    chapters = 6 if quick else 12
    latency, jitter = (0.3, 0.06) if quick else (1.0, 0.2)
    requests, window = (4, 2.0) if quick else (6, 5.0)
    figures: list[Figure] = []
    with fake_gemini(latency, jitter, seed=11) as fake, \
            tempfile.TemporaryDirectory() as tmp:
        for shared in (False, True):
            where = "Redis" if shared else "no Redis"
            label = f"2 processes x {chapters} chapters, {requests} req / {window:g} s, {where}"
            fake.rate_limit(requests, window, window / 4)  # also forgets earlier admissions
            folder = Path(tmp) / where.replace(" ", "-")
            folder.mkdir()
            try:
                if shared:
                    with redis_server() as url:
                        wall, bound, rejected, failed = run_pair(fake, folder, chapters,
                                                                 requests, window, url)
                else:
                    wall, bound, rejected, failed = run_pair(fake, folder, chapters, requests,
                                                             window, None)
            except FileNotFoundError as exc:
                figures.append(Figure(NAME, label, f"skipped: {exc}"))
                continue
            figures += [
                Figure(NAME, label, wall, "s", bound, Goal("ratio", "<=", 1.15) if shared
                       else None),
                Figure(NAME, f"429s drawn, {where}", rejected,
                       goal=Goal("value", "<=", 2) if shared else None),
                Figure(NAME, f"failed chapters, {where}", failed,
                       goal=Goal("value", "==", 0) if shared else None),
            ]
    return figures
