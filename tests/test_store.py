"""The course folder: names, atomic writes, chapter files and what the zip holds."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.course.store import (
    CourseStore,
    atomic_write,
    chapter_filename,
    course_dir,
    data_filename,
    safe_name,
)
from geminiteacher.engine.runner import run_course
from geminiteacher.errors import StoreError
from geminiteacher.exports import export_bytes
from geminiteacher.models import (
    ChapterContent,
    CourseSettings,
    Event,
    EventKind,
    QuizQuestion,
    Source,
    SourceRef,
)
from tests.course_helpers import MATERIAL, zip_text

TRICKY = ChapterContent(
    "Loops",
    "Short {braces}.",
    "Body\n\n## Summary\n\nA line that looks like a section.\n\n## Extension\n\n"
    "```py\n# comment\n## Explanation\nfor i in x: {i}\n```\n\n# A top-level heading",
    "More\n\n## Quiz\n\nnot the quiz",
    [QuizQuestion("Q?", ["a", "b", "c", "d"], 2, "Because c.", "Loops")],
    [SourceRef("notes.md", "Loops")],
)


def saved_course(tmp_path: Path, *chapters: ChapterContent) -> Path:
    """A course folder holding `chapters` as done, written through the store."""
    store = CourseStore.create(tmp_path, "C", Source.from_text("# Loops\n\nText."),
                               CourseSettings(engine="offline"), OfflineEngine())
    store.set_outline([c.title for c in chapters])
    for index, chapter in enumerate(chapters, 1):
        store.record(Event(EventKind.DONE, index, chapter.title, chapter=chapter))
    store.close()
    return store.path


def test_titles_become_file_system_safe_names():
    assert safe_name("Data Science: 101 / Intro?") == "Data_Science_101_Intro"
    assert safe_name("  ///  ") == "course"
    assert safe_name("Ünïcode Café") == "Ünïcode_Café"


def test_chapter_files_are_numbered_with_two_digits():
    assert chapter_filename(3, "Getting Started") == "chapter_03_Getting_Started.md"


def test_course_dir_is_the_safe_title_inside_the_output_dir(tmp_path: Path):
    assert course_dir(tmp_path, "My Course") == tmp_path / "My_Course"


def test_a_chapter_reads_back_identical_whatever_headings_its_text_holds(tmp_path: Path):
    path = saved_course(tmp_path, TRICKY)
    assert (path / chapter_filename(1, "Loops")).read_text().startswith("# Loops\n\n## Summary\n")
    assert CourseStore.open(path).done_chapters() == {1: TRICKY}


def test_a_chapter_of_a_course_made_before_data_files_is_read_from_its_markdown(tmp_path: Path):
    old = ChapterContent("Loops", "S.", "Body\n\n```py\n# comment\n## Summary\nx = {i}\n```", "X.")
    path = saved_course(tmp_path, old)
    (path / "chapter_01_Loops.json").unlink()
    assert CourseStore.open(path).done_chapters() == {1: old}


def test_a_chapter_file_named_outside_the_folder_is_never_read(tmp_path: Path):
    path = saved_course(tmp_path, TRICKY)
    manifest = json.loads((path / "course.json").read_text())
    manifest["chapters"][0]["file"] = "/etc/hostname"
    (path / "course.json").write_text(json.dumps(manifest))
    store = CourseStore.open(path)
    assert store.done_chapters() == {} and "/etc/hostname" not in store.course_files()


def test_the_one_file_markdown_demotes_headings_but_not_lines_inside_code(tmp_path: Path):
    text = export_bytes(saved_course(tmp_path, TRICKY), "markdown").decode()
    assert text.startswith("# C\n\n## Loops\n\n### Summary\n")
    assert "```py\n# comment\n## Explanation\nfor i in x: {i}\n```" in text
    assert "\n## A top-level heading" in text and "\n### Quiz\n\nnot the quiz" in text


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path):
    target = tmp_path / "a.md"
    atomic_write(target, "one")
    atomic_write(target, "two")
    assert target.read_text() == "two"
    assert os.listdir(tmp_path) == ["a.md"]


FULL_DISK_SCRIPT = """
import resource, signal, sys
from pathlib import Path
from geminiteacher.errors import StoreError
from geminiteacher.course.store import atomic_write
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    atomic_write(Path(sys.argv[1]), "x" * 100_000)
except StoreError as exc:
    print(exc)
