"""Offline chapters: faithful explanations, central summaries, terms and questions from the text."""

from __future__ import annotations

from geminiteacher.backends.extractive.text import flatten
from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.models import ChapterContent, CourseSettings, Usage

ENGINE = OfflineEngine()
SETTINGS = CourseSettings()

CODE = "```python\ndef area(r):\n    return 3.14 * r * r  # keep   spacing\n```"
TABLE = "| Shape | Formula |\n|-------|---------|\n| Circle | pi r^2 |\n| Square | a^2 |"
LIST = "- Measure the radius.\n- Square it.\n  - Then multiply by pi.\n- Write the unit."
SOURCE = f"""# Geometry

## Circles

A circle is the set of points at a fixed distance from a centre. The radius is the distance
from the centre to any point of the circle. The area of a circle grows with the square of the
radius. Engineers use the circle area formula when they design pipes.

{LIST}

{CODE}

### Worked example

A circle with radius two has an area of about twelve square units. The worked example shows
each step of the calculation.

{TABLE}

## Triangles

A triangle is a polygon with three sides. The angles of a triangle add up to one hundred and
eighty degrees. A right triangle has one angle of ninety degrees. Pythagoras described how the
sides of a right triangle relate.

## Squares

A square is a quadrilateral with four equal sides. The area of a square is the side length
multiplied by itself. Every square is also a rectangle.
"""


def _chapter(title: str, source: str = SOURCE, **kwargs) -> ChapterContent:
    return ENGINE.write_chapter(source, title, kwargs.pop("settings", SETTINGS), **kwargs).value


def test_explanation_keeps_code_table_and_list_verbatim():
    explanation = _chapter("Circles").explanation
    assert CODE in explanation
    assert TABLE in explanation
    assert LIST in explanation


def test_sub_headings_are_demoted_below_the_chapter_sections():
    explanation = _chapter("Circles").explanation
    assert "### Worked example" in explanation
    assert not any(line.startswith(("# ", "## ")) for line in explanation.splitlines())
    assert "Circles" not in explanation.splitlines()[0]


def test_summary_sentences_come_from_the_section():
    chapter = _chapter("Triangles")
    section = flatten(SOURCE.split("## Triangles")[1].split("## Squares")[0])
    assert 2 <= chapter.summary.count(".") <= 4
    for sentence in chapter.summary.split(". "):
        assert sentence.rstrip(".") in section


def test_extension_lists_key_terms_and_review_questions_and_says_it_was_extracted():
    extension = _chapter("Triangles").extension
    assert "### Key terms" in extension and "### Review questions" in extension
    assert "**triangle**" in extension.casefold()
    assert "What is" in extension
    assert "no language model wrote it" in extension


def test_renamed_title_finds_the_best_matching_section():
    chapter = _chapter("All about right triangles", index=2)
    assert "Pythagoras" in chapter.explanation
    assert "matches it best" in chapter.explanation
    assert chapter.title == "All about right triangles"


def test_unknown_title_still_yields_content_and_says_so():
    chapter = _chapter("Quantum chromodynamics", index=3, outline=["A", "B", "Quantum"])
    assert chapter.summary and chapter.extension
    assert "Nothing in the source matches this title" in chapter.explanation
    assert len(chapter.explanation.split()) > 20


def test_cascade_skips_sentences_already_used_in_earlier_summaries():
    first = _chapter("Circles")
    again = _chapter("Circles", previous=[first])
    assert again.summary
    for sentence in again.summary.split(". "):
        assert sentence.rstrip(".") not in first.summary


def test_braces_in_the_source_pass_through_untouched():
    source = (
        "## Templates\n\nA template such as {chapter_title} is filled in later. "
        "Writers keep {braces} and {{double braces}} in their notes.\n\n"
        "```python\nprint(f'{name}')\n```"
    )
    chapter = _chapter("Templates", source=source)
    assert "{chapter_title}" in chapter.explanation
    assert "{{double braces}}" in chapter.explanation
    assert "print(f'{name}')" in chapter.explanation
    assert "{chapter_title}" in chapter.summary


def test_labels_follow_the_course_language_while_content_stays_in_the_source_language():
    chapter = _chapter("Triangles", settings=SETTINGS.with_(language="Spanish"))
    assert "### Términos clave" in chapter.extension
    assert "A triangle is a polygon with three sides." in chapter.explanation


def test_chapters_cost_no_tokens():
    reply = ENGINE.write_chapter(SOURCE, "Circles", SETTINGS)
    assert reply.usage == Usage()
