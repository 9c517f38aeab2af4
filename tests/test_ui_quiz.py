"""The page's quiz view: answer, check, right and wrong with the explanation, and a score."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from geminiteacher.models import ChapterContent, QuizQuestion, SourceRef

CHAPTER = ChapterContent(
    "Cells", "S.", "E.", "X.",
    [QuizQuestion("What holds the genes?", ["The nucleus", "The membrane", "Salt", "Light"], 0,
                  "The nucleus holds the genetic material.", "The nucleus"),
     QuizQuestion("What makes sugar?", ["Mitochondria", "Chromosomes", "Photosynthesis", "Salt"],
                  2, "Photosynthesis turns light into sugar.", "Photosynthesis")],
    [SourceRef("cells.md", "The nucleus")],
)


def page(chapter) -> None:  # runs as its own script: no names from this module
    from geminiteacher.ui.quiz import quiz_view, sources_view

    quiz_view(chapter, key="c1")
    sources_view(chapter)


def test_checking_marks_each_answer_and_shows_the_score():
    app = AppTest.from_function(page, args=(CHAPTER,)).run()
    app.radio(key="c1-q1").set_value(0)
    app.radio(key="c1-q2").set_value(1)
    app.button[0].click().run()
    assert [s.value for s in app.success] == [
        "**1.** Right: A) The nucleus. The nucleus holds the genetic material. "
        "(Source: The nucleus)"]
    assert app.error[0].value.startswith("**2.** Not quite: the answer is C) Photosynthesis.")
    assert app.metric[0].value == "1 of 2"
    assert app.markdown[-1].value == "#### Sources\n\n- cells.md, The nucleus"
    assert app.run().metric[0].value == "1 of 2"  # the live page reruns; the result stays


def test_try_again_clears_the_answers_and_the_results():
    app = AppTest.from_function(page, args=(CHAPTER,)).run()
    app.radio(key="c1-q1").set_value(0)
    app.button[0].click().run()
    app.button(key="c1-again").click().run()
    assert not app.success and not app.metric and app.radio(key="c1-q1").value is None
