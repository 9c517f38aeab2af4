"""Chapter text made safe to render on the page.

Chapter text comes from a model steered by the documents, so it may hold image syntax that
would make the visitor's browser fetch a remote address (`![](https://site/?q=secret)`).
Images become plain links, which nothing fetches until clicked, and headings move down so a
chapter's sections sit below the chapter's own title instead of rendering page-sized.
"""

from __future__ import annotations

import re

HEADING_SHIFT = 2  # "# x" renders as h3, "## Summary" as h4
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^(\s{0,3})(#{1,6})(?=\s|$)")
_CODE_OR_IMAGE = re.compile(r"(`+)(?:.*?)\1|!\[([^\]]*)\](\(|\[)")


def _unimage(line: str) -> str:
    """The line with every image turned into a link ("![a](u)" -> "[Image: a](u)"),
    inline code left alone."""
    def swap(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(0)
        alt = match.group(2).strip() or "image"
        return f"[Image: {alt}]{match.group(3)}"
    return _CODE_OR_IMAGE.sub(swap, line)


def safe_markdown(text: str) -> str:
    """`text` with images as links and headings demoted; fenced code is left as written."""
    out: list[str] = []
    fence = ""
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            out.append(line)
            continue
        if opened:
            fence = opened.group(1)
            out.append(line)
            continue
        line = _HEADING.sub(
            lambda m: m.group(1) + "#" * min(6, len(m.group(2)) + HEADING_SHIFT), line)
        out.append(_unimage(line))
    return "\n".join(out)
