"""Real documents, clean courses: each defect found on real manuals, as a behaviour.

The documents are built at test time by `tests/corpus.py` (a Texinfo-style PDF, an HTML API
reference, a README, notes ending with references) and run through the converter and the
offline engine as a user's upload would be.
"""

from __future__ import annotations

import re

import docx
import pytest

from geminiteacher.backends.extractive.blocks import parse_blocks
from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.backends.prompts import outline_instruction
from geminiteacher.cli import load_options, settings_from
from geminiteacher.ingest.convert import convert_bytes, load_sources
from geminiteacher.models import ChapterContent, CourseSettings
from tests import corpus
from tests.test_convert_office import saved
from tests.test_convert_pdf import drawn

ENGINE = OfflineEngine()
SETTINGS = CourseSettings()


@pytest.fixture(scope="module")
def manual() -> str:
    return convert_bytes(corpus.texinfo_pdf(), "manual.pdf").markdown


@pytest.fixture(scope="module")
def api() -> str:
    return convert_bytes(corpus.api_html().encode(), "api.html").markdown


@pytest.fixture(scope="module")
def everything() -> str:
    return corpus.sources()["all"]


def course(source: str, settings: CourseSettings = SETTINGS) -> list[ChapterContent]:
    return corpus.offline_course(source, settings)


def chapter_holding(chapters: list[ChapterContent], text: str) -> ChapterContent:
    return next(c for c in chapters if text in c.explanation)


# --- the converter ---------------------------------------------------------------------

def test_pdf_code_example_becomes_a_fenced_block_that_keeps_its_lines(manual):
    fence = re.search(r"```\n(.*?)\n```", manual, re.S)
    assert fence is not None
    assert fence.group(1).splitlines() == corpus.CODE_LINES


def test_a_comment_line_in_pdf_code_is_never_a_heading(manual):
    headings = [b.title for b in parse_blocks(manual) if b.kind == "heading"]
    assert "1 Introduction" in headings
    assert not [h for h in headings if "automatically generated" in h]
    assert not [t for t in ENGINE.plan_outline(manual, SETTINGS).value if "DO NOT EDIT" in t]


def test_prose_that_opens_and_ends_with_inline_code_is_not_a_code_block():
    def draw(pdf):
        text = pdf.beginText(72, 700)
        text.setFont("Courier", 10)
        text.textOut("open() ")
        text.setFont("Helvetica", 10)
        text.textOut("returns a handle that you later pass to ")
        text.setFont("Courier", 10)
        text.textOut("close()")
        pdf.drawText(text)

    markdown = convert_bytes(drawn(draw), "inline.pdf").markdown
    assert "```" not in markdown
    assert "returns a handle that you later pass to" in markdown


def test_a_prose_line_opening_with_a_hash_sign_is_not_a_heading():
    def draw(pdf):
        pdf.setFont("Helvetica", 11)
        pdf.drawString(72, 700, "# marks a comment in shell scripts and in many config files.")

    markdown = convert_bytes(drawn(draw), "hash.pdf").markdown
    assert not markdown.startswith("#")
    assert "marks a comment in shell scripts" in markdown


def test_word_text_and_code_lines_opening_with_a_hash_sign_are_not_headings():
    document = docx.Document()
    document.add_heading("Configuration", 1)
    document.add_paragraph("# marks a comment in the configuration file of the service.")
    document.add_paragraph().add_run("# listen on every interface").font.name = "Courier New"
    document.add_paragraph().add_run("listen = 0.0.0.0").font.name = "Courier New"
    markdown = convert_bytes(saved(document), "config.docx").markdown
    headings = [b.title for b in parse_blocks(markdown) if b.kind == "heading"]
    assert headings == ["Configuration"]
    assert "```\n# listen on every interface\nlisten = 0.0.0.0\n```" in markdown


def test_html_never_glues_words_at_element_boundaries(api):
    for glued in ("open.Relative", "failed.The", "record.The", "GNOME**The", "KDEThe"):
        assert glued not in api
    assert "Input failed. The device may be full." in api
    assert "The GNOME desktop opens streams" in api


def test_a_chapter_never_opens_with_the_previous_files_references():
    other = "\n\n".join(
        f"## {topic}\n\nThe {topic.lower()} stage turns raw bytes into records. Each "
        f"{topic.lower()} step is tested on large files before it is released to users."
        for topic in ("Parsing", "Validation", "Loading")
    )
    source, _ = load_sources([("notes.md", corpus.notes_md().encode()),
                              ("pipeline.md", f"# Pipeline\n\n{other}\n".encode())])
    chapters = course(source.markdown, SETTINGS.with_(include_front_back_matter=True))
    with_references = chapter_holding(chapters, "RFC 4180")
    assert "Delimited formats are easier to read" in with_references.explanation
    assert "stage turns raw bytes" not in with_references.explanation


