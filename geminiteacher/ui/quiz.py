"""A chapter's quiz on the page: answer, check, see what was right with the explanation and a
score; and the chapter's sources. Call inside the chapter's expander:

    quiz_view(chapter, key=f"{course_folder.name}-{index}")
    sources_view(chapter)

Questions, options, explanations and sources come from the model, so they are rendered through
`safe_markdown` like the chapter text.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from geminiteacher.models import ChapterContent, QuizQuestion
from geminiteacher.ui.markdown import markdown_link, safe_markdown

LETTERS = "ABCD"


def option(question: QuizQuestion, i: int) -> str:
    """Option `i` as shown: "B) its text", made safe to render."""
    return safe_markdown(f"{LETTERS[i]}) {question.options[i]}")


def quiz_view(chapter: ChapterContent, key: str) -> None:
    """The quiz as a form; after *Check answers* each question says right or wrong and why,
    with the score (kept across reruns), until *Try again* clears the answers. `key` is
    unique per chapter."""
    if not chapter.quiz:
        return
    checked = f"{key}-checked"
    st.markdown("#### Quiz")
    with st.form(f"{key}-quiz", border=False):
        choices = [
            st.radio(safe_markdown(f"{n}. {question.question}"), range(len(question.options)),
                     index=None, format_func=partial(option, question),
                     key=f"{key}-q{n}")
            for n, question in enumerate(chapter.quiz, 1)
        ]
        if st.form_submit_button("Check answers"):
            st.session_state[checked] = True
    if not st.session_state.get(checked):
        return
    right = 0
    for n, (question, choice) in enumerate(zip(chapter.quiz, choices, strict=True), 1):
        answer = option(question, question.answer)
        why = " ".join(p for p in (question.explanation,
                                   f"(Source: {question.source})" if question.source else "")
                       if p)
        if choice == question.answer:
            right += 1
            st.success(safe_markdown(f"**{n}.** Right: {answer}. {why}"))
        elif choice is None:
            st.warning(safe_markdown(f"**{n}.** Not answered. The answer is {answer}. {why}"))
        else:
            st.error(safe_markdown(f"**{n}.** Not quite: the answer is {answer}. {why}"))
    st.metric("Score", f"{right} of {len(chapter.quiz)}")
    if st.button("Try again", key=f"{key}-again"):
        for n in range(1, len(chapter.quiz) + 1):
            st.session_state.pop(f"{key}-q{n}", None)
        st.session_state[checked] = False
        st.rerun()


def sources_view(chapter: ChapterContent) -> None:
    """The sections the chapter drew on, one per line; a YouTube source links to the video at
    its start time."""
    if chapter.sources:
        listed = "\n".join(f"- {markdown_link(ref.label(), ref.link())}"
                           for ref in chapter.sources)
        st.markdown(f"#### Sources\n\n{safe_markdown(listed)}")
