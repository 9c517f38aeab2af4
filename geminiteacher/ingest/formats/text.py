"""Bytes → text in whatever common encoding they use, refusing binary data that is not text."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

from geminiteacher.errors import ConversionError

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# DOS and classic-Mac code pages: charset-normalizer sometimes ties them with Windows
# code pages on short text; files from this century rarely use them.
_LEGACY = re.compile(r"^(mac_.*|cp(437|7\d\d|8\d\d))$")
_CHAOS_TIE = 0.01
_SAMPLE = 65536
_MIN_PRINTABLE = 0.95


def decode_text(data: bytes, name: str) -> str:
    """Decode `data` (BOM, UTF-8, then charset detection); newlines become `\\n`.

    Raises ConversionError when the bytes are not text (NUL bytes, unprintable noise).
    """
    text = _decode(data, name)
    sample = text[:_SAMPLE]
    printable = sum(1 for ch in sample if ch.isprintable() or ch in "\n\r\t\f")
    if "\x00" in sample or printable < _MIN_PRINTABLE * len(sample):
        raise _not_text(name)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    results = list(charset_normalizer.from_bytes(data))
    if not results:
        raise _not_text(name)
    least = min(match.chaos for match in results)
    close = [match for match in results if match.chaos <= least + _CHAOS_TIE]
    best = min(close, key=_preference)
    if b"\x00" in data and not best.encoding.startswith(("utf_16", "utf_32")):
        raise _not_text(name)
    if "cp1252" in best.could_be_from_charset:
        return data.decode("cp1252", errors="replace")
    return str(best)


def _preference(match: charset_normalizer.CharsetMatch) -> int:
    if "cp1252" in match.could_be_from_charset:
        return 0
    return 2 if _LEGACY.match(match.encoding) else 1


def _not_text(name: str) -> ConversionError:
    return ConversionError(
        name,
        "this looks like binary data, not text in any known encoding; "
        "upload the original document (PDF, DOCX, PPTX, HTML, EPUB) or save it as plain text",
    )
