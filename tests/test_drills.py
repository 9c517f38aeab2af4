"""Fault drills: a killed process resumes, a full disk fails cleanly, courses run side by side."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from geminiteacher.course.store import chapter_filename
from geminiteacher.engine.runner import run_course
from geminiteacher.models import EventKind
from geminiteacher.parallel import parallel_generate_chapters
from tests.course_helpers import (
    MATERIAL,
    chapter_titles_requested,
    fast_settings,
    peak_in_flight,
)
from tests.fakes.plugin import TEST_KEY

ROOT = Path(__file__).resolve().parents[1]


def _cli_env(fake_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GOOGLE_API_KEY"}
    env.update(GEMINI_API_KEY=TEST_KEY, GOOGLE_GEMINI_BASE_URL=fake_url, PYTHONPATH=str(ROOT))
    return env


def kill_after_two_chapters(process: subprocess.Popen, folder: Path) -> set[str]:
    """SIGKILL `process` once two chapter files are in `folder`; the chapter files it left."""
    deadline = time.monotonic() + 60
    while len(list(folder.glob("chapter_*.md"))) < 2 and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    return {p.name for p in folder.glob("chapter_*.md")}


def test_a_killed_course_resumes_requesting_only_the_missing_chapters(gemini_env, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    gemini_env.latency = 0.4
    args = [sys.executable, "-m", "geminiteacher", "--input", str(notes), "--title", "K",
            "--output-dir", str(tmp_path), "--mode", "parallel", "--max-workers", "2",
            "--max-chapters", "6", "--fixed-chapter-count", "--delay-min", "0",
            "--delay-max", "0"]
    process = subprocess.Popen(args, env=_cli_env(gemini_env.url), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    folder = tmp_path / "K"
    written = kill_after_two_chapters(process, folder)
    assert 2 <= len(written) < 6
    outline = json.loads((folder / "course.json").read_text())["outline"]
    gemini_env.latency = 0.0
    gemini_env.requests.clear()

    run_course(MATERIAL, fast_settings(max_chapters=6), title="K", output_dir=tmp_path)

    missing = [t for i, t in enumerate(outline, 1) if chapter_filename(i, t) not in written]
    assert sorted(chapter_titles_requested(gemini_env)) == sorted(missing)
    assert gemini_env.count("outline") == 0
    data = json.loads((folder / "course.json").read_text())
    assert [c["status"] for c in data["chapters"]] == ["done"] * 6


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500))


def test_a_full_disk_stops_with_one_clear_line_and_no_half_written_files(tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL * 20, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run(
        [sys.executable, "-m", "geminiteacher", "--input", str(notes), "--title", "F",
         "--output-dir", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=120, preexec_fn=_limit_file_size)
    assert result.returncode != 0
    assert "free disk space" in result.stderr and "Traceback" not in result.stderr
    assert not list((tmp_path / "out").rglob("*.tmp"))
    for chapter in (tmp_path / "out" / "F").glob("chapter_*.md"):
        assert "## Extension" in chapter.read_text()


def test_five_courses_at_once_in_one_process_all_finish(gemini_env, tmp_path):
    gemini_env.latency = 0.05
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            run_course(MATERIAL + f"\n\nCourse {n}.", fast_settings(), title=f"C{n}",
                       output_dir=tmp_path)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    for n in range(5):
        data = json.loads((tmp_path / f"C{n}" / "course.json").read_text())
        assert data["state"] == "done" and len(data["chapters"]) == 4


def test_a_course_survives_the_server_restarting_mid_course(gemini_env, tmp_path):
    gemini_env.latency = 0.1

    def restart() -> None:
        gemini_env.stop()
        time.sleep(0.5)
        gemini_env.start()

    def on_event(event) -> None:
        if event.kind is EventKind.DONE and event.index == 1:
            threading.Thread(target=restart).start()

    settings = fast_settings(mode="sequential", max_retries=6, retry_delay=0.2)
    course = run_course(MATERIAL, settings, title="R", output_dir=tmp_path, on_event=on_event)
    data = json.loads((course.path / "course.json").read_text())
    assert [c["status"] for c in data["chapters"]] == ["done"] * 4
    assert any(c["attempts"] > 1 for c in data["chapters"])


def test_ctrl_c_stops_the_cli_with_one_line_and_the_course_resumes(gemini_env, tmp_path):
    notes = tmp_path / "notes.md"
    notes.write_text(MATERIAL, encoding="utf-8")
    gemini_env.latency = 0.3
    args = [sys.executable, "-m", "geminiteacher", "--input", str(notes), "--title", "I",
            "--output-dir", str(tmp_path), "--max-chapters", "6", "--fixed-chapter-count"]
    process = subprocess.Popen(args, env=_cli_env(gemini_env.url), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    folder = tmp_path / "I"
    deadline = time.monotonic() + 60
    while not list(folder.glob("chapter_*.md")) and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    assert json.loads((folder / "course.json").read_text())["state"] == "cancelled"
    outline = json.loads((folder / "course.json").read_text())["outline"]
    finished = {t for i, t in enumerate(outline, 1) if (folder / chapter_filename(i, t)).exists()}
    assert finished
    gemini_env.latency = 0.0
    gemini_env.requests.clear()
    course = run_course(MATERIAL, fast_settings(max_chapters=6, mode="sequential"), title="I",
                        output_dir=tmp_path)
    assert len(course.chapters) == 6
    requested = chapter_titles_requested(gemini_env)
    assert not finished & set(requested)
    assert sorted(requested) == sorted(set(outline) - finished)


def test_a_course_never_exceeds_its_workers_at_the_server_even_after_a_larger_one(
        gemini_env, tmp_path):
    gemini_env.latency = 0.15
    small = fast_settings(max_workers=2, max_chapters=6)
    run_course(MATERIAL, fast_settings(max_workers=8, max_chapters=8), title="Big",
               output_dir=tmp_path)
    assert peak_in_flight(gemini_env.requests) > small.max_workers  # the big one used more
    gemini_env.requests.clear()
    run_course(MATERIAL + "\n\nSmall.", small, title="Small", output_dir=tmp_path)
    assert peak_in_flight(gemini_env.requests) == small.max_workers


_GENERATE = """
import sys
from geminiteacher.parallel import parallel_generate_chapters
parallel_generate_chapters([f"Part {n}" for n in range(1, 7)], sys.argv[1], max_workers=2,
                           delay_range=(0, 0), course_title="P", output_dir=sys.argv[2])
"""


def test_a_killed_parallel_generate_chapters_rerun_requests_only_the_missing_chapters(
        gemini_env, tmp_path):
    gemini_env.latency = 0.4
    process = subprocess.Popen([sys.executable, "-c", _GENERATE, MATERIAL, str(tmp_path)],
                               env=_cli_env(gemini_env.url), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    folder = tmp_path / "P"
    written = kill_after_two_chapters(process, folder)
    assert 2 <= len(written) < 6
    titles = [f"Part {n}" for n in range(1, 7)]
    saved = {t: (folder / chapter_filename(i, t)).read_text(encoding="utf-8")
             for i, t in enumerate(titles, 1) if chapter_filename(i, t) in written}
    gemini_env.latency = 0.0
    gemini_env.requests.clear()

    chapters = parallel_generate_chapters(titles, MATERIAL, delay_range=(0, 0),
                                          course_title="P", output_dir=str(tmp_path))

    assert sorted(chapter_titles_requested(gemini_env)) == sorted(set(titles) - set(saved))
    assert [c.title for c in chapters] == titles
    for i, title in enumerate(titles, 1):  # the saved chapters are kept as they were
        if title in saved:
            assert (folder / chapter_filename(i, title)).read_text(encoding="utf-8") \
                == saved[title]
