"""This session's courses, and earlier courses in the output folder to reopen."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geminiteacher.store import list_courses
from geminiteacher.ui.common import output_dir, owner_id, registry


def session_jobs() -> None:
    jobs = registry().jobs_for(owner_id())
    if not jobs:
        return
    st.markdown("**Your courses in this session**")
    current = st.query_params.get("job")
    for job in reversed(jobs):
        left, right = st.columns([4, 1])
        left.write(f"{job.title} · {job.state.value}")
        if job.id != current and right.button("Open", key=f"open-{job.id}"):
            st.query_params["job"] = job.id
            st.session_state.pop("folder", None)
            st.rerun()


def workspace() -> None:
    """Earlier courses in the output folder, to reopen read-only and download."""
    with st.expander("Workspace: earlier courses"):
        courses = list_courses(output_dir())
        if not courses:
            st.caption("No saved courses yet.")
            return
        st.dataframe(pd.DataFrame([{
            "Title": c["title"], "Chapters": f"{c['done']}/{c['total']}", "State": c["state"],
            "Updated": c["updated"],
        } for c in courses]), hide_index=True)
        paths = {str(c["path"]): c["title"] for c in courses}
        pick = st.selectbox("Course", list(paths), format_func=paths.get)
        if st.button("Open course"):
            st.session_state["folder"] = pick
            st.query_params.pop("job", None)
            st.rerun()
