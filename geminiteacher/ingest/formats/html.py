"""HTML → Markdown with a small BeautifulSoup walker: structure kept, scripts and chrome dropped."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

from bs4 import BeautifulSoup, NavigableString, Tag, XMLParsedAsHTMLWarning
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from geminiteacher.ingest.budget import MAX_DEPTH, Budget, span
from geminiteacher.ingest.formats import markdown as md
from geminiteacher.ingest.formats.pictures import Pictures

# XHTML (EPUB chapters) is read with the lenient HTML parser on purpose: broken books still open.
warnings.filterwarnings("ignore", category=XMLParsedAsHTMLWarning)

DROP = frozenset({
    "script", "style", "nav", "noscript", "template", "head", "svg", "math", "iframe", "object",
    "embed", "canvas", "button", "select", "option", "input", "textarea"
})
BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "body", "center", "details", "dd", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
    "h4", "h5", "h6", "header", "hgroup", "hr", "html", "li", "main", "ol", "p", "pre",
    "section", "summary", "table", "ul"
})
# Parts of a table that, met inside inline content, still end a line like a block does.
_CELLS = frozenset({"caption", "td", "th", "tr"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CODE = frozenset({"code", "kbd", "samp", "tt", "var"})
_STRONG = frozenset({"strong", "b"})
_EMPHASIS = frozenset({"em", "i", "cite"})
_SKIPPED = (Comment, Declaration, Doctype, ProcessingInstruction)
_WHITESPACE = re.compile(r"\s+")
_NAV_CLASSES = ("nav-panel", "navheader", "navfooter", "navigation", "breadcrumb", "breadcrumbs")
_NAV_RELS = ("next", "prev", "previous", "up")
_NAV_TEXT = 300  # a navigation bar is short; a paragraph that links onwards is not one
_LIST_START = re.compile(r"^(?:- |\d+\. )")
_LANGUAGE = re.compile(r"^(?:language|lang)-(\S+)$")


def to_markdown(markup: str | bytes, budget: Budget, fallback_title: str | None = None, *,
                pictures: Pictures | None = None,
                packaged: Callable[[str], bytes | None] | None = None) -> str:
    """Convert an HTML or XHTML document (text or bytes) to Markdown.

    When the result does not open with a heading, `fallback_title` (or, if the page has
    no heading at all, its `<title>`) is put on top as `# title`. With `pictures`, embedded
    pictures (`data:` URIs, and files `packaged(src)` finds inside a book) are kept there and
    marked in place; a remote `<img>` is never fetched and stays its alt text. Tables and
    nested quotes and lists draw on `budget`; a page nested deeper than MAX_DEPTH is read as
    plain paragraphs.
    """
    soup = BeautifulSoup(markup, "lxml")
    title = fallback_title
    if title is None and soup.title and not soup.find(list(_HEADINGS)):
        title = soup.title.get_text()
    body = soup.body or soup
    _decompose(body.find_all(DROP) + body.find_all(role=("navigation", "search")))
    # the depth is checked before anything walks up from every link or table
    if _deeper_than(body, MAX_DEPTH):  # absurdly deep nesting: keep the text, lose the structure
        blocks = [md.prose(md.inline(text)) for text in body.stripped_strings]
    else:
        _decompose(_navigation(body))
        blocks = _Walker(budget, _outer_tables(body), pictures, packaged).blocks(body)
    text = md.join_blocks(blocks)
    if title and md.inline(title) and not text.startswith("#"):
        text = md.join_blocks([md.heading(1, title), text])
    return text


def _decompose(tags: list[Tag]) -> None:
    """Remove `tags` from the tree; one inside another already removed is skipped (removing
    it again would walk its subtree once per enclosing tag)."""
    for tag in tags:
        if not tag.decomposed:
            tag.decompose()


def _navigation(body: Tag) -> list[Tag]:
    """Navigation bars that are not marked as such: blocks classed as navigation (DocBook's
    navheader, Texinfo's nav-panel) and the short blocks around next/previous/up links."""
    found = list(body.find_all(class_=_NAV_CLASSES))
    short: dict[int, bool] = {}  # a block's text is measured once, however many links it has
    for link in body.find_all("a", rel=_NAV_RELS):
        block = link.find_parent(("div", "p", "td", "header", "footer"))
        if block is None or id(block) in short:
            continue
        short[id(block)] = len(block.get_text(" ", strip=True)) <= _NAV_TEXT
        if short[id(block)]:
            found.append(block)
    return found


def _deeper_than(body: Tag, limit: int) -> bool:
    """Whether elements nest more than `limit` deep below `body` (without recursion)."""
    stack = [(body, 0)]
    while stack:
        tag, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in tag.children if isinstance(child, Tag))
    return False


