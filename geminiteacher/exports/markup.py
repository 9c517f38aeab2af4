"""Chapter Markdown as tokens and HTML, the same way for every export.

CommonMark with tables. Raw HTML in the text is shown as text, images become plain links
(an export never fetches anything from the network when opened), and headings inside a
chapter move down `shift` levels so they sit below the chapter's own headings.
"""

from __future__ import annotations

from html import escape

from markdown_it import MarkdownIt
from markdown_it.token import Token

from geminiteacher.exports.words import PARTS
from geminiteacher.models import ChapterContent

_MD = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


def parse(text: str, shift: int = 0) -> list[Token]:
    """The block tokens of `text`, headings `shift` levels lower (at most h6)."""
    tokens = _MD.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + shift)}"
    return tokens


def to_html(text: str, shift: int = 0) -> str:
    """`text` rendered as an HTML fragment."""
    return _MD.renderer.render(parse(text, shift), _MD.options, {})


def chapter_html(chapter: ChapterContent, level: int, words: dict[str, str]) -> str:
    """The chapter's parts as HTML under `<h{level}>` part headings (no title, no quiz)."""
    blocks = []
    for part in PARTS:
        text = getattr(chapter, part).strip()
        if text:
            blocks.append(f"<h{level}>{escape(words[part])}</h{level}>\n{to_html(text, level)}")
    return "\n".join(blocks)


def sources_html(chapter: ChapterContent, level: int, words: dict[str, str]) -> str:
    """The chapter's sources as a list under a heading, or "" without any; a YouTube source
    links to the video at its start time."""
    if not chapter.sources:
        return ""
    items = "".join(f"<li><a href=\"{escape(link)}\">{escape(ref.label())}</a></li>"
                    if (link := ref.link()) else f"<li>{escape(ref.label())}</li>"
                    for ref in chapter.sources)
    return (f"<h{level}>{escape(words['sources'])}</h{level}>\n"
            f"<ul class=\"sources\">{items}</ul>")
