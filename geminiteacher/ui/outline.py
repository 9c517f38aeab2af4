"""The optional outline step: plan the chapters, then edit them in a table before writing."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from geminiteacher.coursemaker import plan_outline
from geminiteacher.errors import GeminiTeacherError, describe
from geminiteacher.models import Source
from geminiteacher.ui.common import owner_id, registry, title_width
from geminiteacher.ui.markdown import safe_label
from geminiteacher.ui.settings import Choices


def outline_editor(source: Source | None, choices: Choices) -> list[str] | None:
    """Optional: plan the outline, edit it in a table; the edited titles, or None."""
    planned = st.session_state.get("outline")
    if planned and (source is None or planned["sha"] != source.sha256):
        planned = st.session_state["outline"] = None
    ready = source is not None and choices.settings is not None
    if planned is None:
        if st.button("Plan outline", disabled=not ready,
                     help="See the chapters first and edit them before writing."):
            try:  # planning calls the model, so it waits for a slot under the job cap
                with st.spinner("Planning the outline…"), registry().slot(owner_id()):
                    titles = plan_outline(source, choices.settings, api_key=choices.api_key)
            except GeminiTeacherError as exc:
                st.error(f"Could not plan the outline: {safe_label(describe(exc))}")
                return None
            st.session_state["outline"] = {
                "sha": source.sha256, "version": time.time_ns(),
                "table": pd.DataFrame({"Order": range(1, len(titles) + 1), "Chapter": titles}),
            }
            st.rerun()
        return None
    st.caption("Rename chapters, change the numbers to reorder, add or delete rows.")
    edited = st.data_editor(  # as wide as its titles, so none is cut or scrolled
        planned["table"], key=f"outline_{planned['version']}", num_rows="dynamic",
        hide_index=True, width="content", column_config={
            "Order": st.column_config.NumberColumn("Order", min_value=1, step=1, width=70),
            "Chapter": st.column_config.TextColumn(
                "Chapter title", required=True,
                width=title_width(planned["table"]["Chapter"], least=360)),
        },
    )
    if st.button("Discard outline"):
        st.session_state["outline"] = None
        st.rerun()
    ordered = edited.sort_values("Order", kind="stable", na_position="last")
    return [str(t).strip() for t in ordered["Chapter"] if pd.notna(t) and str(t).strip()]
