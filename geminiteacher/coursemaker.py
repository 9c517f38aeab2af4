"""The course-making API: single steps (outline, chapter, summary) and whole courses.

Every function takes `llm` (an engine, or None for Gemini when a key is configured and the
offline engine otherwise) and goes through the same retry layer and limiter as the pool.
"""

from __future__ import annotations

from typing import Any

from geminiteacher.backends.base import Engine
from geminiteacher.engine.runner import CourseRun, as_engine, as_source, run_course
from geminiteacher.models import (
    UPSTREAM_TEMPERATURE,
    ChapterContent,
    Course,
    CourseSettings,
    Source,
)


def _settings(**fields: Any) -> CourseSettings:
    return CourseSettings(**{k: v for k, v in fields.items() if v is not None})


def generate_toc(
    content: str,
    llm: Engine | None = None,
    temperature: float = UPSTREAM_TEMPERATURE,
    max_chapters: int = 10,
    fixed_chapter_count: bool = False,
    language: str = "English",
) -> list[str]:
    """The chapter titles for `content`: up to `max_chapters`, exactly that many if fixed."""
    settings = _settings(temperature=temperature, max_chapters=max_chapters,
                         fixed_chapter_count=fixed_chapter_count, language=language)
    return CourseRun(as_engine(llm, settings), settings, content).plan_outline()


def generate_chapter(
    chapter_title: str,
    content: str,
    llm: Engine | None = None,
    temperature: float = UPSTREAM_TEMPERATURE,
    custom_prompt: str | None = None,
    language: str = "English",
) -> ChapterContent:
    """One chapter about `chapter_title`, drawn from `content`. Raises when it cannot."""
    settings = _settings(temperature=temperature, custom_prompt=custom_prompt,
                         language=language)
    engine = as_engine(llm, settings)
    run = CourseRun(engine, settings, content)
    return run.call(lambda: engine.write_chapter(content, chapter_title, settings)).value


def generate_summary(
    content: str,
    chapters: list[ChapterContent],
    llm: Engine | None = None,
    temperature: float = UPSTREAM_TEMPERATURE,
    language: str = "English",
) -> str:
    """The course summary: what the chapters cover, together."""
    settings = _settings(temperature=temperature, language=language)
    return CourseRun(as_engine(llm, settings), settings, content).write_summary(chapters)[0]


def plan_outline(
    source: Source | str,
    settings: CourseSettings | None = None,
    *,
    engine: Engine | None = None,
    api_key: str | None = None,
) -> list[str]:
    """The outline alone, so a person can edit it before the chapters are written."""
    settings = settings or CourseSettings()
    source = as_source(source)
    return CourseRun(as_engine(engine, settings, api_key), settings,
                     source.markdown).plan_outline()


def _create(mode: str, content: Source | str, llm: Engine | None, **options: Any) -> Course:
    options.pop("verbose", None)
    course_title = options.pop("course_title", None)
    output_dir = options.pop("output_dir", "output")
    if "delay_range" in options:
        options["delay_range"] = tuple(options["delay_range"])
    settings = _settings(mode=mode, **options)
    return run_course(content, settings, engine=llm, title=course_title, output_dir=output_dir)


def create_course(content: Source | str, llm: Engine | None = None, **options: Any) -> Course:
    """A whole course, one chapter after another. Options are `CourseSettings` fields plus
    `course_title` and `output_dir`; files are written as in `create_course_parallel`."""
    return _create("sequential", content, llm, **options)


def create_course_cascade(
    content: Source | str, llm: Engine | None = None, **options: Any
) -> Course:
    """A whole course where each chapter is told the earlier chapters' summaries."""
    return _create("cascade", content, llm, **options)


def create_course_parallel(
    content: Source | str, llm: Engine | None = None, **options: Any
) -> Course:
    """A whole course with many chapters at once, each saved to
    `<output_dir>/<course_title>/` as soon as it is done."""
    return _create("parallel", content, llm, **options)


__all__ = [
    "create_course",
    "create_course_cascade",
    "create_course_parallel",
    "generate_chapter",
    "generate_summary",
    "generate_toc",
    "plan_outline",
    "run_course",
]
