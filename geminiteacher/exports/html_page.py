"""The course as one self-contained HTML file for reading and printing.

Outline, chapters, quizzes (each answer revealed on demand with `<details>`), sources and
the course summary; the style is inline and nothing is loaded from elsewhere.
"""

from __future__ import annotations

from html import escape

from geminiteacher.exports.course import ExportCourse
from geminiteacher.exports.markup import chapter_html, sources_html, to_html
from geminiteacher.models import QuizQuestion
from geminiteacher.text.titles import numbered

SUFFIX = ".html"
MIME = "text/html"
LETTERS = "ABCD"

STYLE = """
body { font: 16px/1.55 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; color: #1d1d1f; }
h1, h2, h3 { line-height: 1.25; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; }
pre { background: #f5f5f7; padding: .75rem; overflow-x: auto; }
code { font-family: ui-monospace, Consolas, monospace; font-size: .92em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: .3rem .6rem; }
.note { color: #555; font-style: italic; } .pending { color: #888; }
ol.options, ol.chapters { list-style: none; padding-left: 1rem; }
details { margin: .3rem 0 1rem 1rem; } summary { cursor: pointer; color: #0a58ca; }
@media print { details { display: block; } details > * { display: block; }
               section.chapter { break-before: page; } }
"""


def question_html(question: QuizQuestion, words: dict[str, str]) -> str:
    """A question, its lettered options and the answer behind a "Show answer" toggle."""
    options = "".join(f"<li>{LETTERS[i]}) {escape(option)}</li>"
                      for i, option in enumerate(question.options))
    answer = f"<p><strong>{LETTERS[question.answer]}) {escape(question.correct)}</strong>"
    if question.explanation:
        answer += f" — {escape(question.explanation)}"
    if question.source:
        answer += (f" <span class=\"note\">({escape(words['source'])}: "
                   f"{escape(question.source)})</span>")
    return (f"<li><p>{escape(question.question)}</p><ol class=\"options\">{options}</ol>"
            f"<details><summary>{escape(words['show_answer'])}</summary>{answer}</p>"
            "</details></li>")


def render(course: ExportCourse) -> bytes:
    """The whole course as one HTML document."""
    title = escape(course.title)
    words = course.words
    outline = []
    body = []
    for chapter in course.chapters:
        label = escape(numbered(chapter.index, chapter.title))
        if chapter.content is None:
            outline.append(f"<li class=\"pending\">{label} ({escape(chapter.status)})</li>")
            continue
        anchor = f"chapter-{chapter.index}"
        outline.append(f"<li><a href=\"#{anchor}\">{label}</a></li>")
        quiz = ""
        if chapter.content.quiz:
            items = "".join(question_html(q, words) for q in chapter.content.quiz)
            quiz = f"<h3>{escape(words['quiz'])}</h3>\n<ol class=\"quiz\">{items}</ol>"
        body.append(f"<section class=\"chapter\" id=\"{anchor}\"><h2>{label}</h2>\n"
                    f"{chapter_html(chapter.content, 3, words)}\n{quiz}\n"
                    f"{sources_html(chapter.content, 3, words)}</section>")
    if course.summary:
        body.append(f"<section id=\"summary\"><h2>{escape(words['course_summary'])}</h2>\n"
                    f"{to_html(course.summary, 2)}</section>")
    note = f"<p class=\"note\">{escape(course.note)}</p>" if course.note else ""
    page = (
        f"<!DOCTYPE html>\n<html lang=\"{course.lang}\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{title}</title><style>{STYLE}</style></head>\n<body>\n<h1>{title}</h1>\n"
        f"{note}<nav><h2>{escape(words['outline'])}</h2>"
        f"<ol class=\"chapters\">{''.join(outline)}</ol></nav>\n"
        + "\n".join(body) + "\n</body></html>\n"
    )
    return page.encode("utf-8")
