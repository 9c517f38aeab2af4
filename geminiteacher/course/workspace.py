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
import os
import secrets
from collections.abc import Collection
from pathlib import Path
from typing import Any

from geminiteacher.course.store import (
    FREE_NAME_TRIES,
    OWNER,
    course_dir,
    list_courses,
    read_manifest,
)
from geminiteacher.errors import ManifestError, StoreError

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


def visible_courses(output_dir: str | Path, tokens: Collection[str], everyone: bool = False,
                    skipped: list[ManifestError] | None = None) -> list[dict[str, Any]]:
    """The courses to list for a visitor holding `tokens`, newest first (all with `everyone`).

    The visible courses whose course.json is damaged are added to `skipped` instead (with
    `everyone`, all of them; else those whose token the visitor holds).
    """
    damaged: list[ManifestError] = []
    courses = [c for c in list_courses(output_dir, damaged)
               if everyone or holds(tokens, c["owner"])]
    if skipped is not None:
        skipped += [e for e in damaged if everyone or holds(tokens, e.owner)]
    return courses


def course_for_token(output_dir: str | Path, token: str) -> Path | None:
    """The folder of the course whose owner token is `token`, or None.

    Raises ManifestError when the course of that token is there but its course.json is
    damaged (other damaged courses are skipped)."""
    skipped: list[ManifestError] = []
    found = next((c["path"] for c in list_courses(output_dir, skipped)
                  if holds([token], c["owner"])), None)
    broken = next((e for e in skipped if holds([token], e.owner)), None)
    if found is None and broken is not None:
        raise broken
    return found


def place_course(output_dir: str | Path, title: str, tokens: Collection[str]) -> tuple[str, str]:
    """The title a new course gets and its owner token.

    `title` itself when its folder is free or holds one of the visitor's own courses (which
    then resumes, or is archived if the material changed); otherwise the first free
    "<title> (n)" (each number its own folder, however long the title: see `safe_name`).
    A folder whose course.json is damaged counts as taken. Raises StoreError when
    FREE_NAME_TRIES numbers are all taken.
    """
    for n in range(1, FREE_NAME_TRIES + 1):
        candidate = title if n == 1 else f"{title} ({n})"
        try:
            manifest = read_manifest(course_dir(output_dir, candidate))
        except ManifestError:
            continue
        if not manifest:
            return candidate, new_token()
        if holds(tokens, manifest.get(OWNER)):
            return candidate, manifest[OWNER]
    raise StoreError(f"the first {FREE_NAME_TRIES} folders for the title '{title[:80]}' are "
                     "all taken; choose another title")
