"""The page's layout, following the work from top to bottom: settings in the sidebar, then the
material, the outline and the course, each across the page's full width."""

from __future__ import annotations

import streamlit as st

from geminiteacher.course.workspace import place_course
from geminiteacher.errors import GeminiTeacherError, SourceTooLargeError, describe
from geminiteacher.models import Source
from geminiteacher.ui.actions import launch
from geminiteacher.ui.common import errors_shown, linked_course, my_tokens, output_dir
from geminiteacher.ui.course import course_view
from geminiteacher.ui.markdown import safe_label
from geminiteacher.ui.outline import outline_editor
from geminiteacher.ui.reader import start_over
from geminiteacher.ui.settings import Choices, sidebar_settings
from geminiteacher.ui.sources import (
    cost_estimate,
    course_title,
    fitted,
    material,
    source_size,
)
from geminiteacher.ui.style import page_style
from geminiteacher.ui.workspace import session_jobs, workspace


def size_notes(source: Source | None, choices: Choices) -> str:
    """The source's size and estimated cost as captions; the refusal when it is too large."""
    if source is None or choices.settings is None:
        return ""
    try:
        st.caption(source_size(source, choices))
        estimate = cost_estimate(source, choices)
        if estimate:
            st.caption(estimate)
    except SourceTooLargeError as exc:
        st.error(safe_label(describe(exc)))
        return describe(exc)
    except GeminiTeacherError as exc:
        st.caption(f"Size unknown: {safe_label(describe(exc))}")
    return ""


def material_stage(choices: Choices) -> tuple[Source | None, str, str]:
    """Documents on the left; the course title and the saved courses on the right.

    Returns the source, the title typed or proposed, and why the source is refused ("").
    """
    st.header("Material")
    documents, course = st.columns([3, 2], gap="large")
    with documents:
        source, first = material()
        if source is not None and choices.settings is not None:
            source = fitted(source, choices)
        too_large = size_notes(source, choices)
    with course:
        title = course_title(first)
        session_jobs()
        workspace()
    return source, title, too_large


def outline_stage(source: Source | None, choices: Choices, title: str, too_large: str) -> None:
    """The optional outline, edited across the page, then *Generate course*."""
    st.header("Outline")
    outline = outline_editor(source, choices)
    problem = ("Add a document or a link, or paste text, to begin." if source is None
               else "The material is too large for the model; see above." if too_large
               else "Give the course a title." if not title.strip()
               else "Fix the settings in the sidebar." if choices.settings is None
               else "The outline is empty: add a chapter or discard it."
               if outline == [] else "")
    if st.button("Generate course", type="primary", disabled=bool(problem),
                 icon=":material/auto_stories:"):
        title, token = place_course(output_dir(), title.strip(), my_tokens())
        start_over()
        launch(title, output_dir(), choices.api_key, token, source=source,
               settings=choices.settings, outline=outline)
    if problem:
        st.caption(problem)


def main() -> None:
    """Draw the whole page once (Streamlit reruns it on every interaction)."""
    st.set_page_config(page_title="GeminiTeacher", page_icon=":material/school:", layout="wide")
    page_style()
    st.title(":material/school: GeminiTeacher")
    st.caption("Turn your documents into a structured course, chapter by chapter, with "
               "Google Gemini, a model on your own server (Ollama, vLLM, LM Studio, ...), or "
               "offline without a key.")
    choices = Choices(None, None)
    with errors_shown("Reading the settings"):
        choices = sidebar_settings()
    linked = linked_course()
    source, title, too_large = None, "", ""
    with errors_shown("Reading the material"):
        source, title, too_large = material_stage(choices)
    with errors_shown("Preparing the course"):
        outline_stage(source, choices, title, too_large)
    with errors_shown("Showing the course"):
        course_view(choices.available_key, linked)
