"""Small builders shared by the course tests: material, settings and request readers."""

from __future__ import annotations

import io
import re
import zipfile

from geminiteacher.models import CourseSettings

MATERIAL = "\n\n".join(
    f"# Topic {n}\n\nTopic {n} explains idea {n} in detail. It uses {{braces}} and code.\n\n"
    f"A second paragraph about topic {n} gives an example of idea {n}."
    for n in range(1, 7)
)

_TITLE = re.compile(r"^Chapter title:\s*(.+)$", re.MULTILINE)


def fast_settings(**changes) -> CourseSettings:
    """Settings for tests: Gemini, four fixed chapters, no delays, tiny backoff."""
    base = CourseSettings(engine="gemini", max_chapters=4, fixed_chapter_count=True,
                          delay_range=(0.0, 0.0), retry_delay=0.01, max_workers=4,
                          request_timeout=5.0)
    return base.with_(**changes)


def chapter_titles_requested(fake) -> list[str]:
    """The chapter title of every chapter request the fake received, in arrival order."""
    titles = []
    for request in fake.requests:
        if request.kind == "chapter":
            match = _TITLE.search(request.instruction)
            titles.append(match.group(1).strip() if match else "?")
    return titles


def zip_names(data: bytes) -> list[str]:
    return sorted(zipfile.ZipFile(io.BytesIO(data)).namelist())


def zip_text(data: bytes) -> str:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def peak_in_flight(requests) -> int:
    """Most model calls among `requests` (the fake's records) the server was answering at
    one moment."""
    calls = [r for r in requests if r.kind in ("outline", "chapter", "summary")]
    edges = sorted([(r.start, 1) for r in calls] + [(r.end, -1) for r in calls])
    peak = current = 0
    for _, step in edges:  # at equal times an end (-1) sorts before a start (+1)
        current += step
        peak = max(peak, current)
    return peak
