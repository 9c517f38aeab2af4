"""This session's courses, and the saved courses this visitor may reopen (their own and those
opened from a link; every course with GEMINITEACHER_SHARED_WORKSPACE=1)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geminiteacher.course.workspace import shared_workspace, visible_courses
from geminiteacher.errors import ManifestError, describe
from geminiteacher.ui.common import my_tokens, output_dir, owner_id, registry
from geminiteacher.ui.markdown import plain_text, safe_label
from geminiteacher.ui.reader import start_over


def session_jobs() -> None:
    """This session's courses, each listed once (its latest run), newest first."""
    latest = {job.path: job for job in registry().jobs_for(owner_id())}
    if not latest:
        return
    st.markdown("**Your courses in this session**")
    current = st.query_params.get("job")
    for job in sorted(latest.values(), key=lambda j: j.created, reverse=True):
        left, right = st.columns([4, 1])
        left.write(f"{safe_label(job.title)} · {job.state.value}")
        if job.id != current and right.button("Open", key=f"open-{job.id}"):
            st.query_params["job"] = job.id
            st.query_params["course"] = job.params.get("owner_token") or ""
            st.session_state.pop("folder", None)
            start_over()
            st.rerun()


def workspace() -> None:
    """Saved courses in the output folder, to reopen with their downloads and follow-ups."""
    everyone = shared_workspace()
    label = "Workspace: every saved course" if everyone else "Workspace: your saved courses"
    with st.expander(label):
        skipped: list[ManifestError] = []
        courses = visible_courses(output_dir(), my_tokens(), everyone, skipped)
        for problem in skipped:
            st.warning(safe_label(describe(problem)), icon=":material/warning:")
        if not courses:
            st.caption("No saved courses yet." if everyone else
                       "No saved courses yet. Courses you make, or open from their link, "
                       "are listed here.")
            return
        st.dataframe(pd.DataFrame([{
            "Title": plain_text(c["title"]), "Chapters": f"{c['done']}/{c['total']}",
            "State": c["state"], "Updated": c["updated"],
        } for c in courses]), hide_index=True)
        found = {str(c["path"]): c for c in courses}
        pick = st.selectbox("Course", list(found),
                            format_func=lambda p: plain_text(found[p]["title"]))
        if st.button("Open course"):
            st.query_params.pop("job", None)
            st.query_params.pop("course", None)
            if found[pick]["owner"]:
                st.query_params["course"] = found[pick]["owner"]
            st.session_state["folder"] = pick
            start_over()
            st.rerun()
