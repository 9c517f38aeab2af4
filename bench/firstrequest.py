"""Time to first request: from the call that makes a course to its first model request
arriving at the fake server, in a fresh process each time.

The process sets a key in its environment and imports geminiteacher, reads its material and
calls `create_course_parallel`; the fake records when the outline request arrives (both
clocks are the system's monotonic clock). Figures:
- called once the prewarm that the import started has finished (a script that does other
  work first, such as reading its material): goal < 0.3 s;
- called right after the import: the SDK's import and the client are still being made;
- the CLI, from the process's start (interpreter, imports, reading the file) to the first
  request, and the same with GEMINITEACHER_PREWARM=0 (everything in turn, as before).
Each figure is the median of three processes.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import fake_gemini, material
from bench.report import Figure, Goal

NAME = "first request"
ROOT = Path(__file__).resolve().parents[1]
GENERATE = ("outline", "chapter", "summary")
SCRIPT = """
import sys, threading, time
import geminiteacher as gt
text = open(sys.argv[1], encoding="utf-8").read()
if sys.argv[3] == "warm":  # a script that does other work first, until Gemini is ready
    for thread in threading.enumerate():
        if thread.name == "geminiteacher-prewarm":
            thread.join()
print(time.monotonic(), flush=True)
gt.create_course_parallel(text, max_chapters=2, course_title="first", output_dir=sys.argv[2])
"""
RUNS = 3


def _first_request(fake) -> float:
    return min(r.start for r in fake.requests if r.kind in GENERATE)


def _api(fake, folder: Path, notes: Path, pause: str, env: dict[str, str]) -> float:
    fake.requests.clear()
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(notes), str(folder), str(pause)],
                         env=env, capture_output=True, text=True, timeout=120, check=True)
    called = float(out.stdout.split()[0])
    return _first_request(fake) - called


def _cli(fake, folder: Path, notes: Path, env: dict[str, str]) -> float:
    fake.requests.clear()
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "geminiteacher", "--input", str(notes), "--title",
                    "cli", "--output-dir", str(folder), "--max-chapters", "2"],
                   env=env, capture_output=True, timeout=120, check=True)
    return _first_request(fake) - started


def run_scenario(quick: bool) -> list[Figure]:
    with fake_gemini(0.05) as fake, tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp) / "notes.md"
        notes.write_text(material(6, 20_000), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "GOOGLE_API_KEY"}
        env.update(GEMINI_API_KEY="bench-key-first", GOOGLE_GEMINI_BASE_URL=fake.url,
                   PYTHONPATH=str(ROOT))
        cold = {**env, "GEMINITEACHER_PREWARM": "0"}

        def median(measure) -> float:
            times = []
            for n in range(RUNS):
                folder = Path(tmp) / f"run-{len(os.listdir(tmp))}-{n}"
                times.append(measure(folder))
            return statistics.median(times)

        return [
            Figure(NAME, "API call once Gemini is ready -> first request", median(
                lambda f: _api(fake, f, notes, "warm", env)), "s",
                goal=Goal("value", "<", 0.3)),
            Figure(NAME, "API call right after import -> first request", median(
                lambda f: _api(fake, f, notes, "now", env)), "s"),
            Figure(NAME, "same, prewarm off (each step in turn)", median(
                lambda f: _api(fake, f, notes, "now", cold)), "s"),
            Figure(NAME, "CLI process start -> first request", median(
                lambda f: _cli(fake, f, notes, env)), "s"),
            Figure(NAME, "same, prewarm off", median(lambda f: _cli(fake, f, notes, cold)), "s"),
        ]
