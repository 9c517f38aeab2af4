"""The offline engine's outline: the document's own headings, or balanced parts of its text."""

from __future__ import annotations

import pytest

from geminiteacher.backends.extractive.text import text_size
from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.errors import OutlineError
from geminiteacher.models import CourseSettings, Source, SourcePart

ENGINE = OfflineEngine()


def _section(title: str, topic: str, level: int = 2) -> str:
    return (
        f"{'#' * level} {title}\n\n"
        f"The {topic} is the main idea of this part. Students learn how the {topic} works "
        f"in practice. Each {topic} example is explained step by step.\n\n"
        f"A second paragraph adds detail about the {topic} and its uses in class."
    )


def _book(titles: list[str]) -> str:
    body = "\n\n".join(_section(t, t.lower()) for t in titles)
    return f"# Handbook\n\nA short handbook.\n\n{body}"


def _outline(source: str, **settings) -> list[str]:
    return ENGINE.plan_outline(source, CourseSettings(**settings)).value


def test_outline_follows_the_markdown_headings():
    source = _book(["Cells", "Energy", "Genetics"])
    assert _outline(source) == ["Cells", "Energy", "Genetics"]


def test_fixed_chapter_count_gives_exactly_n_by_splitting():
    source = _book(["Cells", "Energy", "Genetics"])
    titles = _outline(source, max_chapters=7, fixed_chapter_count=True)
    assert len(titles) == 7 and len(set(titles)) == 7


def test_fixed_chapter_count_gives_exactly_n_by_merging():
    source = _book([f"Topic {n}" for n in range(1, 9)])
    titles = _outline(source, max_chapters=3, fixed_chapter_count=True)
    assert len(titles) == 3
    assert titles[0].startswith("Topic 1")


def test_outline_never_exceeds_max_chapters():
    source = _book([f"Lesson {n}" for n in range(1, 13)])
    assert 1 <= len(_outline(source, max_chapters=4)) <= 4


def test_text_without_headings_becomes_balanced_parts_with_readable_unique_titles():
    topics = ["volcano", "glacier", "desert", "ocean"]
    paragraphs = [
        f"The {topic} shapes the land in many ways. Scientists measure each {topic} with care. "
        f"A {topic} changes slowly over long periods, and every {topic} {n} is different."
        for topic in topics
        for n in range(25)
    ]
    source = "\n\n".join(paragraphs)
    titles = _outline(source)
    assert 2 <= len(titles) <= 10
    assert len({t.casefold() for t in titles}) == len(titles)
    for title in titles:
        assert 0 < len(title) <= 80
        assert title[-1].isalnum()
        assert title[0].isupper()
    plan = _plan_sizes(source, len(titles))
    assert max(plan) <= 2 * min(plan)


def _plan_sizes(source: str, count: int) -> list[int]:
    settings = CourseSettings()
    titles = ENGINE.plan_outline(source, settings).value
    chapters = [
        ENGINE.write_chapter(source, t, settings, index=i, outline=titles).value
        for i, t in enumerate(titles, 1)
    ]
    assert len(chapters) == count
    return [text_size(c.explanation) for c in chapters]


def test_joined_sources_take_their_chapters_from_inside_the_files():
    source = Source(
        [
            SourcePart("biology_notes.pdf", _book(["Cells", "Energy"])),
            SourcePart("chemistry.docx", _book(["Atoms", "Bonds"]).replace("Handbook", "Chem")),
        ]
    ).markdown
    assert _outline(source) == ["Cells", "Energy", "Atoms", "Bonds"]


def test_joined_sources_without_headings_are_named_after_their_files():
    text = "Plain notes without any heading. They talk about several things at length."
    source = Source([SourcePart("week_one.txt", text), SourcePart("week-two.md", text)]).markdown
    assert _outline(source) == ["Week One", "Week Two"]


def test_an_empty_source_is_an_outline_error():
    with pytest.raises(OutlineError):
        _outline("   \n\n  ")