"""


def test_a_full_disk_keeps_the_old_file_leaves_no_debris_and_says_what_to_do(tmp_path: Path):
    target = tmp_path / "a.md"
    atomic_write(target, "old")
    result = subprocess.run([sys.executable, "-c", FULL_DISK_SCRIPT, str(target)],
                            capture_output=True, text=True, timeout=60)
    assert "free disk space or choose another output folder" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["a.md"]


def test_a_reader_never_sees_a_partial_file_while_it_is_replaced(tmp_path: Path):
    target = tmp_path / "a.md"
    versions = ("a" * 1_000_000, "b" * 1_000_000)
    atomic_write(target, versions[0])
    torn: list[int] = []
    reads = 0
    done = threading.Event()

    def reader() -> None:
        nonlocal reads
        while not done.is_set():
            text = target.read_text()
            reads += 1
            if text not in versions:
                torn.append(len(text))

    thread = threading.Thread(target=reader)
    thread.start()
    for n in range(40):
        atomic_write(target, versions[n % 2])
    done.set()
    thread.join(10)
    assert reads > 40 and not torn


def test_files_get_the_mode_the_umask_gives_a_plain_write(tmp_path: Path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "a.md", "text")
        (tmp_path / "plain.md").write_text("text")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.md").stat().st_mode) == \
        stat.S_IMODE((tmp_path / "plain.md").stat().st_mode) == 0o640


def test_two_archives_in_the_same_second_keep_both(tmp_path: Path, monkeypatch):
    from geminiteacher.course import store

    monkeypatch.setattr(store.time, "strftime", lambda fmt: "_previous_20260101-000000")
    for text in ("First.", "Second.", "Third."):
        run_course(text, CourseSettings(engine="offline"), title="T", output_dir=tmp_path)
    archived = sorted(p.read_text() for p in (tmp_path / "T").glob("_previous_*/source.json"))
    assert len(archived) == 2 and archived[0] != archived[1]


def _planted_course(tmp_path: Path) -> Path:
    """A finished course whose manifest names a file outside its folder for chapter 1."""
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-OUTSIDE")
    course = run_course(MATERIAL, CourseSettings(engine="offline", max_chapters=2),
                        title="T", output_dir=tmp_path / "out")
    data = json.loads((course.path / "course.json").read_text())
    data["chapters"][0]["file"] = str(secret)
    data["chapters"][1]["file"] = "../../secret.txt"
    (course.path / "course.json").write_text(json.dumps(data))
    return course.path


def test_file_names_from_the_manifest_outside_the_folder_are_ignored_with_a_warning(
        tmp_path: Path, caplog):
    folder = _planted_course(tmp_path)
    store = CourseStore.open(folder)
    with caplog.at_level(logging.WARNING, logger="geminiteacher.course.store"):
        assert "SECRET-OUTSIDE" not in zip_text(export_bytes(folder, "zip"))
        assert "SECRET-OUTSIDE" not in export_bytes(folder, "markdown").decode()
        assert store.chapter_text(1) is None
    assert "not a file of the course folder" in caplog.text


def test_resuming_a_tampered_course_rewrites_its_chapters_and_keeps_the_outside_file(
        tmp_path: Path):
    folder = _planted_course(tmp_path)
    course = run_course(MATERIAL, CourseSettings(engine="offline", max_chapters=2), title="T",
                        output_dir=tmp_path / "out", outline=["Only one"])
    assert (tmp_path / "secret.txt").read_text() == "SECRET-OUTSIDE"
    assert all(c["file"].startswith("chapter_") for c in
               json.loads((folder / "course.json").read_text())["chapters"])
    assert len(course.chapters) == 1


def test_a_chapter_whose_file_cannot_be_written_fails_with_the_reason_not_stays_running(
        tmp_path):
    folder = tmp_path / "Tides"
    blocker = folder / data_filename(chapter_filename(1, "Moon"))
    blocker.mkdir(parents=True)  # the chapter's data file cannot replace a folder: a write error
    (blocker / "keep").write_text("x")
    settings = CourseSettings(engine="offline", mode="sequential", delay_range=(0.0, 0.0))
    with pytest.raises(StoreError, match=r"could not write Tides/chapter_01_Moon\.json"):
        run_course(MATERIAL, settings, title="Tides", output_dir=tmp_path,
                   outline=["Moon", "Sun"])
    manifest = json.loads((folder / "course.json").read_text(encoding="utf-8"))
    first = manifest["chapters"][0]
    assert manifest["state"] == "failed" and str(tmp_path) not in manifest["error"]
    assert first["status"] == "failed" and "could not write" in first["last_error"]
    assert first["history"][-1]["outcome"] == "error" and first["history"][-1]["end"]
    assert not [c for c in manifest["chapters"] if c["status"] in ("running", "retrying")]


def test_a_cancelled_course_leaves_no_chapter_running(tmp_path):
    store = CourseStore(tmp_path / "Tides")
    store.path.mkdir()
    store._data = {"chapters": [{"index": 1, "title": "Moon", "status": "running",
                                 "history": [{"attempt": 1, "start": 1.0, "end": None}]}]}
    store.set_state("cancelled", "cancelled by the user")
    chapter = store.manifest()["chapters"][0]
    assert chapter["status"] == "cancelled" and chapter["history"][0]["outcome"] == "cancelled"
