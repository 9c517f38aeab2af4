"""Which lines of Markdown are inside a code fence, so that `#` lines there stay code."""

from __future__ import annotations

import re
from collections.abc import Iterator

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def lines_in_code(text: str) -> Iterator[tuple[str, bool]]:
    """Each line of `text` with True when it is part of a fenced code block (fences too)."""
    fence = ""
    for line in text.splitlines():
        opened = _FENCE.match(line)
        if fence:
            mark = opened.group(1) if opened else ""
            if mark[:1] == fence[:1] and len(mark) >= len(fence):
                fence = ""
            yield line, True
        elif opened:
            fence = opened.group(1)
            yield line, True
        else:
            yield line, False
