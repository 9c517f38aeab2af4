"""The course as a SCORM 1.2 package (a zip that Moodle and other platforms import).

One SCO per page: an overview (outline and summary), then one page per finished chapter
with its quiz. Each page finds the platform's runtime API (`window.API`, in a parent
frame or the opener), calls `LMSInitialize` when it opens and `LMSFinish` when it closes;
checking a quiz reports the share of right answers (0-100) as `cmi.core.score.raw` and
commits it. A page without a quiz counts as completed once opened.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
import zipfile
from html import escape

from geminiteacher.exports.course import ExportChapter, ExportCourse
from geminiteacher.exports.html_page import LETTERS, STYLE
from geminiteacher.exports.markup import chapter_html, sources_html, to_html
from geminiteacher.models import ChapterContent, QuizQuestion
from geminiteacher.text.titles import numbered

SUFFIX = ".scorm.zip"
MIME = "application/zip"
MANIFEST = "imsmanifest.xml"
SCRIPT = "scorm.js"
CSS = "style.css"
OVERVIEW = "index.html"
CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"

QUIZ_STYLE = """
fieldset.question { border: 1px solid #ddd; margin: 1rem 0; padding: .5rem 1rem; }
fieldset.question label { display: block; margin: .25rem 0; }
fieldset.right { border-color: #2e7d32; } fieldset.wrong { border-color: #c62828; }
#score { font-weight: bold; }
"""

RUNTIME = """(function () {
  "use strict";
  function find(win) {
    for (var hops = 0; win && hops < 500; hops++) {
      if (win.API) { return win.API; }
      if (!win.parent || win.parent === win) { break; }
      win = win.parent;
    }
    return null;
  }
  var api = find(window) || (window.opener ? find(window.opener) : null);
  var started = new Date();
  var open = false;
  function call(name, a, b) {
    if (!api) { return ""; }
    return b === undefined ? api[name](a) : api[name](a, b);
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function finish() {
    if (!open) { return; }
    open = false;
    var s = Math.round((new Date() - started) / 1000);
    call("LMSSetValue", "cmi.core.session_time",
         pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60));
    call("LMSFinish", "");
  }
  function check(answers, template) {
    var right = 0;
    answers.forEach(function (answer, i) {
      var box = document.getElementById("q" + (i + 1));
      var chosen = box.querySelector("input:checked");
      var ok = chosen !== null && Number(chosen.value) === answer;
      if (ok) { right++; }
      box.className = "question " + (ok ? "right" : "wrong");
      box.querySelector(".feedback").hidden = false;
    });
    var score = Math.round(100 * right / answers.length);
    document.getElementById("score").textContent = template
      .replace("{right}", right).replace("{total}", answers.length).replace("{score}", score);
    call("LMSSetValue", "cmi.core.score.min", "0");
    call("LMSSetValue", "cmi.core.score.max", "100");
    call("LMSSetValue", "cmi.core.score.raw", String(score));
    call("LMSSetValue", "cmi.core.lesson_status", "completed");
    call("LMSCommit", "");
  }
  window.addEventListener("load", function () {
    open = call("LMSInitialize", "") === "true" || api === null;
    var data = document.getElementById("quiz-data");
    if (!data) {
      call("LMSSetValue", "cmi.core.lesson_status", "completed");
      call("LMSCommit", "");
      return;
    }
    if (call("LMSGetValue", "cmi.core.lesson_status") === "not attempted") {
      call("LMSSetValue", "cmi.core.lesson_status", "incomplete");
    }
    var quiz = JSON.parse(data.textContent);
    document.getElementById("check").addEventListener("click", function () {
      check(quiz.answers, quiz.score);
    });
  });
  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);
}());
"""


def page(title: str, body: str, lang: str) -> str:
    """One SCO page: the shared style and runtime script around `body`."""
    return (f"<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><link rel=\"stylesheet\" href=\"{CSS}\">"
            f"<script src=\"{SCRIPT}\"></script></head>\n<body>\n{body}\n</body></html>\n")


def quiz_form(quiz: list[QuizQuestion], words: dict[str, str]) -> str:
    """The quiz as radio buttons, a check button, the score line and the answers as data."""
    boxes = []
    for n, question in enumerate(quiz, 1):
        options = "".join(
            f"<label><input type=\"radio\" name=\"q{n}\" value=\"{i}\"> {LETTERS[i]}) "
            f"{escape(option)}</label>" for i, option in enumerate(question.options))
        feedback = f"{LETTERS[question.answer]}) {escape(question.correct)}"
        if question.explanation:
            feedback += f" — {escape(question.explanation)}"
        boxes.append(f"<fieldset class=\"question\" id=\"q{n}\"><legend>{n}. "
                     f"{escape(question.question)}</legend>{options}"
                     f"<p class=\"feedback\" hidden>{feedback}</p></fieldset>")
    data = json.dumps({"answers": [q.answer for q in quiz], "score": words["score"]},
                      ensure_ascii=False).replace("</", "<\\/")
    return (f"<h2>{escape(words['quiz'])}</h2>\n<form class=\"quiz\" onsubmit=\"return false\">"
            + "".join(boxes) + f"<button type=\"button\" id=\"check\">"
            f"{escape(words['check_answers'])}</button></form>"
            "<p id=\"score\" role=\"status\"></p>"
            f"<script type=\"application/json\" id=\"quiz-data\">{data}</script>")


def chapter_page(course: ExportCourse, chapter: ExportChapter, content: ChapterContent) -> str:
    """A chapter's page: its parts, its quiz, its sources."""
    title = numbered(chapter.index, chapter.title)
    words = course.words
    quiz = quiz_form(content.quiz, words) if content.quiz else ""
    return page(title, f"<h1>{escape(title)}</h1>\n{chapter_html(content, 2, words)}\n{quiz}\n"
                f"{sources_html(content, 2, words)}", course.lang)


def overview_page(course: ExportCourse) -> str:
    """The first page: title, note, the chapters and the course summary."""
    items = "".join(f"<li>{escape(numbered(c.index, c.title))}</li>" for c in course.chapters
                    if c.content)
    note = f"<p class=\"note\">{escape(course.note)}</p>" if course.note else ""
    words = course.words
    summary = (f"<h2>{escape(words['course_summary'])}</h2>\n{to_html(course.summary, 2)}"
               if course.summary else "")
    return page(course.title, f"<h1>{escape(course.title)}</h1>\n{note}"
                f"<h2>{escape(words['chapters'])}</h2><ol class=\"chapters\">{items}</ol>\n"
                f"{summary}", course.lang)


def manifest(course: ExportCourse, pages: list[tuple[str, str]]) -> bytes:
    """imsmanifest.xml: one organization, one item and one SCO resource per page.

    Platforms read the `adlcp:` prefix literally, so it is registered by that name.
    """
    ET.register_namespace("", CP)
    ET.register_namespace("adlcp", ADLCP)
    root = ET.Element(f"{{{CP}}}manifest", identifier=f"geminiteacher-{course.file_stem}",
                      version="1.0")
    metadata = ET.SubElement(root, f"{{{CP}}}metadata")
    ET.SubElement(metadata, f"{{{CP}}}schema").text = "ADL SCORM"
    ET.SubElement(metadata, f"{{{CP}}}schemaversion").text = "1.2"
    organizations = ET.SubElement(root, f"{{{CP}}}organizations", default="ORG-1")
    organization = ET.SubElement(organizations, f"{{{CP}}}organization", identifier="ORG-1")
    ET.SubElement(organization, f"{{{CP}}}title").text = course.title
    resources = ET.SubElement(root, f"{{{CP}}}resources")
    for n, (href, title) in enumerate(pages):
        item = ET.SubElement(organization, f"{{{CP}}}item", identifier=f"ITEM-{n}",
                             identifierref=f"RES-{n}")
        ET.SubElement(item, f"{{{CP}}}title").text = title
        resource = ET.SubElement(resources, f"{{{CP}}}resource", identifier=f"RES-{n}",
                                 type="webcontent", href=href,
                                 attrib={f"{{{ADLCP}}}scormtype": "sco"})
        for name in (href, SCRIPT, CSS):
            ET.SubElement(resource, f"{{{CP}}}file", href=name)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def render(course: ExportCourse) -> bytes:
    """The package: manifest, overview, one page per finished chapter, script and style."""
    files = {OVERVIEW: overview_page(course)}
    pages = [(OVERVIEW, "Overview")]
    for chapter in course.chapters:
        if chapter.content is not None:
            name = f"chapter_{chapter.index:02d}.html"
            files[name] = chapter_page(course, chapter, chapter.content)
            pages.append((name, numbered(chapter.index, chapter.title)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, manifest(course, pages))
        archive.writestr(SCRIPT, RUNTIME)
        archive.writestr(CSS, STYLE + QUIZ_STYLE)
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()