def _outer_tables(body: Tag) -> set[int]:
    """The ids of tables that hold another table (layout tables), found in one pass: each
    table marks its enclosing tables, stopping at one already marked."""
    outer: set[int] = set()
    for table in body.find_all("table"):
        parent = table.find_parent("table")
        while parent is not None and id(parent) not in outer:
            outer.add(id(parent))
            parent = parent.find_parent("table")
    return outer


class _Walker:
    """Turns a subtree into Markdown blocks; inline runs are gathered into paragraphs."""

    def __init__(self, budget: Budget, outer: set[int], pictures: Pictures | None,
                 packaged: Callable[[str], bytes | None] | None) -> None:
        self.budget = budget
        self.outer = outer  # tables that hold tables
        self.pictures = pictures
        self.packaged = packaged

    def blocks(self, node: Tag) -> list[str]:
        out: list[str] = []
        run: list[str] = []
        for child in node.children:
            if isinstance(child, Tag) and child.name in BLOCK:
                out.append(_lines(run))
                run = []
                out.extend(self.block(child))
            else:
                run.append(self.inline(child))
        out.append(_lines(run))
        return [block for block in out if block.strip()]

    def block(self, tag: Tag) -> list[str]:
        name = tag.name
        if name in _HEADINGS:
            return [md.heading(_HEADINGS[name], self.content(tag).strip().rstrip("¶ "))]
        if name in ("ul", "ol"):
            return [self.listing(tag)]
        if name == "pre":
            return [md.fence(tag.get_text(), _language(tag))]
        if name == "blockquote":
            inner = "\n\n".join(self.blocks(tag))
            if not inner:
                return []
            self.budget.spend(2 * inner.count("\n") + 2)  # nested quotes prefix every line
            return ["\n".join(f"> {line}".rstrip() for line in inner.split("\n"))]
        if name == "table":
            return self.table(tag)
        if name == "hr":
            return ["---"]
        return self.blocks(tag)

    def inline(self, node: object) -> str:
        if isinstance(node, _SKIPPED):
            return ""
        if isinstance(node, NavigableString):
            return _WHITESPACE.sub(" ", str(node))
        if not isinstance(node, Tag):
            return ""
        if node.name == "br":
            return "\n"
        if node.name == "img":
            alt = md.inline(node.get("alt") or "")
            figure = self.picture(node.get("src") or "", alt)
            if figure:
                return f"\n{figure}\n"
            return f" {alt} " if alt else ""
        inner = self.content(node)
        if node.name in BLOCK or node.name in _CELLS:  # e.g. a <div> in a <span>: its own line
            return f"\n{inner}\n"
        if node.name in _CODE and node.parent and node.parent.name != "pre":
            return _wrap(inner, "`")
        if node.name in _STRONG:
            return _wrap(inner, "**")
        if node.name in _EMPHASIS:
            return _wrap(inner, "*")
        return inner

    def picture(self, src: str, alt: str) -> str | None:
        """The marker of an embedded picture kept for the model, or None."""
        if self.pictures is None or not isinstance(src, str):
            return None
        if src.strip().lower().startswith("data:"):
            return self.pictures.add_data_uri(src, alt)
        data = self.packaged(src) if self.packaged is not None else None
        return self.pictures.add(data, alt) if data else None

    def content(self, tag: Tag) -> str:
        """The inline Markdown of a tag's children."""
        return "".join(self.inline(child) for child in tag.children)

    def listing(self, tag: Tag) -> str:
        ordered = tag.name == "ol"
        number = _start(tag)
        items = []
        for item in tag.find_all("li", recursive=False):
            marker = f"{number}. " if ordered else "- "
            number += 1
            parts = self.blocks(item) or [""]
            pad = " " * len(marker)
            body = "".join(
                ("\n" if _LIST_START.match(part) else "\n\n") + part if k else part
                for k, part in enumerate(parts)
            ).split("\n")
            self.budget.spend(len(pad) * len(body))  # nested lists indent every line
            items.append(
                "\n".join([marker + body[0], *(pad + line if line else "" for line in body[1:])])
            )
        return "\n".join(items)

    def table(self, tag: Tag) -> list[str]:
        cells = [row.find_all(["td", "th"], recursive=False) for row in _rows(tag)]
        if max((len(row) for row in cells), default=0) <= 1 or id(tag) in self.outer:
            # a layout table: read its cells as ordinary content
            return [block for row in cells for cell in row for block in self.blocks(cell)]
        grid = _grid([[(self.content(cell), span(cell.get("colspan", 1)),
                        span(cell.get("rowspan", 1))) for cell in row] for row in cells],
                     self.budget)
        return [md.table(grid, self.budget)]


