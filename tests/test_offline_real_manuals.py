"""The offline engine on real manuals from Debian's documentation packages that no rule was
tuned on (bzip2's PDF manual, the GNU diffutils HTML manual, valgrind's PDF book). Each test
skips when its package is not installed; `.ci/run` installs the small ones."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from geminiteacher.backends.extractive.analysis import analyse
from geminiteacher.ingest.convert import load_sources
from tests import corpus

DOCS = Path("/usr/share/doc")


def _source(*patterns: str) -> str:
    paths = sorted(p for pattern in patterns for p in DOCS.glob(pattern))
    if not paths:
        pytest.skip(f"{patterns[0]} is not installed")
    files = [(p.stem, gzip.decompress(p.read_bytes())) if p.suffix == ".gz"
             else (p.name, p.read_bytes()) for p in paths]
    return load_sources(files)[0].markdown


@pytest.fixture(scope="module")
def bzip2() -> str:
    return _source("bzip2/manual.pdf.gz")


def test_bzip2s_licence_on_the_title_page_is_no_chapter_summary_or_question(bzip2):
    chapters = corpus.offline_course(bzip2)
    assert chapters[0].title == "1. Introduction"
    assert "2. How to use bzip2" in [c.title for c in chapters]
    for chapter in chapters:
        assert not corpus.is_front_or_back_matter(chapter.title, chapter.explanation)
        assert "acknowledgment" not in chapter.summary
        assert all(corpus.question_is_no_notice(q) for q in chapter.quiz)


def test_diffutils_html_manual_gets_taught_with_quizzes_from_its_own_pages():
    source = _source("diffutils/*.html")
    files = ["\n".join(b.text for b in blocks) for blocks in analyse(source).files]
    chapters = corpus.offline_course(source)
    for chapter in chapters:
        assert corpus.summary_teaches(chapter.summary) and chapter.quiz
        assert all(corpus.options_from_own_file(q, files, chapter.explanation)
                   for q in chapter.quiz)


def test_valgrinds_user_manual_gets_chapters_in_proportion_to_its_size():
    source = _source("valgrind/valgrind_manual.pdf.gz")
    titles = [c.title for c in analyse(source).plan(10, False)]
    manual = [t for t in titles if "User Manual" in t or t[:1].isdigit()]
    assert len(manual) >= 6, titles  # the user manual is four fifths of the book
    assert any("Memcheck" in t for t in titles)
