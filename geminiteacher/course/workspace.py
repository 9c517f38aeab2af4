"""Who sees which course in the page's workspace, and where a new course may go.

Each course the page starts gets an unguessable owner token, kept in its `course.json` and
carried in the course's link (`?course=`), so the link works after a server restart. A
visitor sees the courses whose tokens their session holds (the ones they made, and any
opened from a link); `GEMINITEACHER_SHARED_WORKSPACE=1` shows every course to everyone.
A new course never takes over a folder holding another owner's course: it goes to
"<title> (2)", "<title> (3)", ... instead.
"""

from __future__ import annotations

import hmac
import itertools
import os
import secrets
from collections.abc import Collection
from pathlib import Path
from typing import Any

from geminiteacher.course.store import OWNER, CourseStore, course_dir, list_courses

SHARED_ENV = "GEMINITEACHER_SHARED_WORKSPACE"


def shared_workspace() -> bool:
    """`GEMINITEACHER_SHARED_WORKSPACE=1`: every visitor sees every course (one person or team)."""
    return os.environ.get(SHARED_ENV, "").strip().lower() in ("1", "true", "yes")


def new_token() -> str:
    """A fresh owner token: 32 random URL-safe characters."""
    return secrets.token_urlsafe(24)


def holds(tokens: Collection[str], token: str | None) -> bool:
    """Whether `token` is one of `tokens` (compared in constant time)."""
    return bool(token) and any(hmac.compare_digest(token, t) for t in tokens)


def visible_courses(output_dir: str | Path, tokens: Collection[str],
                    everyone: bool = False) -> list[dict[str, Any]]:
    """The courses to list for a visitor holding `tokens`, newest first (all with `everyone`)."""
    return [c for c in list_courses(output_dir) if everyone or holds(tokens, c["owner"])]


def course_for_token(output_dir: str | Path, token: str) -> Path | None:
    """The folder of the course whose owner token is `token`, or None."""
    return next((c["path"] for c in list_courses(output_dir) if holds([token], c["owner"])),
                None)


def place_course(output_dir: str | Path, title: str, tokens: Collection[str]) -> tuple[str, str]:
    """The title a new course gets and its owner token.

    `title` itself when its folder is free or holds one of the visitor's own courses (which
    then resumes, or is archived if the material changed); otherwise the first free
    "<title> (n)".
    """
    for n in itertools.count(1):
        candidate = title if n == 1 else f"{title} ({n})"
        manifest = CourseStore(course_dir(output_dir, candidate)).manifest()
        if not manifest:
            return candidate, new_token()
        if holds(tokens, manifest.get(OWNER)):
            return candidate, manifest[OWNER]
    raise AssertionError("itertools.count never ends")  # pragma: no cover