def _lines(run: list[str]) -> str:
    """An inline run as a paragraph: spaces collapsed, `<br>` line breaks kept."""
    text = "".join(run)
    return "\n".join(md.prose(md.inline(line)) for line in text.split("\n") if line.strip())


def _wrap(inner: str, mark: str) -> str:
    core = inner.strip()
    if not core:
        return inner
    if mark == "`" and "`" in core:
        mark = "``"
        core = f" {core} "
    lead = " " if inner[:1].isspace() else ""
    tail = " " if inner[-1:].isspace() else ""
    return f"{lead}{mark}{core}{mark}{tail}"


def _language(pre: Tag) -> str:
    code = pre.find("code")
    for node in (pre, code):
        for cls in (node.get("class") or []) if isinstance(node, Tag) else []:
            found = _LANGUAGE.match(cls)
            if found:
                return found.group(1)
    return ""


def _start(tag: Tag) -> int:
    try:
        return int(tag.get("start", 1))
    except (TypeError, ValueError):
        return 1


def _rows(table: Tag) -> list[Tag]:
    """The table's own rows, directly or in its thead, tbody and tfoot (not nested tables')."""
    rows = []
    for child in table.children:
        if isinstance(child, Tag) and child.name == "tr":
            rows.append(child)
        elif isinstance(child, Tag) and child.name in ("thead", "tbody", "tfoot"):
            rows.extend(child.find_all("tr", recursive=False))
    return rows


def _grid(rows: list[list[tuple[str, int, int]]], budget: Budget) -> list[list[str]]:
    """Rows of (text, colspan, rowspan) laid out on a grid: a spanned cell keeps its text in
    its first place and leaves the others empty, so columns line up below it. The grid's
    size is checked against the cell limit as it grows."""
    grid: list[list[str]] = []
    covered: dict[int, int] = {}  # column -> last row a rowspan from above reaches
    width = 0
    for number, row in enumerate(rows):
        line: list[str] = []
        cells = iter(row)
        while True:
            if covered.get(len(line), -1) >= number:
                line.append("")
                continue
            cell = next(cells, None)
            if cell is None:
                break
            text, columns, rows_down = cell
            for offset in range(columns):
                if rows_down > 1:
                    covered[len(line)] = number + rows_down - 1
                line.append("" if offset else text)
        grid.append(line)
        width = max(width, len(line))
        budget.cells(len(grid), width)
    return grid
