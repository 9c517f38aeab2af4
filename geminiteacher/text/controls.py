"""Characters no document format can hold: control codes, lone surrogates, non-characters.

One sanitiser for both ends of the flow: converters clean what they read from a file, and
the exports clean what they write (XML 1.0, which DOCX, Moodle XML and SCORM are made of,
refuses these characters outright; CSV, GIFT and HTML show them as garbage).
"""

from __future__ import annotations

import re

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; UTF-16
# surrogates (only ever half a character here); the non-characters U+FFFE and U+FFFF.
_UNHOLDABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")


def strip_controls(text: str) -> str:
    """`text` without the characters above; tab, `\\n` and `\\r` stay."""
    return _UNHOLDABLE.sub("", text)


def clean_text(text: str) -> str:
    """`text` with line breaks of every kind (CR, CRLF, VT, FF, NEL, LS, PS) as `\\n` and
    without the characters `strip_controls` removes: what a converter hands on."""
    return strip_controls(_BREAKS.sub("\n", text))
