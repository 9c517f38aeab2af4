"""A chapter's quiz on the page: answer, check, see what was right with the explanation and a
score; and the chapter's sources. Call inside the chapter's expander:

    quiz_view(chapter, key=f"{course_folder.name}-{index}")
    sources_view(chapter)
"""

from __future__ import annotations

import streamlit as st

from geminiteacher.models import ChapterContent

LETTERS = "ABCD"


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
            st.radio(f"{n}. {question.question}", range(len(question.options)), index=None,
                     format_func=lambda i, q=question: f"{LETTERS[i]}) {q.options[i]}",
                     key=f"{key}-q{n}")
            for n, question in enumerate(chapter.quiz, 1)
        ]
        if st.form_submit_button("Check answers"):
            st.session_state[checked] = True
    if not st.session_state.get(checked):
        return
    right = 0
    for n, (question, choice) in enumerate(zip(chapter.quiz, choices, strict=True), 1):
        answer = f"{LETTERS[question.answer]}) {question.correct}"
        why = " ".join(p for p in (question.explanation,
                                   f"(Source: {question.source})" if question.source else "")
                       if p)
        if choice == question.answer:
            right += 1
            st.success(f"{n}. Right: {answer}. {why}")
        elif choice is None:
            st.warning(f"{n}. Not answered. The answer is {answer}. {why}")
        else:
            st.error(f"{n}. Not quite: the answer is {answer}. {why}")
    st.metric("Score", f"{right} of {len(chapter.quiz)}")
    if st.button("Try again", key=f"{key}-again"):
        for n in range(1, len(chapter.quiz) + 1):
            st.session_state.pop(f"{key}-q{n}", None)
        st.session_state[checked] = False
        st.rerun()


def sources_view(chapter: ChapterContent) -> None:
    """The sections the chapter drew on, one per line."""
    if chapter.sources:
        st.caption("Sources: " + "; ".join(ref.label() for ref in chapter.sources))
