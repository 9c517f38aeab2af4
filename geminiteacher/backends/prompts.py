"""Prompt text, JSON schemas and tolerant answer parsers for the three calls of a course.

Layout, chosen so Gemini's implicit prefix cache serves the repeated document:
a system instruction that is the same for every call of one course, then one user turn whose
first part is the document (byte-identical in every call) and whose second part is the call's
own instruction. Nothing per-call ever goes before the document.

User and document text is joined by concatenation only, never run through `str.format`, so
braces such as `{chapter_title}` and code pass through untouched.

The first line of each instruction (`Task: ...`) and the `Chapter title:` / `Number of
chapters:` lines are stable markers: tests/fakes/gemini_server.py reads them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from geminiteacher.ingest.sources import media_refs, real_sections
from geminiteacher.models import (
    OPTIONS,
    ChapterContent,
    CourseSettings,
    MediaPart,
    QuizQuestion,
    clock,
)

DOCUMENT_OPEN = "<document>"
DOCUMENT_CLOSE = "</document>"

CHAPTER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "The chapter title, exactly as given."},
        "summary": {"type": "string", "description": "A short Markdown summary of the chapter."},
        "explanation": {
            "type": "string",
            "description": "The full teaching text in Markdown, faithful to the document.",
        },
        "extension": {
            "type": "string",
            "description": "Markdown: connections, examples, exercises, further reading.",
        },
    },
    "required": ["title", "summary", "explanation", "extension"],
}
SOURCES_PROPERTY: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "description": "Headings of the document sections this chapter draws on, copied exactly.",
}
QUIZ_ITEM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "question": {"type": "string"},
        "options": {
            "type": "array",
            "minItems": OPTIONS,
            "maxItems": OPTIONS,
            "items": {
                "type": "object",
                "properties": {"text": {"type": "string"}, "correct": {"type": "boolean"}},
                "required": ["text", "correct"],
            },
            "description": "Four options; exactly one has correct: true.",
        },
        "explanation": {"type": "string", "description": "One sentence: why the answer is right."},
        "source": {"type": "string", "description": "The heading of the section it tests."},
    },
    "required": ["question", "options", "explanation", "source"],
}


def chapter_schema(settings: CourseSettings) -> dict[str, Any]:
    """JSON schema of a chapter answer: the four parts, its sources and, when asked, its quiz."""
    properties = {**CHAPTER_SCHEMA["properties"], "sources": SOURCES_PROPERTY}
    required = [*CHAPTER_SCHEMA["required"], "sources"]
    n = settings.quiz_questions
    if n:
        properties["quiz"] = {"type": "array", "items": QUIZ_ITEM, "minItems": n, "maxItems": n}
        required.append("quiz")
    return {"type": "object", "properties": properties, "required": required}


@dataclass(frozen=True)
class Prompt:
    """One model call, network-free: system instruction, the user turn's parts, the schema,
    and the media the model reads natively (sent first, before the document part)."""

    system: str
    parts: tuple[str, ...]
    schema: dict[str, Any] | None = None
    media: tuple[MediaPart, ...] = ()
    urgent: bool = False  # the course waits on it alone (the outline): nothing else may delay it


def _language(settings: CourseSettings) -> str:
    return " ".join((settings.language or "").split()) or "English"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def system_instruction(settings: CourseSettings) -> str:
    """The system instruction: identical for every call of a course (depends on language only)."""
    language = _language(settings)
    return (
        "You are an experienced teacher who turns a learner's own material into a clear, "
        "well-structured course.\n"
        f"The material is the document between {DOCUMENT_OPEN} and {DOCUMENT_CLOSE} in the "
        "user's message. Base every statement on it; where you add context the document does "
        "not contain, say so.\n"
        f"Write all course text, including titles, in {language}, whatever language the "
        "document is in. Keep technical terms, names, code and formulas as they appear in the "
        "document.\n"
        "Use Markdown for formatting. Follow the task given after the document."
    )


def document_part(source: str, media: Sequence[MediaPart] = ()) -> str:
    """The document wrapped in tags: the first part of every call, identical across a course.
    Media read natively are listed at its top by name, so chapters can cite them."""
    if not media:
        return DOCUMENT_OPEN + "\n" + source + "\n" + DOCUMENT_CLOSE
    listed = "\n".join(f"- {_one_line(item.name)} ({_what(item)})" for item in media)
    return (DOCUMENT_OPEN + "\nAttached files (part of the material, given to you before this "
            "text; read each one fully: every page, picture and minute):\n" + listed
            + ("\n\n" + source if source.strip() else "") + "\n" + DOCUMENT_CLOSE)


def _what(item: MediaPart) -> str:
    """`PDF, 3 pages`, `recording, 10:00`, `picture in slides.pptx`: how a file is listed."""
    what = {"pdf": "PDF", "image": "picture", "audio": "recording", "video": "video",
            "youtube": "YouTube video"}.get(item.kind, item.kind)
    if item.kind == "pdf" and item.pages:
        what += f", {item.pages} page{'s' if item.pages != 1 else ''}"
    elif item.seconds:
        what += f", {clock(item.seconds)}"
    if item.within:
        what += f" in {_one_line(item.within)}"
    return what


def outline_schema(settings: CourseSettings) -> dict[str, Any]:
    """JSON schema of the outline answer: {"chapters": [title, ...]}."""
    low = settings.max_chapters if settings.fixed_chapter_count else 1
    return {
        "type": "object",
        "properties": {
            "chapters": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": low,
                "maxItems": settings.max_chapters,
                "description": "Chapter titles in teaching order.",
            }
        },
        "required": ["chapters"],
    }


MATTER_HINT = (
    "Leave out front and back matter: title pages, tables of contents, copyright pages, "
    "licence texts (such as the GNU FDL or GPL), indexes, bibliographies and reference lists, "
    "and changelogs. No chapter teaches them.\n"
)


def outline_instruction(settings: CourseSettings) -> str:
    """The outline call's own instruction."""
    n = settings.max_chapters
    if settings.fixed_chapter_count:
        count = f"Number of chapters: exactly {n}."
    else:
        count = (
            f"Number of chapters: between 1 and {n}. Choose the number by the depth and breadth "
            "of the material: a short or narrow document needs few chapters; never pad."
        )
    return (
        "Task: course outline\n"
        "Plan a course that teaches the whole document above, in a sensible learning order.\n"
        f"{count}\n"
        "Each chapter covers one coherent topic; chapters do not overlap, and together they "
        "cover everything important in the document.\n"
        f"{'' if settings.include_front_back_matter else MATTER_HINT}"
        f"Write each chapter title in {_language(settings)}: short, specific, without "
        "numbering.\n"
        'Answer with JSON of the form {"chapters": ["first title", "second title"]}.'
    )


