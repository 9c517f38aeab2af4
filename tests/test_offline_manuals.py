"""The offline engine on material of other shapes than the first corpus: each defect found
on big real manuals (a multi-part book, a licence on the title page, slides, two files on
different subjects, HTML permalink marks) as a behaviour. Documents come from
`tests/shapes_corpus.py` or are written inline."""

from __future__ import annotations

import json
import re

import pytest

from geminiteacher.backends.extractive.labels import ENGLISH
from geminiteacher.backends.extractive.text import clean_title
from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.engine.runner import run_course
from geminiteacher.models import ChapterContent, CourseSettings, Source, SourcePart
from tests import corpus, shapes_corpus

ENGINE = OfflineEngine()
SETTINGS = CourseSettings()
NOTICE = re.compile(r"copyright|©|licen[cs]e|warrant|redistribut|all rights reserved|https?://"
                    r"|\b\d+\.\d+\.\d+\b", re.I)


@pytest.fixture(scope="module")
def shapes() -> dict[str, str]:
    return shapes_corpus.sources()


def course(source: str, settings: CourseSettings = SETTINGS) -> list[ChapterContent]:
    return corpus.offline_course(source, settings)


def outline(source: str, **settings) -> list[str]:
    return ENGINE.plan_outline(source, CourseSettings(**settings)).value


