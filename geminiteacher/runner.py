"""The documented name of the course runner; the work is in `geminiteacher.engine.runner`."""

from geminiteacher.engine.runner import (
    CourseRun,
    default_title,
    finish_course,
    recorded_settings,
    run_course,
    summary_missing,
)

__all__ = ["CourseRun", "default_title", "finish_course", "recorded_settings", "run_course",
           "summary_missing"]
