"""Cancel and Ctrl-C answer within a second: no new request, in-flight chapters `cancelled`.

Timing bounds here are hang checks: the fake holds every chapter call for many seconds, so
a cancel that waited for them would take that long.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from geminiteacher.engine.jobs import JobRegistry, JobState
from geminiteacher.models import Source
from tests.course_helpers import MATERIAL, fast_settings
from tests.fakes.plugin import TEST_KEY

ROOT = Path(__file__).resolve().parents[1]
GENERATE = ("outline", "chapter", "summary")
OUTLINE = ["One", "Two", "Three", "Four", "Five", "Six"]


def _generate_calls(fake) -> int:
    return sum(fake.count(kind) for kind in GENERATE)


def _wait_for(condition, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_cancel_with_four_chapters_in_flight_stops_within_a_second(gemini_env, tmp_path):
    gemini_env.latency = 20
    registry = JobRegistry(max_running=1)
    job = registry.submit("me", title="Slow", output_dir=tmp_path,
                          source=Source.from_text(MATERIAL), outline=OUTLINE,
                          settings=fast_settings(max_chapters=6, cache="off"))
    _wait_for(lambda: gemini_env.count("chapter") == 4)

    asked = time.monotonic()
    registry.cancel(job.id)
    assert job.snapshot().cancel_requested  # the page can say so on its next draw
    assert job.wait(1.0), "the job did not stop within a second"
    assert time.monotonic() - asked < 1.0
    assert job.state is JobState.CANCELLED
    statuses = [c["status"] for c in job.snapshot().manifest["chapters"]]
    assert statuses == ["cancelled"] * 6
    time.sleep(0.3)
    assert _generate_calls(gemini_env) == 4  # nothing new was asked for


def test_cancel_during_outline_planning_does_not_wait_for_the_outline(gemini_env, tmp_path):
    gemini_env.latency = 20
    registry = JobRegistry(max_running=1)
    job = registry.submit("me", title="Planning", output_dir=tmp_path,
                          source=Source.from_text(MATERIAL), settings=fast_settings(cache="off"))
    _wait_for(lambda: gemini_env.count("outline") == 1)

    registry.cancel(job.id)
    assert job.wait(1.0), "the job waited for the outline call"
    assert job.state is JobState.CANCELLED
    assert job.snapshot().manifest["state"] == "cancelled"
    assert _generate_calls(gemini_env) == 1


def test_ctrl_c_in_the_cli_exits_130_within_a_second(gemini_env, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    gemini_env.latency = 0.3
    env = {k: v for k, v in os.environ.items() if k != "GOOGLE_API_KEY"}
    env.update(GEMINI_API_KEY=TEST_KEY, GOOGLE_GEMINI_BASE_URL=gemini_env.url,
               PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [sys.executable, "-m", "geminiteacher", "--input", str(notes), "--title", "C",
         "--output-dir", str(tmp_path), "--mode", "parallel", "--max-workers", "4",
         "--max-chapters", "6", "--fixed-chapter-count", "--delay-min", "0", "--delay-max",
         "0", "--cache", "off"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: gemini_env.count("outline") == 1)
    gemini_env.hang_next(6, seconds=20)  # every chapter call hangs
    _wait_for(lambda: gemini_env.count("chapter") == 4)

    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    code = process.wait(10)
    took = time.monotonic() - sent
    stderr = process.stderr.read()
    assert code == 130, stderr
    assert took < 1.0, f"exited {took:.2f} s after Ctrl-C"
    assert "stopping" in stderr and "Traceback" not in stderr
    chapters = json.loads((tmp_path / "C" / "course.json").read_text())["chapters"]
    assert [c["status"] for c in chapters] == ["cancelled"] * 6
    assert gemini_env.count("chapter") == 4