def _words(n: int, topic: str) -> str:
    sentence = (f"The {topic} keeps a record of each {topic} event and explains how the "
                f"{topic} changes over time.")
    return " ".join([sentence] * (n // len(sentence.split())))


# --- the outline follows the document's real structure ----------------------------------

def test_a_multi_part_book_teaches_its_user_manual_by_its_own_chapters(shapes):
    titles = outline(shapes["book"])
    assert titles == ["The Heapwatch Quick Start Guide", *shapes_corpus.MANUAL, "Heapwatch FAQ"]


def test_a_part_that_is_most_of_the_document_gets_chapters_in_proportion():
    chapters = "\n\n".join(f"## {n}. Tool {n}\n\n{_words(1500, f'tool{n}')}" for n in range(1, 9))
    small = "\n\n".join(f"# {name}\n\n{_words(300, name.lower())}"
                        for name in ("Quick Start", "FAQ", "Design notes"))
    source = f"# Quick guide\n\n{_words(300, 'guide')}\n\n# User Manual\n\n{chapters}\n\n{small}"
    titles = outline(source)
    manual = [t for t in titles if re.match(r"\d\. Tool|User Manual", t)]
    assert len(titles) <= 10
    assert len(manual) >= 0.6 * len(titles)  # the manual is nine tenths of the words


def test_a_parts_own_title_page_goes_but_its_chapters_stay():
    source = (
        "# Valve User Manual\n\nRelease 3.2.0 11 Apr 2022 Copyright © 2000-2022 Valve "
        "Developers\n\nTable of Contents\n\n1. Introduction 1 1.1. Overview 1\n\n"
        "2. Valves 3 2.1. Seats 3\n\n"
        f"## 1. Introduction\n\n{_words(400, 'valve')}\n\n## 2. Valves\n\n{_words(400, 'seat')}"
    )
    chapters = course(source)
    assert [c.title for c in chapters] == ["1. Introduction", "2. Valves"]
    assert not any("Copyright" in c.explanation for c in chapters)


def test_release_notes_and_a_licence_appendix_are_no_chapters(shapes):
    titles = outline(shapes["book"])
    assert not [t for t in titles if re.search(r"Release Notes|License|Appendix", t)]


def test_a_licence_on_the_title_page_is_no_chapter_summary_or_question(shapes):
    chapters = course(shapes["licence"])
    assert chapters[0].title == "1. Introduction"
    for chapter in chapters:
        assert not NOTICE.search(chapter.title + chapter.summary + chapter.explanation)
        for question in chapter.quiz:
            assert not NOTICE.search(question.question + " ".join(question.options))


def test_a_licence_paragraph_inside_a_section_never_teaches():
    source = ("# 1. Overview\n\nThe parser reads records from a stream and checks every field "
              "of a record as it reads it.\n\nCopyright © 2024 Ada Example. All rights "
              "reserved. THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND.\n\n"
              "A record is a group of fields that belong together, such as the fields of one "
              "row of a table.\n")
    chapter = course(source)[0]
    assert "WARRANTY" not in chapter.summary
    assert not [q for q in chapter.quiz if NOTICE.search(q.question)]


# --- titles ----------------------------------------------------------------------------

def test_html_permalink_marks_leave_titles(shapes):
    for title in outline(shapes["licence"]):
        assert not title.endswith(("#", "¶"))
    assert clean_title("emitter.getMaxListeners()#") == "emitter.getMaxListeners()"
    assert clean_title("Events ¶") == "Events"
    assert clean_title("C#") == "C#"


def test_a_number_the_document_gives_is_kept_once():
    assert clean_title("2. 2. How to use bzip2") == "2. How to use bzip2"
    source = f"## 2. 2. How to use bzip2\n\n{_words(200, 'bzip2')}\n\n## 3. Errors\n\n" \
             f"{_words(200, 'error')}"
    assert outline(source) == ["2. How to use bzip2", "3. Errors"]


def test_a_table_under_its_own_heading_is_no_chapter():
    source = (f"## Membranes\n\n{_words(150, 'membrane')}\n\n## Summary table\n\n"
              "| part | job |\n| --- | --- |\n| membrane | border |\n\n"
              f"## Nucleus\n\n{_words(150, 'nucleus')}\n")
    assert outline(source) == ["Membranes", "Nucleus"]


def test_text_without_headings_is_titled_by_what_it_is_about():
    paragraphs = [
        "The sodium-potassium pump moves three sodium ions out of the cell for every two "
        "potassium ions. The pump uses energy from ATP to work against the gradient.",
        "Osmosis is the movement of water across a membrane towards more solutes. Osmosis "
        "draws water out of a cell in a hypertonic solution.",
        "Photosynthesis converts light energy into chemical energy stored in sugar. "
        "Photosynthesis takes place in the chloroplasts of leaves.",
    ]
    titles = outline("\n\n".join(paragraphs), max_chapters=3, fixed_chapter_count=True)
    assert titles == ["Sodium-potassium pump", "Osmosis", "Photosynthesis"]


# --- every kind of material teaches ----------------------------------------------------

def test_a_slide_deck_gets_summaries_and_quizzes_from_its_bullets(shapes):
    chapters = course(shapes["lecture"])
    assert [c.title for c in chapters] == list(shapes_corpus.SLIDES)
    for chapter in chapters:
        assert chapter.summary != ENGLISH["no_prose"]
        assert corpus.summary_is_clean(chapter.summary), chapter.summary
        assert chapter.quiz
    summary = ENGINE.write_summary(shapes["lecture"], chapters, SETTINGS).value
    assert ENGLISH["no_prose"] not in summary


def test_a_chapter_too_thin_to_quiz_says_so_in_one_line(tmp_path):
    code = "\n".join(f"make install PREFIX=/opt/tool{n} DESTDIR=/tmp/stage{n}" for n in range(12))
    source = (f"## Setup\n\n```\n{code}\n```\n\n## Usage\n\nThe tool reads a file of "
              "records and writes a report of every record it found. A record is a line "
              "of the file with fields separated by commas. The report lists each record "
              "with the number of its fields.\n")
    titles = outline(source)
    thin = ENGINE.write_chapter(source, titles[0], SETTINGS, index=1, outline=titles)
    assert thin.value.quiz == []
    assert thin.notes == ('chapter 1 “Setup” is too thin to quiz: no statement in it to ask '
                          'about',)
    result = run_course(Source([SourcePart("tool.md", source)]),
                        CourseSettings(engine="offline"), title="Tool", output_dir=tmp_path)
    manifest = json.loads((result.path / "course.json").read_text())
    assert manifest["warnings"] == [thin.notes[0]]
    summary = ENGINE.write_summary(source, result.chapters, SETTINGS).value
    assert ENGLISH["heading_only"] not in summary and ENGLISH["no_prose"] not in summary


def test_a_summary_never_repeats_the_explanations_opening_paragraph():
    opening = ("The scheduler decides which task runs next. It keeps a queue of ready tasks "
               "ordered by priority. The scheduler picks the first task of the queue.")
    source = (f"## Scheduling\n\n{opening}\n\nA time slice is the longest time a task may "
              "run before the scheduler takes the processor back. Short time slices make a "
              "system feel quick, while long time slices waste less time on switching.\n")
    chapter = course(source)[0]
    assert opening not in chapter.summary


def test_a_summary_never_starts_mid_list_when_the_chapter_has_prose():
    source = ("## Options\n\n- The verbose option prints every step of the build.\n"
              "- The quiet option prints only the errors of the build.\n\n"
              "Build options change how much the build tool prints while it works. Every "
              "option can also be set in the configuration file of the project.\n")
    summary = course(source)[0].summary
    assert summary.startswith("Build options change")


def test_a_summary_never_ends_in_half_a_markdown_link():
    source = ("## Support\n\nThe project answers questions in its forum and fixes bugs "
              "reported in its tracker. Check out the [instructions for getting support]"
              "(./SUPPORT.md). The forum is the best place for questions about usage.\n")
    summary = course(source)[0].summary
    assert summary.count("[") == summary.count("]") and summary.count("(") == summary.count(")")
    assert not summary.rstrip().endswith("](.")


def test_key_terms_are_glossed_by_sentences_about_them(shapes):
    for chapter in course(shapes["two subjects"]) + course(shapes["book"]):
        for term, gloss in corpus.key_terms_of(chapter.extension):
            bare = re.sub(r"^(?:an?|the) ", "", gloss, flags=re.I).casefold()
            singular = " ".join(w.removesuffix("s") for w in term.casefold().split())
            assert bare.startswith(singular) or re.search(
                rf"(?:called|known as|defined as) (?:the )?{re.escape(term)}", gloss, re.I
            ), (term, gloss)


# --- questions a teacher would keep ----------------------------------------------------

def test_wrong_options_never_come_from_another_file(shapes):
    files = {"Cell transport": shapes_corpus.CELLS, "Stars": shapes_corpus.STARS}
    chapters = course(shapes["two subjects"])
    assert [c.title for c in chapters] == list(files)
    for chapter in chapters:
        assert chapter.quiz
        for question in chapter.quiz:
            for option in question.options:
                assert option.casefold() in files[chapter.title].casefold(), option


def test_blanks_cover_whole_terms_never_part_of_a_phrase():
    source = ("## Buffers\n\nThe caller maintains input and output buffers and passes them to "
              "the library on each call. If no file names are specified, the program reads "
              "from standard input. A buffer is a block of memory that holds data on its way "
              "between the caller and the library. The library fills the output buffer and "
              "empties the input buffer.\n")
    for question in course(source)[0].quiz:
        assert "file _____" not in question.question
        assert question.correct.casefold() not in ("caller maintains input", "call")


def test_no_questions_on_addresses_licences_copyright_or_versions():
    source = ("## About\n\nThe zcomp library lives at https://zcomp.example.org/ for "
              "everybody to download. Copyright © 2019 Jane Roe and the zcomp authors. "
              "This manual describes zcomp version 1.0.8 of the compressor library. "
              "The compressor library turns a stream of bytes into a shorter stream of "
              "bytes. A stream is a sequence of bytes that a program reads in order. The "
              "General Public License of the compressor library lets every user study the "
              "compressor library and the General Public License text.\n")
    for question in course(source)[0].quiz:
        assert corpus.question_is_no_notice(question), question
        assert not re.search(r"version", question.question, re.I)


def test_question_counts_grow_with_the_chapter_up_to_the_setting():
    def section(title: str, topics: list[str]) -> str:
        return f"## {title}\n\n" + " ".join(
            f"A {t} is a part of the engine that does one job. Every {t} is checked by the "
            f"engine crew before a flight." for t in topics)

    short = section("Pumps", ["pump", "valve", "seal"])
    topics = ["pump", "valve", "turbine", "nozzle", "injector", "igniter", "bearing",
              "compressor", "combustor", "shaft", "rotor", "stator", "gearbox", "filter",
              "sensor", "actuator", "manifold", "radiator", "throttle", "piston",
              "crankshaft", "camshaft", "flywheel", "governor"]
    source = f"{short}\n\n{section('Engine parts', topics)}"
    counts = {c.title: len(c.quiz) for c in course(source)}
    assert counts["Pumps"] < counts["Engine parts"] == SETTINGS.quiz_questions
    two = course(source, SETTINGS.with_(quiz_questions=2))
    assert max(len(c.quiz) for c in two) == 2


def test_no_what_is_question_about_a_bare_common_word():
    source = ("## Events\n\nThe manual is divided into chapters for each part of the "
              "library. emit is called when an event fires and the emitter runs every "
              "listener. Checks are performed before each listener runs. A listener is a "
              "function that the emitter calls when an event fires. An event emitter is "
              "an object that keeps a list of listeners for each event name.\n")
    extension = course(source)[0].extension
    questions = corpus.questions_of(extension)
    for bare in ("What is the manual?", "What is emit?", "What are checks?", "What is foo?"):
        assert bare not in questions
    assert "What is a listener?" in questions or "What is an event emitter?" in questions


def test_wrong_options_are_of_the_answers_kind():
    source = ("## Calls\n\nThe zs_open function opens a stream for reading. The zs_read "
              "function reads the next block of a stream. The zs_close function closes a "
              "stream and frees its memory. The zs_flush function writes pending output of "
              "a stream. A stream handle is an object that remembers the position in a "
              "stream. The block size sets how much memory each block needs.\n")
    for question in course(source)[0].quiz:
        if "_" in question.correct:
            assert all("_" in option for option in question.options), question.options


def test_a_chapter_whose_only_sentence_leads_into_code_is_summarised_by_it():
    summary = ENGINE.write_chapter(corpus.readme_md(), "Installation", SETTINGS).value.summary
    assert summary == "Install the package with pip and check that the command works."


def test_a_short_question_never_leans_on_a_sentence_the_learner_cannot_see():
    source = ("## Macros\n\nThe preprocessor expands every macro before the compiler reads the "
              "file. Your C compiler should not see them at all. A macro is a name that the "
              "preprocessor replaces with a piece of code before compilation starts. Each "
              "macro keeps its definition until the preprocessor reaches the end of the file.\n")
    for question in course(source)[0].quiz:
        assert "see them at all" not in question.question


def test_pages_of_an_html_manual_are_named_by_their_headings_not_their_file_names():
    chapter = SourcePart("ch02.html", f"# Chapter 2. Reference\n\n{_words(60, 'reference')}")
    pages = [SourcePart(f"ch02s0{n}.html", f"### {title}\n\n{_words(60, title.lower())}")
             for n, title in enumerate(["Menus", "Views", "Searches", "Themes", "Layouts",
                                        "Colors", "Keys", "Logs", "Hints", "Costs", "Tasks",
                                        "Games"], 1)]
    titles = outline(Source([chapter, *pages]).markdown, max_chapters=4)
    assert len(titles) == 4
    assert not [t for t in titles if re.search(r"Ch02s0\d", t)], titles


def test_a_blank_never_cuts_an_inline_code_span():
    source = ("## Errors\n\nThe `node:domain` module is deprecated, so programs handle errors "
              "with an error listener instead. The `--backup` option makes a backup file of "
              "every domain before the error listener runs. A domain is a group of event "
              "emitters that share one error listener. An error listener is a function that "
              "receives every error of the domain.\n")
    for question in course(source)[0].quiz:
        for span in re.findall(r"`[^`]*_____[^`]*`", question.question):
            assert span.strip("`'\"") == "_____", question.question


def test_a_word_inside_a_longer_word_is_never_taken_for_a_definition():
    source = ("## Emitters\n\nCertain objects (called \"emitters\") emit named events that cause "
              "listeners to be called. Listeners run in the order they were added to the "
              "emitter. An emitter keeps a list of listeners for each event name.\n")
    glossary = dict(corpus.key_terms_of(course(source)[0].extension))
    assert not glossary.get("emit", "").startswith("Certain objects"), glossary
