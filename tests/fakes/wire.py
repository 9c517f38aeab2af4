"""Small readers of the Gemini wire format shared by the fake's services."""

from __future__ import annotations

from typing import Any


def tokens(text: str) -> int:
    """The fake's token estimate: one token per four characters, rounded up."""
    return (len(text) + 3) // 4


def texts(content: Any) -> list[str]:
    """The text parts of one `Content` object, in order."""
    if not isinstance(content, dict):
        return []
    return [p["text"] for p in content.get("parts") or [] if isinstance(p, dict) and "text" in p]
