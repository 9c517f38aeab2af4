"""Pictures inside documents (Word, PowerPoint, EPUB, HTML), kept for a model that reads them
beside the text: bounded in count and bytes per document, tiny ones (bullets, spacers, icons)
and repeats (a logo on every slide) skipped, each marked where it stood as `[Figure 3: alt]`.

Only bytes inside the document are taken (packaged parts, `data:` URIs); nothing is fetched.
Types Gemini does not read (GIF, BMP, TIFF) become PNG; vector formats (EMF, WMF, SVG) are
left out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import warnings
from dataclasses import dataclass, field

from PIL import Image

from geminiteacher.ingest.formats import markdown as md

MAX_PICTURES = 40  # per document
MAX_PICTURE_BYTES = 10 * 1024 * 1024  # per picture
MAX_DOCUMENT_BYTES = 40 * 1024 * 1024  # all the pictures of one document
MIN_SIDE = 48  # pixels: smaller on either side is a bullet, a spacer or an icon
MAX_PIXELS = 40_000_000  # larger ones are not decoded (to convert them to PNG)
READ_AS_IS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
TO_PNG = ("GIF", "BMP", "TIFF", "MPO")
_HEIF = re.compile(rb"^....ftyp(heic|heix|hevc|hevx|heim|heis|mif1|msf1|heif)", re.DOTALL)
_DATA_URI = re.compile(r"^data:image/[\w.+-]+(?:;[\w=.+-]+)*;base64,", re.IGNORECASE)
_FILE_NAME = re.compile(r"^[^\s/\\]+\.(png|jpe?g|gif|bmp|tiff?|webp|heic|emf|wmf|svg)$",
                        re.IGNORECASE)
_EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp",
               "image/heic": ".heic", "image/heif": ".heif"}


@dataclass
class Picture:
    """One kept picture: its number in the document, bytes Gemini reads, and alt text."""

    number: int
    data: bytes
    mime_type: str
    alt: str = ""

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self.mime_type]


@dataclass
class Pictures:
    """The pictures of one document, collected while its Markdown is written."""

    found: list[Picture] = field(default_factory=list)
    _bytes: int = 0
    _seen: set[str] = field(default_factory=set)

    def add(self, data: bytes, alt: str = "") -> str | None:
        """Keep one picture; returns the marker to put where it stood, or None when it is
        left out (too small, a repeat, unreadable, or over the limits)."""
        digest = hashlib.sha256(data).hexdigest()
        if digest in self._seen:
            return None
        self._seen.add(digest)
        if len(self.found) >= MAX_PICTURES or len(data) > MAX_PICTURE_BYTES:
            return None
        kept = _readable(data)
        if kept is None or self._bytes + len(kept[0]) > MAX_DOCUMENT_BYTES:
            return None
        data, mime_type = kept
        self._bytes += len(data)
        alt = md.inline(alt)
        if _FILE_NAME.match(alt):  # what tools put there when nobody wrote a description
            alt = ""
        picture = Picture(len(self.found) + 1, data, mime_type, alt[:300])
        self.found.append(picture)
        return marker(picture)

    def add_data_uri(self, uri: str, alt: str = "") -> str | None:
        """A picture given inline as a base64 `data:image/...` URI (others are ignored)."""
        found = _DATA_URI.match(uri.strip())
        if not found or len(uri) > MAX_PICTURE_BYTES * 4 // 3 + 200:
            return None
        try:
            data = base64.b64decode(uri.strip()[found.end():], validate=False)
        except (binascii.Error, ValueError):
            return None
        return self.add(data, alt)


def marker(picture: Picture) -> str:
    """`[Figure 3: A diagram of the heart]`: where a picture stood, in the Markdown."""
    alt = picture.alt.replace("[", "(").replace("]", ")")
    return f"[Figure {picture.number}: {alt}]" if alt else f"[Figure {picture.number}]"


def _readable(data: bytes) -> tuple[bytes, str] | None:
    """The picture as bytes Gemini reads and their type; None when it is too small to
    matter, cannot be read or is not a picture Gemini takes."""
    if _HEIF.match(data[:16]):
        return data, "image/heif" if data[8:12] in (b"mif1", b"msf1", b"heif") else "image/heic"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                kind = image.format or ""
                if min(width, height) < MIN_SIDE:
                    return None
                if kind in READ_AS_IS:
                    return data, READ_AS_IS[kind]
                if kind not in TO_PNG or width * height > MAX_PIXELS:
                    return None
                image.seek(0)
                out = io.BytesIO()
                image.convert("RGBA" if "A" in image.getbands() or kind == "GIF" else "RGB")\
                    .save(out, "PNG", optimize=False)
                return out.getvalue(), "image/png"
    except Exception:  # a damaged or hostile picture is left out, never fatal
        return None
