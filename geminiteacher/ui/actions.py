"""Starting work: a new course, and the follow-ups on one (cancel, resume, retry, regenerate)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from geminiteacher.errors import GeminiTeacherError, describe
from geminiteacher.jobs import Job, JobSnapshot
from geminiteacher.ui.common import owner_id, registry


def launch(title: str, output_dir: str | Path, api_key: str | None, **params: Any) -> None:
    """Queue `run_course` for this session and point the URL at the new job."""
    try:
        job = registry().submit(owner_id(), title=title, output_dir=output_dir,
                                api_key=api_key, **params)
    except GeminiTeacherError as exc:
        st.error(f"Could not start the course: {describe(exc)}")
        return
    st.query_params["job"] = job.id
    st.session_state.pop("folder", None)
    st.rerun()


def resume_choice(manifest: Mapping[str, Any]) -> tuple[str, bool] | None:
    """The resume button's label and whether only failed chapters are redone; None if done.

    `retry_failed` redoes only failed chapters; a plain resume also writes the cancelled and
    never-started ones, or plans the outline again when it was stopped before one existed.
    """
    chapters = manifest.get("chapters", [])
    unfinished = [c for c in chapters if c["status"] != "done"]
    if not chapters and manifest.get("state") in ("cancelled", "failed"):
        return "Resume", False
    if not unfinished:
        return None
    if all(c["status"] == "failed" for c in unfinished):
        return "Retry failed chapters", True
    return f"Resume {len(unfinished)} chapter(s)", False


def follow_up(job: Job, api_key: str | None, **changes: Any) -> None:
    """Start a new job on the same course folder (retry or regenerate) and show it."""
    params = {k: v for k, v in job.params.items() if k not in ("title", "output_dir")}
    launch(job.title, job.params["output_dir"], api_key, **{**params, **changes})


def job_actions(job: Job, snap: JobSnapshot, api_key: str | None) -> None:
    """Cancel while running; afterwards retry the failed chapters or redo one chapter."""
    if not snap.finished:
        if st.button("Cancel", icon=":material/stop_circle:", disabled=snap.cancel_requested):
            registry().cancel(job.id)
            st.rerun()
        return
    chapters = snap.manifest.get("chapters", [])
    resume = resume_choice(snap.manifest)
    left, right = st.columns(2)
    if resume and left.button(resume[0], icon=":material/refresh:"):
        follow_up(job, api_key, retry_failed=resume[1], redo=None)
    if chapters:
        with right.popover("Regenerate a chapter", icon=":material/edit_note:"):
            pick = st.selectbox("Chapter", [c["index"] for c in chapters],
                                format_func=lambda i: f"{i}. {chapters[i - 1]['title']}")
            if st.button("Regenerate chapter"):
                follow_up(job, api_key, redo={pick}, retry_failed=False)
