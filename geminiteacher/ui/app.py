"""The page's layout: settings in the sidebar, material on the left, the course on the right."""

from __future__ import annotations

import streamlit as st

from geminiteacher.course.workspace import place_course
from geminiteacher.errors import GeminiTeacherError, SourceTooLargeError, describe
from geminiteacher.ui.actions import launch
from geminiteacher.ui.common import errors_shown, linked_course, my_tokens, output_dir
from geminiteacher.ui.course import course_view
from geminiteacher.ui.markdown import safe_label
from geminiteacher.ui.outline import outline_editor
from geminiteacher.ui.settings import Choices, sidebar_settings
from geminiteacher.ui.sources import (
    cost_estimate,
    course_title,
    fitted,
    material,
    source_size,
)
from geminiteacher.ui.workspace import session_jobs, workspace


def main() -> None:
    """Draw the whole page once (Streamlit reruns it on every interaction)."""
    st.set_page_config(page_title="GeminiTeacher", page_icon=":material/school:", layout="wide")
    st.title(":material/school: GeminiTeacher")
    st.caption("Turn your documents into a structured course, chapter by chapter, with "
               "Google Gemini, a model on your own server (Ollama, vLLM, LM Studio, ...), or "
               "offline without a key.")
    choices = Choices(None, None)
    with errors_shown("Reading the settings"):
        choices = sidebar_settings()
    linked = linked_course()
    left, right = st.columns([2, 3], gap="large")
    with left, errors_shown("Preparing the course"):
        source, first = material()
        too_large = ""
        if source is not None and choices.settings is not None:
            source = fitted(source, choices)
        if source is not None and choices.settings is not None:
            try:
                st.caption(source_size(source, choices))
                estimate = cost_estimate(source, choices)
                if estimate:
                    st.caption(estimate)
            except SourceTooLargeError as exc:
                too_large = describe(exc)
                st.error(safe_label(too_large))
            except GeminiTeacherError as exc:
                st.caption(f"Size unknown: {safe_label(describe(exc))}")
        title = course_title(first)
        outline = outline_editor(source, choices)
        problem = ("Add a document or a link, or paste text, to begin." if source is None
                   else "The material is too large for the model; see above." if too_large
                   else "Give the course a title." if not title.strip()
                   else "Fix the settings in the sidebar." if choices.settings is None
                   else "The outline is empty: add a chapter or discard it."
                   if outline == [] else "")
        if st.button("Generate course", type="primary", disabled=bool(problem),
                     width="stretch", icon=":material/auto_stories:"):
            title, token = place_course(output_dir(), title.strip(), my_tokens())
            launch(title, output_dir(), choices.api_key, token, source=source,
                   settings=choices.settings, outline=outline)
        if problem:
            st.caption(problem)
        session_jobs()
        workspace()
    with right, errors_shown("Showing the course"):
        course_view(choices.available_key, linked)
