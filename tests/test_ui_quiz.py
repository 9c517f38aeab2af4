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


def sources_markdown(*refs: SourceRef) -> str:
    chapter = ChapterContent("Talk", "S.", "E.", "X.", [], list(refs))
    app = AppTest.from_function(page, args=(chapter,)).run()
    return next(m.value for m in app.markdown if m.value.startswith("#### Sources"))


def links_and_images(text: str) -> tuple[list[str], list[str]]:
    from markdown_it import MarkdownIt

    tokens = [t for block in MarkdownIt("commonmark").parse(text) for t in block.children or []]
    return ([t.attrs["href"] for t in tokens if t.type == "link_open"],
            [t.type for t in tokens if t.type == "image"])


def test_a_youtube_source_links_to_its_start_time_and_a_file_source_is_plain():
    text = sources_markdown(
        SourceRef("YouTube abc", start=150.0, end=300.0,
                  uri="https://www.youtube.com/watch?v=abc"),
        SourceRef("notes.md", "Intro"))
    links, images = links_and_images(text)
    assert links == ["https://www.youtube.com/watch?v=abc&t=150s"] and images == []
    assert "notes.md, Intro" in text


def test_a_hostile_source_address_or_label_cannot_add_an_image_or_another_link():
    text = sources_markdown(SourceRef(
        "](http://evil/) ![x](http://evil/p.png", start=5.0,
        uri="https://www.youtube.com/watch?v=x) ![i](http://evil/i.png"))
    links, images = links_and_images(text)
    assert images == [] and len(links) == 1
    assert links[0].startswith("https://www.youtube.com/watch?v=x%29%20") \
        and links[0].endswith("&t=5s")