def chapter_instruction(
    title: str,
    settings: CourseSettings,
    *,
    index: int = 1,
    outline: Sequence[str] = (),
    previous: Sequence[ChapterContent] = (),
    media: Sequence[MediaPart] = (),
) -> str:
    """The chapter call's own instruction; `previous` chapters are listed so it builds on them."""
    title = _one_line(title)
    lines = ["Task: write one chapter", "Chapter title: " + title]
    if outline:
        lines.append(f"This is chapter {index} of {len(outline)}. The course outline:")
        lines += [f"{i}. {_one_line(t)}" for i, t in enumerate(outline, 1)]
        lines.append("Cover only this chapter's topic; the other chapters cover theirs.")
    if previous:
        lines.append(
            "Earlier chapters, already written. Build on them: refer back where useful, "
            "but do not repeat what they explain."
        )
        number = 0
        for chapter in previous:  # numbered by their place in the outline, gaps and all
            number = next((n for n in range(number + 1, len(outline) + 1)
                           if outline[n - 1] == chapter.title), number + 1)
            lines.append(f"- Chapter {number}: {_one_line(chapter.title)}")
            lines.append("  Summary: " + _one_line(chapter.summary))
    n = settings.quiz_questions
    quiz = (
        f"- quiz: exactly {n} multiple-choice question(s) on this chapter's key points; each "
        "has the question, four options of which exactly one is correct (correct: true), a "
        "one-sentence explanation of the answer, and source: the heading of the document "
        "section it tests;\n" if n else ""
    )
    lines.append(
        f"Write the chapter in {_language(settings)} with these parts:\n"
        "- title: the chapter title exactly as given above;\n"
        "- summary: a short paragraph with the chapter's key points;\n"
        "- explanation: the full teaching text in Markdown, faithful to the document, with "
        "its examples, code and tables where they help;\n"
        "- extension: connections to other topics, a worked example or exercises, and "
        "questions for review;\n"
        f"{quiz}"
        "- sources: the headings of the document sections this chapter draws on, copied "
        "exactly as they appear in the document"
        + (("; for an attached file, its name with the pages it draws on (for example "
            "'scan.pdf, pp. 3-5') or, for a recording or video, the time range (for example "
            "'lecture.mp3, 12:30-18:45')") if media else "")
        + ".\n"
        "Answer with JSON with the keys title, summary, explanation, extension, "
        + ("quiz " if n else "") + "and sources."
    )
    text = "\n".join(lines)
    custom = (settings.custom_prompt or "").strip()
    if custom:
        text += "\n\nAdditional instructions from the course author:\n" + custom
    return text


