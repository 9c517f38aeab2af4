"""geminiteacher: turn your own documents into a structured course.

Gemini writes it when an API key is configured (GEMINI_API_KEY or GOOGLE_API_KEY);
otherwise the offline engine extracts it from the documents themselves.
"""

import logging

from geminiteacher.backends import prewarm
from geminiteacher.coursemaker import (
    create_course,
    create_course_cascade,
    create_course_parallel,
    generate_chapter,
    generate_summary,
    generate_toc,
    plan_outline,
    run_course,
)
from geminiteacher.exports import export_course
from geminiteacher.models import (
    ChapterContent,
    ChapterStatus,
    Course,
    CourseSettings,
    Event,
    EventKind,
    QuizQuestion,
    Source,
    SourcePart,
    SourceRef,
    Usage,
)
from geminiteacher.parallel import (
    generate_chapter_with_retry,
    parallel_generate_chapters,
    parallel_map_with_delay,
)

__version__ = "2.0.0"

logging.getLogger("geminiteacher").addHandler(logging.NullHandler())
prewarm()  # with a key configured, Gemini gets ready while the caller reads its material

__all__ = [
    "ChapterContent",
    "ChapterStatus",
    "Course",
    "CourseSettings",
    "Event",
    "EventKind",
    "QuizQuestion",
    "Source",
    "SourcePart",
    "SourceRef",
    "Usage",
    "create_course",
    "create_course_cascade",
    "create_course_parallel",
    "export_course",
    "generate_chapter",
    "generate_chapter_with_retry",
    "generate_summary",
    "generate_toc",
    "parallel_generate_chapters",
    "parallel_map_with_delay",
    "plan_outline",
    "run_course",
]