def test_html_guide_navigation_bars_are_dropped_and_pages_keep_their_own_headings():
    page = ("<html><head><title>Types (libffi manual)</title></head><body>"
            '<div class="header"><p>Next: <a href="abi.html" rel="next">ABIs</a>, Up: '
            '<a href="use.html" rel="up">Using libffi</a></p></div>'
            "<h3>2.3 Types</h3><p>Every argument has a type that describes its size.</p>"
            '<div class="navfooter"><a href="x.html">Home</a></div></body></html>')
    markdown = convert_bytes(page.encode(), "types.html").markdown
    assert markdown.startswith("### 2.3 Types")
    assert "Next:" not in markdown and "Home" not in markdown


# --- document anatomy ------------------------------------------------------------------

def test_outline_leaves_out_title_page_contents_licence_and_index(manual):
    chapters = course(manual)
    assert [c.title for c in chapters] == list(corpus.CHAPTERS)
    for chapter in chapters:
        assert not corpus.is_front_or_back_matter(chapter.title, chapter.explanation)
        for matter in ("Table of Contents", "Permission is granted", "binary cache 7",
                       "Reference Manual"):
            assert matter not in chapter.explanation


def test_front_and_back_matter_stay_in_the_source_for_a_chapter_that_asks_for_them(manual):
    chapter = ENGINE.write_chapter(manual, "Index", SETTINGS).value
    assert "binary cache 7" in chapter.explanation


def test_a_document_that_is_only_a_licence_is_taught_as_it_is():
    licence = corpus.readme_md().split("## License", 1)[1].split("## Changelog", 1)[0]
    source = f"# MIT License\n\n{licence}"
    titles = ENGINE.plan_outline(source, SETTINGS).value
    assert len(titles) == 1
    chapter = ENGINE.write_chapter(source, titles[0], SETTINGS, outline=titles).value
    assert "Permission is hereby granted" in chapter.explanation


def test_a_setting_includes_front_and_back_matter(manual):
    titles = ENGINE.plan_outline(manual, SETTINGS.with_(include_front_back_matter=True)).value
    assert "Appendix A GNU Free Documentation License" in titles
    assert "Index" in titles


def test_title_page_authors_notices_and_contents_before_the_first_chapter_are_left_out():
    source = (
        "# Users and Groups\n\n### Joey Hess\n\n### Colin Watson\n\n"
        "Copyright © 2001 Joey Hess\n\nThis document is free; you can redistribute it under "
        "the terms of the GNU General Public License.\n\nTable of Contents\n\n"
        "1 Introduction 1\n\n2 Users and Groups 3\n\n"
        "# Chapter 1. Introduction\n\nThe base package holds the master copies of the user "
        "and group files. Every system starts from these master copies.\n\n"
        "# Chapter 2. Users and Groups\n\nMany users have a group of the same name. The root "
        "user is the superuser of every system and owns the master copies.\n"
    )
    assert ENGINE.plan_outline(source, SETTINGS).value == [
        "Chapter 1. Introduction", "Chapter 2. Users and Groups"]


def test_an_introduction_that_mentions_its_licence_is_still_taught():
    source = (
        "# Introduction\n\nThe library parses and encodes records in a compact binary form. "
        "It handles every record type of the standard and checks each field as it reads it. "
        "It runs on every common platform and needs no configuration. Anybody can use and "
        "redistribute it under the terms of the GNU Lesser General Public License.\n\n"
        "# Usage\n\nCall the parser with a buffer and read the records it returns one by one. "
        "Each record keeps the position of its first byte in the buffer.\n"
    )
    assert ENGINE.plan_outline(source, SETTINGS).value == ["Introduction", "Usage"]


def test_an_api_heading_that_names_code_is_not_taken_for_an_index():
    source = "\n\n".join(
        f"## {name}\n\nThe {name} method searches the list for a value and reports where it "
        f"is. Programs call {name} whenever they need the position of a value in a list."
        for name in ("count()", "index()", "insert()")
    )
    assert ENGINE.plan_outline(source, SETTINGS).value == ["count()", "index()", "insert()"]


def test_readme_licence_and_changelog_are_not_chapters():
    readme = corpus.readme_md()
    titles = ENGINE.plan_outline(readme, SETTINGS).value
    assert titles == ["fastcsv", "Installation", "Usage", "Performance"]