def summary_instruction(chapters: Sequence[ChapterContent], settings: CourseSettings) -> str:
    """The course-summary call's own instruction, listing the chapters written."""
    lines = ["Task: course summary", "The course has these chapters:"]
    for i, chapter in enumerate(chapters, 1):
        lines.append(f"{i}. {_one_line(chapter.title)}")
        if chapter.summary.strip():
            lines.append("   " + _one_line(chapter.summary))
    lines.append(
        f"Write a summary of the whole course in {_language(settings)}, in Markdown: what "
        "the learner will know at the end, how the chapters connect, and the most important "
        "ideas to remember. Answer with the Markdown text only."
    )
    return "\n".join(lines)


def outline_prompt(source: str, settings: CourseSettings,
                   media: Sequence[MediaPart] = ()) -> Prompt:
    return Prompt(
        system_instruction(settings),
        (document_part(source, media), outline_instruction(settings)),
        outline_schema(settings), tuple(media), urgent=True,
    )


def chapter_prompt(
    source: str,
    title: str,
    settings: CourseSettings,
    *,
    index: int = 1,
    outline: Sequence[str] = (),
    previous: Sequence[ChapterContent] = (),
    media: Sequence[MediaPart] = (),
) -> Prompt:
    instruction = chapter_instruction(
        title, settings, index=index, outline=outline, previous=previous, media=media
    )
    return Prompt(
        system_instruction(settings), (document_part(source, media), instruction),
        chapter_schema(settings), tuple(media),
    )


def summary_prompt(
    source: str, chapters: Sequence[ChapterContent], settings: CourseSettings,
    media: Sequence[MediaPart] = (),
) -> Prompt:
    return Prompt(
        system_instruction(settings),
        (document_part(source, media), summary_instruction(chapters, settings)),
        None, tuple(media),
    )


# -- parsing answers -------------------------------------------------------------------------

_FENCE = re.compile(r"```[\w-]*\s*\n(.*?)\n?```", re.S)

