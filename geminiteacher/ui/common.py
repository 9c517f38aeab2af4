"""What every part of the page shares: the job registry, this session's id, error display."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from geminiteacher.course.workspace import course_for_token
from geminiteacher.engine.jobs import JobRegistry
from geminiteacher.errors import GeminiTeacherError, ManifestError, describe
from geminiteacher.ui.markdown import safe_label

logger = logging.getLogger("geminiteacher.page")


def title_width(titles: Iterable[object], least: int = 120) -> int:
    """Pixels for a table column of these titles: the longest one whole (about 7 pixels a
    character at the page's font size), at least `least`, at most 900."""
    longest = max((len(str(t)) for t in titles), default=0)
    return int(min(900, max(least, 7 * longest + 24)))


def output_dir() -> str:
    """`GEMINITEACHER_OUTPUT_DIR`: the workspace folder courses are written to."""
    return os.environ.get("GEMINITEACHER_OUTPUT_DIR", "output")


@contextmanager
def errors_shown(doing: str) -> Iterator[None]:
    """Show any error raised inside as a one-line `st.error`; log unexpected ones in full."""
    try:
        yield
    except GeminiTeacherError as exc:
        st.error(safe_label(describe(exc)))
    except Exception as exc:
        logger.exception("%s failed", doing)
        st.error(f"{doing} failed unexpectedly ({type(exc).__name__}); the server log has "
                 "the details.")


@st.cache_resource
def registry() -> JobRegistry:
    """The process-wide job registry: every session's jobs, each under an unguessable id."""
    return JobRegistry()


def owner_id() -> str:
    """This browser session's id; jobs are listed only to the session that started them."""
    if "owner" not in st.session_state:
        st.session_state["owner"] = secrets.token_urlsafe(16)
    return st.session_state["owner"]


def my_tokens() -> set[str]:
    """The owner tokens of the courses this session made or opened from their links."""
    return st.session_state.setdefault("tokens", set())


def linked_course() -> Path | None:
    """The course named by `?course=<owner token>`, which thereby becomes one of this
    session's courses (call it before drawing the workspace list); None when there is none
    or its course.json is damaged (`unknown_link` says which)."""
    token = st.query_params.get("course")
    try:
        path = course_for_token(output_dir(), token) if token else None
    except ManifestError:
        return None
    if path is not None:
        my_tokens().add(token)
    return path


def unknown_link() -> str:
    """Why the course or job in the page's URL cannot be shown, in one line."""
    token = st.query_params.get("course")
    try:
        if token:
            course_for_token(output_dir(), token)
    except ManifestError as exc:
        return f"This course link's course cannot be shown: {describe(exc)}."
    return ("This course link is not known here: the course may have been deleted, or the "
            "link was cut short.")
