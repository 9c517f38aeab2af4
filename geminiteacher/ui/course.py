"""The course stage: the course in the URL (a running job, or a saved course by its link), a
course opened from the workspace, or nothing yet. Its title, then the follow-ups and
downloads in one row, the progress, and the reader; while chapters are being written their
status table comes first, afterwards it sits below the reader with the timeline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import streamlit as st

from geminiteacher.backends.pricing import (
    PRICES_AS_OF,
    course_cost,
    dollars,
    has_price,
    token_line,
)
from geminiteacher.course.store import CourseStore
from geminiteacher.engine.jobs import Job, JobSnapshot
from geminiteacher.ui.actions import action_row, course_actions, job_actions
from geminiteacher.ui.common import errors_shown, registry, unknown_link
from geminiteacher.ui.downloads import downloads
from geminiteacher.ui.markdown import safe_label
from geminiteacher.ui.reader import reader
from geminiteacher.ui.sources import course_sources
from geminiteacher.ui.status import metrics, progress, state_badge, status_table
from geminiteacher.ui.timeline import timeline

REFRESH_SECONDS = 1.0


def elapsed(path: Path) -> float | None:
    """Seconds spent writing the course in `path`, over every run this server made of it."""
    now = time.time()
    spans = [(j.ended or now) - j.started for j in registry().runs_of(path) if j.started]
    return sum(spans) if spans else None


def course_notes(manifest: dict[str, Any]) -> None:
    """Who wrote the course, a batch job's state, notes about its settings, and its cost."""
    if manifest.get("note"):
        st.caption(safe_label(manifest["note"]))
    answered = manifest.get("model_version")
    if answered:
        asked = manifest.get("model")
        st.caption(f"Written by {safe_label(answered)}" + (
            f" (you chose {safe_label(asked)})" if asked != answered else "") + ".")
    status = (manifest.get("batch") or {}).get("status")
    if status:
        st.caption(f"Batch job: {safe_label(status)}.")
    for warning in manifest.get("warnings", []):
        st.caption(f"Note: {safe_label(warning)}.")
    if not manifest.get("extractive") and manifest.get("usage"):
        if has_price(str(manifest.get("engine", "")), str(manifest.get("model", ""))):
            st.caption(f"Cost about {dollars(course_cost(manifest))} (prices as of "
                       f"{PRICES_AS_OF}) so far, over all of this course's runs.")
        else:
            st.caption(f"Used {token_line(manifest)}; no price is known for this model.")


def writing_details(path: Path, manifest: dict[str, Any]) -> None:
    """Figures and the status table: one row per chapter, across the page."""
    chapters = manifest.get("chapters", [])
    metrics(manifest, elapsed(path))
    status_table(chapters)


def course_body(path: Path, manifest: dict[str, Any], snap: JobSnapshot | None) -> None:
    """What every course view shows below its row of actions: progress, then the reader, with
    the status table above it while chapters are being written and below it afterwards."""
    course_notes(manifest)
    course_sources(path, manifest)
    progress(manifest, snap)
    chapters = manifest.get("chapters", [])
    writing = snap is not None and not snap.finished
    if chapters and writing:
        writing_details(path, manifest)
    reader(path, manifest)
    if chapters:
        if not writing:
            st.subheader("How it was written", anchor=False)
            writing_details(path, manifest)
        timeline(chapters)


def course_header(title: str, state: str, where: str, error: str) -> None:
    """The course's title (the stage's heading), its state, where it is kept, its error."""
    st.header(safe_label(title), anchor=False)
    with st.container(horizontal=True, vertical_alignment="center"):
        state_badge(state)
        st.caption(where)
    if error:
        st.error(safe_label(error))


def job_panel(job: Job, live: bool, key: str | None) -> None:
    """The live view of one job; refreshed by `run_every` while the job is unfinished."""
    with errors_shown("Showing the course"):
        snap = job.snapshot()
        if live and snap.finished:
            st.rerun()  # a full run redraws this fragment without run_every
        course_header(snap.title, snap.state.value,
                      f"Folder `{snap.path.name}` · keep this page's link to come back to it",
                      snap.error)
        with action_row():
            job_actions(job, snap, key)
            downloads(snap.path)
        course_body(snap.path, dict(snap.manifest), snap)


def folder_panel(path: Path, key: str | None) -> None:
    """A saved course with no job attached: an unfinished one resumes from the material saved
    beside it, with the engine and settings it was made with."""
    manifest = CourseStore(path).manifest()
    course_header(manifest.get("title", path.name), manifest.get("state", ""),
                  f"Saved course · folder `{path.name}`", manifest.get("error", ""))
    with action_row():
        course_actions(path, manifest, key)
        downloads(path)
    course_body(path, manifest, None)


def course_view(key: str | None, linked: Path | None) -> None:
    """The course stage: the job in the URL, the saved course `linked` by the URL, one
    opened from the workspace, or an empty state."""
    job = registry().get(st.query_params.get("job", ""))
    if job is None and linked is not None:  # the linked course's run, while it is writing
        job = next((j for j in registry().runs_of(linked) if not j.state.finished), None)
    if job is not None:
        live = not job.state.finished
        st.fragment(run_every=REFRESH_SECONDS if live else None)(job_panel)(job, live, key)
    elif linked is not None:
        folder_panel(linked, key)
    elif st.query_params.get("job") or st.query_params.get("course"):
        st.header("Course", anchor=False)
        st.error(unknown_link())
    elif st.session_state.get("folder"):
        folder_panel(Path(st.session_state["folder"]), key)
    else:
        st.header("Course", anchor=False)
        st.info("No course yet. Add documents above and press **Generate course**: "
                "chapters appear here as soon as each one is written.",
                icon=":material/menu_book:")
