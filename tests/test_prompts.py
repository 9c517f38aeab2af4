"""Prompt layout, wording rules and the tolerant answer parsers (no network)."""

from __future__ import annotations

from geminiteacher.backends.prompts import (
    DOCUMENT_OPEN,
    chapter_prompt,
    chapter_schema,
    outline_prompt,
    parse_chapter,
    parse_chapter_markdown,
    parse_outline_text,
    parse_quiz,
    summary_prompt,
)
from geminiteacher.models import ChapterContent, CourseSettings

SOURCE = "# Loops\n\nUse `for x in {items}:` and f\"{chapter_title}\" freely.\n"
SETTINGS = CourseSettings(max_chapters=4)
EARLIER = [ChapterContent("Basics", "Variables hold {values}.", "...", "...")]


def all_prompts(settings: CourseSettings = SETTINGS):
    return [
        outline_prompt(SOURCE, settings),
        chapter_prompt(SOURCE, "Loops", settings, index=2, outline=["Basics", "Loops"]),
        chapter_prompt(SOURCE, "Other", settings, previous=EARLIER),
        summary_prompt(SOURCE, EARLIER, settings),
    ]


def test_system_instruction_is_identical_for_every_call_of_a_course():
    assert len({p.system for p in all_prompts()}) == 1


def test_document_is_the_first_part_and_identical_in_every_call():
    firsts = {p.parts[0] for p in all_prompts()}
    assert len(firsts) == 1
    assert firsts.pop().startswith(DOCUMENT_OPEN + "\n" + SOURCE)


def test_each_call_is_document_then_its_own_instruction():
    assert all(len(p.parts) == 2 for p in all_prompts())
    assert all(SOURCE not in p.parts[1] for p in all_prompts())


def test_language_setting_reaches_system_instruction_and_instructions():
    german = SETTINGS.with_(language="Deutsch")
    for prompt in all_prompts(german):
        assert "Deutsch" in prompt.system
        assert "Deutsch" in prompt.parts[1]
        assert "English" not in prompt.system


def test_english_is_the_default_language():
    assert "in English" in outline_prompt(SOURCE, CourseSettings()).system


def test_fixed_chapter_count_asks_for_exactly_n():
    prompt = outline_prompt(SOURCE, SETTINGS.with_(fixed_chapter_count=True))
    assert "Number of chapters: exactly 4." in prompt.parts[1]
    chapters = prompt.schema["properties"]["chapters"]
    assert chapters["minItems"] == chapters["maxItems"] == 4


def test_free_chapter_count_asks_for_one_to_n_by_depth():
    prompt = outline_prompt(SOURCE, SETTINGS)
    assert "Number of chapters: between 1 and 4." in prompt.parts[1]
    assert "depth" in prompt.parts[1]
    chapters = prompt.schema["properties"]["chapters"]
    assert (chapters["minItems"], chapters["maxItems"]) == (1, 4)


def test_custom_prompt_is_appended_to_chapter_instructions_only():
    custom = SETTINGS.with_(custom_prompt="Add a quiz about {topic}.")
    outline, chapter, _, summary = all_prompts(custom)
    assert chapter.parts[1].endswith("Add a quiz about {topic}.")
    assert "quiz" not in outline.parts[1] and "quiz" not in summary.parts[1]
    assert "quiz" not in chapter.system


def test_chapter_instruction_names_its_title_and_asks_for_the_schema():
    prompt = chapter_prompt(SOURCE, "Loops  and\nbranches", SETTINGS)
    assert "Chapter title: Loops and branches" in prompt.parts[1].splitlines()
    assert prompt.schema == chapter_schema(SETTINGS)


def test_the_chapter_schema_asks_for_the_set_number_of_questions_and_the_sources():
    quiz = chapter_schema(SETTINGS.with_(quiz_questions=7))["properties"]["quiz"]
    assert quiz["minItems"] == quiz["maxItems"] == 7
    assert quiz["items"]["properties"]["options"]["maxItems"] == 4
    without = chapter_schema(SETTINGS.with_(quiz_questions=0))
    assert "quiz" not in without["properties"] and "sources" in without["required"]
    assert "quiz" not in chapter_prompt(SOURCE, "L", SETTINGS.with_(quiz_questions=0)).parts[1]


def test_cascade_lists_earlier_chapters_titles_and_summaries():
    instruction = chapter_prompt(SOURCE, "Loops", SETTINGS, previous=EARLIER).parts[1]
    assert "Chapter 1: Basics" in instruction
    assert "Variables hold {values}." in instruction
    assert "do not repeat" in instruction


def test_summary_instruction_lists_the_chapters_and_has_no_schema():
    prompt = summary_prompt(SOURCE, EARLIER, SETTINGS)
    assert "1. Basics" in prompt.parts[1]
    assert prompt.schema is None


def test_braces_in_document_title_and_custom_prompt_pass_through():
    settings = SETTINGS.with_(custom_prompt="Keep {chapter_title} and {0} as is.")
    prompt = chapter_prompt(SOURCE, "The {chapter_title} trick", settings, previous=EARLIER)
    text = "\n".join(prompt.parts)
    for piece in ("{items}", 'f"{chapter_title}"', "The {chapter_title} trick", "{0}", "{values}"):
        assert piece in text


# -- parsers -----------------------------------------------------------------------------------


def test_markdown_chapter_with_level_two_headers_splits_into_parts():
    text = "# Loops\n\n## Summary\nShort.\n\n## Explanation\nLong {x}.\n\n## Extension\nMore."
    chapter = parse_chapter_markdown(text, "Loops")
    assert (chapter.summary, chapter.explanation, chapter.extension) == (
        "Short.", "Long {x}.", "More."
    )