def test_gemini_outline_instruction_gets_the_same_hint_only_when_matter_is_left_out():
    assert "Leave out front and back matter" in outline_instruction(SETTINGS)
    included = SETTINGS.with_(include_front_back_matter=True)
    assert "front and back matter" not in outline_instruction(included)


def test_cli_flag_includes_front_and_back_matter():
    assert not settings_from(load_options(["--input", "a.pdf"])).include_front_back_matter
    flagged = load_options(["--input", "a.pdf", "--include-front-back-matter"])
    assert settings_from(flagged).include_front_back_matter


# --- offline chapters a learner can use ------------------------------------------------

def test_summaries_are_complete_prose_sentences(everything):
    for chapter in course(everything):
        assert corpus.summary_is_clean(chapter.summary), chapter.summary


PASSAGE = """## Encoding rules

The encoding rules turn every value into bytes that another system can read back.
{odd}
A decoder reads the bytes of every value back into the same encoding rules and values.
The encoding rules and the decoder agree on every value and every byte of the value.
"""


def _summary(odd: str) -> str:
    return ENGINE.write_chapter(PASSAGE.format(odd=odd), "Encoding rules", SETTINGS).value.summary


def test_summary_never_opens_with_a_sentence_that_refers_to_missing_context():
    odd = "But these encoding rules turn every value into bytes and every byte into a value."
    assert "But these" not in _summary(odd)


def test_summary_never_holds_code():
    odd = "Value ::= SEQUENCE { rules OBJECT IDENTIFIER, value ANY } encoding every byte."
    assert "::=" not in _summary(odd)


def test_summary_leaves_out_list_fragments():
    odd = "\n- encoding rules for every value and every byte\n"
    summary = _summary(odd)
    assert summary and "encoding rules for every value and every byte" not in summary


def test_a_key_term_is_never_defined_by_itself(everything):
    source = everything + "\n\n## Storage\n\n- disk\n- disk\n\nA disk stores the cache file. " \
        "Each disk keeps a copy of the cache for readers.\n"
    for chapter in course(source):
        for term, definition in corpus.key_terms_of(chapter.extension):
            assert definition.strip(" .").casefold() != term.casefold()
            assert len(definition.split()) >= len(term.split()) + 3


def test_review_questions_are_well_formed_questions_about_a_named_concept(everything):
    questions = [q for c in course(everything) for q in corpus.questions_of(c.extension)]
    assert questions
    for question in questions:
        assert corpus.question_is_well_formed(question), question


def test_a_plural_term_gets_a_plural_question():
    source = ("## Magic rules\n\nMagic rules are byte patterns that identify a file. Magic rules "
              "are tried in order of priority. Readers apply magic rules to unknown files.\n")
    extension = ENGINE.write_chapter(source, "Magic rules", SETTINGS).value.extension
    assert "What are magic rules?" in extension


def test_lists_and_tables_stay_lists_and_tables():
    readme = corpus.readme_md()
    usage = ENGINE.write_chapter(readme, "Usage", SETTINGS).value.explanation
    assert "- delimiter: the character between fields\n- quote:" in usage
    assert "| option | default | meaning |\n| --- | --- | --- |" in usage


# --- outline edits ---------------------------------------------------------------------

BOOK = "\n\n".join(
    f"## {title}\n\n{text} This part of the book explains the {title.lower()} in detail, "
    f"with an example of the {title.lower()} at work."
    for title, text in [
        ("Cells", "Every organism is built from cells that divide and grow."),
        ("Energy", "Cells draw energy from food and store it as chemical energy."),
        ("Genetics", "Genes carry the instructions that cells copy when they divide."),
        ("Evolution", "Species change over generations as genes vary and spread."),
    ]
)


def _write(outline: list[str], index: int) -> str:
    reply = ENGINE.write_chapter(BOOK, outline[index - 1], SETTINGS, index=index, outline=outline)
    return reply.value.explanation


def test_a_renamed_chapter_keeps_its_own_section():
    planned = ENGINE.plan_outline(BOOK, SETTINGS).value
    assert planned == ["Cells", "Energy", "Genetics", "Evolution"]
    edited = ["Energy of living cells", "Energy", "Genetics", "Evolution"]
    assert "built from cells that divide" in _write(edited, 1)
    assert "draw energy from food" in _write(edited, 2)


def test_a_new_title_takes_its_best_match_without_taking_another_chapters_section():
    edited = ["Cells", "Genetics of species", "Energy", "Genetics"]
    added = _write(edited, 2)
    assert "instructions that cells copy" not in added  # chapter 4 holds Genetics
    assert "Species change over generations" in added
