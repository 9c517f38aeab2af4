"""The course languages that fixed words (offline chapter labels, export headings) come in.

Content follows the course language through the model; the offline engine and the exports
only have a few words of their own, translated for these languages. Unknown names fall back
to English.
"""

from __future__ import annotations

import re

ALIASES = {
    "es": ("spanish", "español", "espanol", "castellano", "es"),
    "fr": ("french", "français", "francais", "fr"),
    "de": ("german", "deutsch", "de"),
    "zh": ("chinese", "中文", "汉语", "漢語", "简体", "繁體", "mandarin", "zh"),
}


def language_code(language: str) -> str:
    """The code of a course language name ("Spanish", "Deutsch", "zh-CN", "简体中文"); "en"
    when it is not one of the translated languages."""
    wanted = (language or "").strip().casefold()
    words = re.split(r"[\s_()/-]+", wanted)
    for code, names in ALIASES.items():
        if any(n in words or (not n.isascii() and n in wanted) for n in names):
            return code
    return "en"
