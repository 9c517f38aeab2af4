"""Text handling under the offline engine: sentences, blocks and titles."""

from __future__ import annotations

from geminiteacher.backends.extractive.blocks import parse_blocks
from geminiteacher.backends.extractive.text import clean_title, split_sentences
from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.models import CourseSettings


def test_sentence_split_minds_abbreviations_initials_and_decimals():
    text = (
        "Dr. Smith met Mr. Jones at 3.5 km from the U.S. Army base. They talked, e.g. about "
        "cells, for an hour. Then they left! Did they return? Yes."
    )
    assert split_sentences(text) == [
        "Dr. Smith met Mr. Jones at 3.5 km from the U.S. Army base.",
        "They talked, e.g. about cells, for an hour.",
        "Then they left!",
        "Did they return?",
        "Yes.",
    ]


def test_cjk_text_is_split_at_full_width_punctuation():
    text = "光合作用是植物利用光能的过程。叶绿素吸收光能！为什么叶子是绿色的？因为叶绿素反射绿光。"
    assert split_sentences(text) == [
        "光合作用是植物利用光能的过程。",
        "叶绿素吸收光能！",
        "为什么叶子是绿色的？",
        "因为叶绿素反射绿光。",
    ]


def test_code_blocks_and_tables_are_kept_whole_and_yield_no_sentences():
    markdown = (
        "Intro sentence here. Another one.\n\n"
        "```\nx = 1. y = 2.\n\nz = 3.\n```\n\n"
        "| a. b | c. d |\n|---|---|\n| e. f | g. h |"
    )
    kinds = [(b.kind, len(b.sentences)) for b in parse_blocks(markdown)]
    assert kinds == [("paragraph", 2), ("code", 0), ("table", 0)]


def test_cjk_document_gets_chapters_summaries_and_terms():
    paragraph = (
        "光合作用是植物利用光能把二氧化碳和水转化为葡萄糖的过程。叶绿素是吸收光能的绿色色素。"
        "光合作用发生在叶绿体中。"
    )
    source = f"## 光合作用\n\n{paragraph}\n\n## 细胞呼吸\n\n细胞呼吸是分解葡萄糖释放能量的过程。"
    engine = OfflineEngine()
    settings = CourseSettings(language="中文")
    assert engine.plan_outline(source, settings).value == ["光合作用", "细胞呼吸"]
    chapter = engine.write_chapter(source, "光合作用", settings).value
    assert chapter.summary.startswith("光合作用是植物")
    assert "**光合作用**" in chapter.extension and "关键术语" in chapter.extension


def test_titles_lose_markup_and_trailing_punctuation_and_stay_short():
    assert (
        clean_title("**Cell** `membranes`: [overview](http://x.test).")
        == "Cell membranes: overview"
    )
    assert clean_title("lecture_notes-week1.pdf") == "Lecture Notes Week1"
    assert len(clean_title("word " * 40)) <= 80
