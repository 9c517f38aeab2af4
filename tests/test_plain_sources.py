"""A source without headings is still cited: by its file, with either engine."""

from __future__ import annotations

from geminiteacher.engine.runner import run_course
from geminiteacher.ingest.convert import convert_bytes
from geminiteacher.models import CourseSettings, Source
from tests.course_helpers import fast_settings

PLAIN = "\n\n".join(
    f"Idea {n} is explained here at length. It builds on the idea before it and adds a twist "
    f"of its own. People who study idea {n} compare it with the others and write notes."
    for n in range(1, 13)
)


def plain_source() -> Source:
    return Source([convert_bytes(PLAIN.encode(), "notes.txt")])


def test_chapters_of_a_text_without_headings_cite_the_file_with_gemini(gemini_env, tmp_path):
    course = run_course(plain_source(), fast_settings(max_chapters=2), title="Ideas",
                        output_dir=tmp_path)
    assert len(course.chapters) == 2
    assert [[ref.label() for ref in c.sources] for c in course.chapters] == [["notes.txt"]] * 2


def test_chapters_of_a_text_without_headings_cite_the_file_offline(tmp_path):
    settings = CourseSettings(engine="offline", max_chapters=2, delay_range=(0.0, 0.0))
    course = run_course(plain_source(), settings, title="Ideas", output_dir=tmp_path)
    assert course.chapters
    assert all([ref.label() for ref in c.sources] == ["notes.txt"] for c in course.chapters)
