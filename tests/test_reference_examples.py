"""The examples of the parallel module's reference page, run as written (no key: offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import geminiteacher as gt
from geminiteacher.parallel import generate_chapter_with_retry, parallel_generate_chapters
from tests.course_helpers import fast_settings


@pytest.fixture(autouse=True)
def no_key_in_a_scratch_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_parallel_generate_chapters_example(tmp_path: Path):
    chapter_titles = [
        "Introduction to Machine Learning",
        "Supervised Learning Algorithms",
        "Unsupervised Learning Techniques",
    ]
    chapters = parallel_generate_chapters(
        chapter_titles=chapter_titles,
        content="Your raw content here",
        max_workers=4,
        delay_range=(0.2, 0.8),
        max_retries=3,
        course_title="ML_Course",
        output_dir="courses",
    )
    assert [c.title for c in chapters] == chapter_titles
    files = sorted(p.name for p in (tmp_path / "courses" / "ML_Course").glob("chapter_*.md"))
    assert files == [
        "chapter_01_Introduction_to_Machine_Learning.md",
        "chapter_02_Supervised_Learning_Algorithms.md",
        "chapter_03_Unsupervised_Learning_Techniques.md",
    ]


def test_generate_chapter_with_retry_example():
    chapter = generate_chapter_with_retry(
        chapter_title="Introduction to Neural Networks",
        content="Your raw content here",
        max_retries=3,
        retry_delay=1.0,
    )
    assert chapter.title == "Introduction to Neural Networks"
    assert chapter.summary


def test_create_course_parallel_example_saves_under_the_course_title(tmp_path: Path):
    course = gt.create_course_parallel(
        content="Your content here",
        course_title="Data_Science",
        output_dir="my_courses",
    )
    folder = tmp_path / "my_courses" / "Data_Science"
    assert course.path == folder
    assert len(list(folder.glob("chapter_*.md"))) == len(course.chapters) >= 1


def test_create_course_parallel_integration_example(tmp_path: Path):
    course = gt.create_course_parallel(
        "Your raw content here",
        max_workers=4,
        delay_range=(0.2, 0.8),
        max_retries=3,
        course_title="Advanced_Topics",
        output_dir="output/courses",
    )
    assert (tmp_path / "output" / "courses" / "Advanced_Topics" / "course.json").exists()
    assert len(course.chapters) >= 1


def test_retry_returns_a_fallback_chapter_after_max_retries(gemini_env):
    gemini_env.fail_next(3, 503)
    engine = _gemini_engine()
    chapter = generate_chapter_with_retry("Loops", "Loops repeat work.", llm=engine,
                                          max_retries=2, retry_delay=0.01)
    assert chapter.title == "Loops"
    assert "could not be generated" in chapter.summary
    assert "503" in chapter.explanation or "unavailable" in chapter.explanation.lower()
    assert gemini_env.count("chapter") == 3


def test_parallel_generate_chapters_marks_exhausted_chapters_failed(gemini_env, tmp_path):
    gemini_env.fail_next(2, 500)
    chapters = parallel_generate_chapters(["Only chapter"], "Text.", llm=_gemini_engine(),
                                          max_retries=1, delay_range=(0, 0),
                                          course_title="C", output_dir=str(tmp_path),
                                          retry_delay=0.01)
    data = json.loads((tmp_path / "C" / "course.json").read_text())
    assert data["chapters"][0]["status"] == "failed"
    assert data["chapters"][0]["last_error"]
    assert "could not be generated" in chapters[0].summary


def _gemini_engine():
    from geminiteacher.backends import resolve_engine

    return resolve_engine(fast_settings())