_SECTION_NAMES = {
    "summary": (
        "summary", "overview", "key points", "zusammenfassung", "überblick", "résumé", "resume",
        "synthèse", "resumen", "riassunto", "sintesi", "resumo", "samenvatting", "podsumowanie",
        "резюме", "краткое содержание", "итоги", "摘要", "总结", "概要", "小结", "要約", "まとめ",
        "요약", "özet", "tóm tắt", "ringkasan", "सारांश", "ملخص",
    ),
    "explanation": (
        "explanation", "explanations", "details", "content", "lesson", "erklärung",
        "erläuterung", "explication", "explications", "explicación", "spiegazione",
        "explicação", "uitleg", "wyjaśnienie", "объяснение", "пояснение", "解释", "讲解", "详解",
        "说明", "解説", "説明", "설명", "açıklama", "giải thích", "penjelasan", "व्याख्या",
        "شرح",
    ),
    "extension": (
        "extension", "extensions", "further reading", "going further", "beyond the basics",
        "erweiterung", "vertiefung", "approfondissement", "pour aller plus loin", "ampliación",
        "extensión", "approfondimento", "extensão", "aprofundamento", "uitbreiding",
        "rozszerzenie", "расширение", "дополнительно", "扩展", "拓展", "延伸", "延伸阅读", "発展",
        "応用", "확장", "심화", "genişletme", "mở rộng", "pengayaan", "विस्तार", "توسع",
    ),
}
_SECTION_OF = {name: key for key, names in _SECTION_NAMES.items() for name in names}
_HEADING = re.compile(r"^\s*#{1,6}\s+(?P<name>.+?)\s*#*\s*$")
_BOLD = re.compile(
    r"^\s*(?:\*\*|__)(?P<name>[^*_]+?)\s*[:：]?\s*(?:\*\*|__)\s*[:：]?\s*(?P<rest>.*)$"
)
_PLAIN = re.compile(r"^\s*(?P<name>[^:：]{2,40}?)\s*[:：]\s*$")


def _section_key(name: str) -> str | None:
    name = re.sub(r"^(?:[\s\d.)\-–—#*_:]|[一二三四五六七八九十]+[、.．])+", "", name)
    name = name.strip().rstrip(":：").strip().lower()
    return _SECTION_OF.get(name)


def _section_start(line: str) -> tuple[str, str] | None:
    """(section, rest of line) when `line` opens a Summary/Explanation/Extension section."""
    for pattern in (_HEADING, _BOLD, _PLAIN):
        match = pattern.match(line)
        if match:
            key = _section_key(match.group("name"))
            if key:
                rest = match.groupdict().get("rest") or ""
                return key, rest.strip()
    return None


def _same(a: str, b: str) -> bool:
    return _one_line(a).strip("*_ ").casefold() == _one_line(b).casefold()


def parse_chapter_markdown(text: str, title: str) -> ChapterContent:
    """Read a chapter written as Markdown sections; without known headers all is explanation.

    Headers may be `## Summary`, `**Summary**`, `**Summary:** text`, `Summary:` alone on a
    line, numbered, or in one of several languages. A leading `# title` line is dropped;
    the requested `title` always wins. Headers inside code fences are content.
    """
    sections: dict[str, list[str]] = {"summary": [], "explanation": [], "extension": []}
    preamble: list[str] = []
    current: list[str] = preamble
    in_fence = False
    lines = text.strip().splitlines()
    if lines and not _section_start(lines[0]):
        heading = _HEADING.match(lines[0])
        if heading and (lines[0].lstrip().startswith("# ") or _same(heading["name"], title)):
            lines = lines[1:]
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        start = None if in_fence else _section_start(line)
        if start is None:
            current.append(line)
            continue
        current = sections[start[0]]
        if start[1]:
            current.append(start[1])
    body = {key: "\n".join(value).strip() for key, value in sections.items()}
    lead = "\n".join(preamble).strip()
    if lead:
        body["explanation"] = (lead + "\n\n" + body["explanation"]).strip()
    return ChapterContent(title=title, **body)


def _json_candidates(text: str) -> list[str]:
    """The answer itself, any fenced blocks, and the outermost {...} / [...] span."""
    found = [text.strip(), *(m.group(1).strip() for m in _FENCE.finditer(text))]
    for opener, closer in ("{}", "[]"):
        start, end = text.find(opener), text.rfind(closer)
        if 0 <= start < end:
            found.append(text[start : end + 1])
    return found


