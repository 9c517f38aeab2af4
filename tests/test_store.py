"""The course folder: names, atomic writes, chapter files and what the zip holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from geminiteacher.models import ChapterContent
from geminiteacher.store import (
    atomic_write,
    chapter_filename,
    course_dir,
    parse_chapter_file,
    safe_name,
)


def test_titles_become_file_system_safe_names():
    assert safe_name("Data Science: 101 / Intro?") == "Data_Science_101_Intro"
    assert safe_name("  ///  ") == "course"
    assert safe_name("Ünïcode Café") == "Ünïcode_Café"


def test_chapter_files_are_numbered_with_two_digits():
    assert chapter_filename(3, "Getting Started") == "chapter_03_Getting_Started.md"


def test_course_dir_is_the_safe_title_inside_the_output_dir(tmp_path: Path):
    assert course_dir(tmp_path, "My Course") == tmp_path / "My_Course"


def test_chapter_markdown_round_trips_through_its_file_format():
    chapter = ChapterContent("Loops", "Short {braces}.", "Body\n\n```py\nfor i in x: {i}\n```",
                             "More")
    text = chapter.to_markdown()
    assert text.startswith("# Loops\n\n## Summary\n")
    assert parse_chapter_file(text) == chapter


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
from geminiteacher.store import atomic_write
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