def test_markdown_chapter_with_bold_headers_and_inline_text():
    text = "**Summary:** Short.\n\n**Explanation**\nLong.\n\n**Extension**: More."
    chapter = parse_chapter_markdown(text, "T")
    assert (chapter.summary, chapter.explanation, chapter.extension) == ("Short.", "Long.", "More.")


def test_markdown_chapter_with_localized_numbered_headers():
    text = "## 1. Zusammenfassung\nKurz.\n## 2. Erklärung\nLang.\n## 3. Erweiterung\nMehr."
    chapter = parse_chapter_markdown(text, "Schleifen")
    assert (chapter.summary, chapter.explanation, chapter.extension) == ("Kurz.", "Lang.", "Mehr.")


def test_markdown_chapter_with_chinese_headers():
    text = "## 摘要\n简短。\n## 解释\n详细。\n## 扩展\n更多。"
    chapter = parse_chapter_markdown(text, "循环")
    parts = (chapter.summary, chapter.explanation, chapter.extension)
    assert parts == ("简短。", "详细。", "更多。")


def test_markdown_chapter_without_headers_is_all_explanation():
    chapter = parse_chapter_markdown("Just prose about {loops}.\n\nAnd more.", "Loops")
    assert chapter.title == "Loops"
    assert chapter.explanation == "Just prose about {loops}.\n\nAnd more."
    assert chapter.summary == chapter.extension == ""


def test_markdown_chapter_ignores_headers_inside_code_fences():
    text = "## Explanation\n```md\n## Summary\nnot a header\n```\n## Summary\nReal."
    chapter = parse_chapter_markdown(text, "T")
    assert "## Summary\nnot a header" in chapter.explanation
    assert chapter.summary == "Real."


def test_chapter_title_from_the_request_wins_over_the_answer():
    chapter = parse_chapter_markdown("# Something else\n## Summary\nS.", "Requested")
    assert chapter.title == "Requested"
    assert chapter.explanation == ""


def test_chapter_json_answer_bare_or_fenced_is_read():
    body = '{"title": "x", "summary": "S {a}", "explanation": "E", "extension": "X"}'
    for text in (body, f"Here you go:\n```json\n{body}\n```"):
        chapter = parse_chapter(text, "T")
        assert (chapter.title, chapter.summary, chapter.explanation) == ("T", "S {a}", "E")


def option_set(correct: set[int], texts=("a", "b", "c", "d")) -> list[dict]:
    return [{"text": t, "correct": i in correct} for i, t in enumerate(texts)]


def test_a_quiz_keeps_only_questions_with_four_distinct_options_and_one_correct():
    good = {"question": "Q?", "options": option_set({2}), "explanation": "E.", "source": "Loops"}
    quiz = parse_quiz([
        good,
        {**good, "options": option_set(set())},
        {**good, "options": option_set({0, 1})},
        {**good, "options": option_set({0})[:3]},
        {**good, "options": option_set({0}, ("a", "a", "c", "d"))},
        {**good, "question": " "},
        "not a question",
    ])
    assert [(q.question, q.answer, q.correct, q.source) for q in quiz] == [("Q?", 2, "c", "Loops")]


def test_a_quiz_answer_may_name_the_correct_option_by_index_or_text():
    base = {"question": "Q?", "options": ["a", "b", "c", "d"]}
    assert [q.answer for q in parse_quiz([{**base, "answer": 3}, {**base, "answer": "b"}])] == \
        [3, 1]


def test_a_chapter_answer_without_a_quiz_has_none_and_keeps_only_real_headings_as_sources():
    body = ('{"title": "x", "summary": "S", "explanation": "E", "extension": "X", '
            '"sources": ["## loops", "2.3 Loops", "Imagined section"]}')
    chapter = parse_chapter(body, "T", SOURCE + "\n## 2.4 Branches\n\n```\n# Fake\n```\n")
    assert chapter.quiz == [] and [s.heading for s in chapter.sources] == ["Loops"]
    assert parse_chapter(body.replace("## loops", "Fake"), "T", "```\n# Fake\n```").sources == []


def test_chapter_markdown_answer_goes_through_the_markdown_parser():
    chapter = parse_chapter("## Summary\nS.\n## Explanation\nE.", "T")
    assert (chapter.summary, chapter.explanation) == ("S.", "E.")


def test_outline_from_numbered_and_bulleted_lines():
    text = "Here is the outline:\n1. Basics\n2) **Loops**: repeating work\n- Functions\n* Basics"
    assert parse_outline_text(text) == ["Basics", "Loops", "Functions"]


def test_outline_drops_chapter_prefixes():
    assert parse_outline_text("Chapter 1: Basics\nChapter 2: Loops") == ["Basics", "Loops"]


def test_outline_from_json_in_fences_or_bare():
    fenced = 'Sure!\n```json\n{"chapters": ["Basics", "Loops {x}"]}\n```'
    assert parse_outline_text(fenced) == ["Basics", "Loops {x}"]
    assert parse_outline_text('[{"title": "A"}, {"title": "B"}]') == ["A", "B"]


def test_outline_from_markdown_headings():
    assert parse_outline_text("## Basics\ntext\n## Loops\ntext") == ["Basics", "Loops"]


def test_empty_json_outline_gives_no_titles():
    assert parse_outline_text('{"chapters": []}') == []