def _load_json(text: str) -> Any:
    for candidate in _json_candidates(text):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def parse_chapter(text: str, title: str, document: str = "",
                  media: Sequence[MediaPart] = ()) -> ChapterContent:
    """A chapter from a JSON answer (bare or fenced), else from Markdown sections.

    Its quiz keeps only well-formed questions (a missing quiz is no quiz); its sources keep
    only names that are real headings of `document`, and references to the attached `media`
    whose pages or times lie inside them.
    """
    data = _load_json(text)
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    if isinstance(data, dict) and {"summary", "explanation"} & set(data):
        sources = data.get("sources")
        return ChapterContent(
            title=title,
            **{
                key: str(data.get(key) or "").strip()
                for key in ("summary", "explanation", "extension")
            },
            quiz=parse_quiz(data.get("quiz")),
            sources=real_sections(names := sources if isinstance(sources, list) else [],
                                  document) + media_refs(names, media),
        )
    return parse_chapter_markdown(text, title)


def parse_quiz(items: Any) -> list[QuizQuestion]:
    """Questions from a quiz answer; malformed ones (not four distinct options, not exactly
    one correct) are dropped."""
    questions = []
    for item in items if isinstance(items, list) else []:
        question = _question(item) if isinstance(item, dict) else None
        if question is not None:
            questions.append(question)
    return questions


def _question(item: dict[str, Any]) -> QuizQuestion | None:
    options = item.get("options")
    if not isinstance(options, list) or len(options) != OPTIONS:
        return None
    texts = [_one_line(o.get("text", "") if isinstance(o, dict) else o) for o in options]
    correct = [i for i, o in enumerate(options) if isinstance(o, dict) and o.get("correct")]
    answer = item.get("answer")
    if not correct and isinstance(answer, int) and 0 <= answer < OPTIONS:
        correct = [answer]
    elif not correct and isinstance(answer, str):
        correct = [i for i, t in enumerate(texts) if t == _one_line(answer)]
    question = _one_line(item.get("question") or "")
    if len(correct) != 1 or not question or "" in texts or len(set(texts)) < OPTIONS:
        return None
    return QuizQuestion(question, texts, correct[0], _one_line(item.get("explanation") or ""),
                        _one_line(item.get("source") or ""))


def _clean_title(text: str) -> str:
    text = re.sub(r"^(?:chapter|kapitel|chapitre|capítulo|capitolo|第)\s*\d+\s*[章:.：-]?\s*",
                  "", text.strip(), flags=re.I)
    bold = re.match(r"^(?:\*\*|__)(.+?)(?:\*\*|__)", text)
    if bold:
        text = bold.group(1)
    return _one_line(text.strip("*_`'\" ").rstrip(":：").strip())


def _titles_from_json(data: Any) -> list[str] | None:
    if isinstance(data, dict):
        for key in ("chapters", "outline", "titles", "chapter_titles"):
            if key in data:
                return _titles_from_json(data[key])
        return None
    if isinstance(data, list):
        titles = []
        for item in data:
            if isinstance(item, dict):
                item = item.get("title") or item.get("name") or ""
            if isinstance(item, str) and item.strip():
                titles.append(_one_line(item))
        return titles
    return None


_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*+•])\s+(?P<item>\S.*)$")


def parse_outline_text(text: str) -> list[str]:
    """Chapter titles from an outline answer: JSON (bare or fenced), a list, or headings."""
    titles = _titles_from_json(_load_json(text))
    if titles is None:
        lines = [line for line in text.splitlines() if line.strip()]
        items = [m.group("item") for m in map(_LIST_ITEM.match, lines) if m]
        if not items:
            items = [m.group("name") for m in map(_HEADING.match, lines) if m]
        if not items:
            items = [line for line in lines if not line.rstrip().endswith((":", "："))]
        titles = [_clean_title(item) for item in items]
    unique: list[str] = []
    for title in titles:
        if title and title not in unique:
            unique.append(title)
    return unique
