"""The offline engine as a whole: course summary, determinism, threads, speed, token counts."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

from geminiteacher.backends.offline import OfflineEngine
from geminiteacher.models import CourseSettings

SETTINGS = CourseSettings()


def _course(source: str, settings: CourseSettings = SETTINGS) -> tuple[list, str]:
    engine = OfflineEngine()
    titles = engine.plan_outline(source, settings).value
    chapters = [
        engine.write_chapter(source, title, settings, index=i, outline=titles).value
        for i, title in enumerate(titles, 1)
    ]
    return chapters, engine.write_summary(source, chapters, settings).value


def _document(words: int, seed: int = 7) -> str:
    """A book-like Markdown document: chapters, sections, paragraphs, lists and code."""
    rng = random.Random(seed)
    vocabulary = [
        "".join(rng.choice("bcdfgklmnprstv") + rng.choice("aeiou") for _ in range(3))
        for _ in range(2500)
    ]
    glue = [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "that",
        "for",
        "with",
        "as",
        "on",
        "by",
        "are",
        "this",
    ]
    parts, count, chapter = [], 0, 0
    while count < words:
        chapter += 1
        topic = rng.sample(vocabulary, 30)
        parts.append(f"# Chapter {chapter} {rng.choice(topic).title()}")
        for section in range(1, 7):
            parts.append(f"## Section {chapter}.{section} {rng.choice(topic).title()}")
            for _ in range(5):
                sentences = []
                for _ in range(rng.randint(3, 6)):
                    n = rng.randint(8, 20)
                    pool = [topic, glue, vocabulary]
                    words_ = [rng.choice(rng.choices(pool, (4, 4, 2))[0]) for _ in range(n)]
                    sentences.append(" ".join(words_).capitalize() + ".")
                    count += n
                parts.append(" ".join(sentences))
            parts.append("```\nfor item in items:\n    print({item})\n```")
            parts.append(
                "\n".join(f"- {rng.choice(topic)} {rng.choice(vocabulary)}" for _ in range(3))
            )
    return "\n\n".join(parts)


SOURCE = _document(3000)


def test_course_summary_lists_every_chapter_and_says_it_is_extractive():
    chapters, summary = _course(SOURCE)
    for number, chapter in enumerate(chapters, 1):
        assert f"{number}. **{chapter.title}**" in summary
    assert "offline extractive engine" in summary
    assert "no AI model wrote" in summary


def test_two_runs_give_identical_courses():
    assert _course(SOURCE) == _course(SOURCE)


def test_parallel_chapter_calls_match_sequential_ones():
    engine = OfflineEngine()
    source = _document(2000, seed=11)
    titles = engine.plan_outline(source, SETTINGS).value

    def write(item: tuple[int, str]):
        index, title = item
        return engine.write_chapter(source, title, SETTINGS, index=index, outline=titles).value

    items = list(enumerate(titles, 1))
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(write, items))
    assert parallel == [write(item) for item in items]


def test_a_two_hundred_page_document_is_turned_into_a_course_quickly():
    source = _document(100_000, seed=3)
    start = time.perf_counter()
    chapters, summary = _course(source)
    elapsed = time.perf_counter() - start
    print(f"200-page offline course: {len(chapters)} chapters in {elapsed:.2f} s")
    assert chapters and summary
    assert elapsed < 15, f"the offline engine took {elapsed:.1f} s (target 5 s)"


def test_token_estimate_counts_cjk_characters_one_each():
    engine = OfflineEngine()
    assert engine.count_tokens("abcd" * 100) == 100
    assert engine.count_tokens("光合作用") == 4
    assert engine.context_window() >= 10_000_000
