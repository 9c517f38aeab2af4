"""The right-hand side: the course in the URL, a course opened from the workspace, or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from geminiteacher.jobs import Job, JobSnapshot
from geminiteacher.models import CourseSettings
from geminiteacher.store import CourseStore
from geminiteacher.ui.actions import job_actions, launch, resume_choice
from geminiteacher.ui.chapters import chapters_view
from geminiteacher.ui.common import errors_shown, registry
from geminiteacher.ui.downloads import downloads
from geminiteacher.ui.status import metrics, progress, state_badge, status_table
from geminiteacher.ui.timeline import timeline

REFRESH_SECONDS = 1.0


def course_body(path: Path, manifest: dict[str, Any], snap: JobSnapshot | None) -> None:
    """What every course view shows: progress, figures, table, timeline, downloads, chapters."""
    if manifest.get("note"):
        st.caption(manifest["note"])
    progress(manifest, snap)
    chapters = manifest.get("chapters", [])
    if chapters:
        metrics(manifest, snap)
        status_table(chapters)
        timeline(chapters)
    downloads(path)
    chapters_view(path, manifest)


def job_panel(job: Job, live: bool, api_key: str | None) -> None:
    """The live view of one job; refreshed by `run_every` while the job is unfinished."""
    with errors_shown("Showing the course"):
        snap = job.snapshot()
        if live and snap.finished:
            st.rerun()  # a full run redraws this fragment without run_every
        st.subheader(snap.title)
        state_badge(snap.state.value)
        st.caption(f"Folder `{snap.path}` · keep this page's link to come back to it")
        if snap.error:
            st.error(snap.error)
        job_actions(job, snap, api_key)
        course_body(snap.path, dict(snap.manifest), snap)


def folder_panel(path: Path, api_key: str | None) -> None:
    """A course from the workspace: no job is attached to it, but an unfinished one resumes
    from the material saved beside it, with the engine and settings it was made with."""
    store = CourseStore(path)
    manifest = store.manifest()
    title = manifest.get("title", path.name)
    st.subheader(title)
    state_badge(manifest.get("state", ""))
    st.caption(f"Saved course · folder `{path}`")
    if manifest.get("error"):
        st.error(manifest["error"])
    resume = resume_choice(manifest)
    source = store.saved_source() if resume else None
    if resume and source is not None and st.button(resume[0], icon=":material/refresh:"):
        settings = CourseSettings.from_dict(manifest.get("settings", {}))
        launch(title, path.parent, api_key, source=source, retry_failed=resume[1],
               settings=settings.with_(engine=manifest.get("engine", settings.engine)))
    course_body(path, manifest, None)


def course_view(api_key: str | None) -> None:
    """The right-hand side: the job in the URL, an opened saved course, or an empty state."""
    job_id = st.query_params.get("job")
    if job_id:
        job = registry().get(job_id)
        if job is None:
            st.error("This course link is not known here (the server may have restarted). "
                     "Finished courses are listed under Workspace.")
            return
        live = not job.state.finished
        st.fragment(run_every=REFRESH_SECONDS if live else None)(job_panel)(job, live, api_key)
    elif st.session_state.get("folder"):
        folder_panel(Path(st.session_state["folder"]), api_key)
    else:
        st.info("No course yet. Add documents on the left and press **Generate course**: "
                "chapters appear here as soon as each one is written.",
                icon=":material/menu_book:")
