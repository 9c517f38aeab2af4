"""Material a model reads natively: PDFs, pictures, recordings and videos, recognised by their
content, with what is cheaply known about them (pages, seconds, pixels).

`sniff` names the type from the first bytes; `media_part` describes one file without holding
more than a header in memory when it is on disk (durations come from the WAV header, the FLAC
STREAMINFO block, the MP4/MOV `mvhd` box; other formats leave `seconds` unknown and Gemini's
own count decides). `readable` decides, once the engine is known, what each model gets:
natively read media where the model reads them, the PDF's text layer elsewhere, and a one-line
refusal for what cannot be read at all (a scan, a recording, a video or a YouTube link on a
model without media input).
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from geminiteacher.errors import ConversionError
from geminiteacher.models import MediaPart, Source

HEADER_BYTES = 64 * 1024  # enough to recognise every type below
GEMINI_PDF_PAGES = 1_000  # pages Gemini reads natively in one PDF
MAX_MEDIA_BYTES = 2 * 1024**3  # the Files API's limit per file
MAX_BOXES = 1_000  # RIFF chunks or MP4 boxes walked to find a duration (hostile files)
_HEIF_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"hevc": "image/heic",
                b"hevx": "image/heic", b"heim": "image/heic", b"heis": "image/heic",
                b"mif1": "image/heif", b"msf1": "image/heif", b"heif": "image/heif"}
_AUDIO_MP4_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
LABELS = {"pdf": "PDF", "image": "picture", "audio": "recording", "video": "video",
          "youtube": "YouTube video"}


@dataclass(frozen=True)
class Sniffed:
    kind: str  # pdf, image, audio, video
    mime_type: str


def sniff(head: bytes) -> Sniffed | None:
    """The media type of a file from its first bytes, or None when it is not media."""
    if b"%PDF-" in head[:1024]:
        return Sniffed("pdf", "application/pdf")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "image/png")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "image/jpeg")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", "image/webp")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("audio", "audio/wav")
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"fLaC"):
        return Sniffed("audio", "audio/flac")
    if head.startswith(b"OggS"):
        return Sniffed("audio", "audio/ogg")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return Sniffed("audio", "audio/mp3")  # an ID3 tag, or an MPEG audio layer III frame
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return Sniffed("audio", "audio/aac")  # ADTS
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Sniffed("video", "video/webm")
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return Sniffed("video", "video/mpeg")
    return None


def _iso_media(head: bytes) -> Sniffed:
    """An ISO base media file (`ftyp`): HEIF picture, M4A sound, MOV or MP4 video."""
    size = struct.unpack(">I", head[:4])[0]
    brands = [head[8:12]] + [head[i:i + 4] for i in range(16, min(size, len(head), 64), 4)]
    for brand in brands:
        if brand in _HEIF_BRANDS:
            return Sniffed("image", _HEIF_BRANDS[brand])
    if brands[0] in _AUDIO_MP4_BRANDS:
        return Sniffed("audio", "audio/aac")
    if brands[0] == b"qt  ":
        return Sniffed("video", "video/mov")
    return Sniffed("video", "video/mp4")


def media_part(name: str, *, data: bytes | None = None, path: Path | None = None,
               sniffed: Sniffed | None = None) -> MediaPart | None:
    """The MediaPart for one file's bytes (`data`) or file (`path`), or None if not media.

    A file on disk is hashed and measured in a streaming pass, never read whole.
    """
    with (io.BytesIO(data) if data is not None else open(path, "rb")) as handle:  # type: ignore[arg-type]
        head = handle.read(HEADER_BYTES)
        found = sniffed or sniff(head)
        if found is None:
            return None
        handle.seek(0, io.SEEK_END)
        size = handle.tell()
        if size > MAX_MEDIA_BYTES:
            raise ConversionError(name, f"the file is {size / 1024**3:.1f} GB, over the 2 GB "
                                  "Gemini takes per file; split it and upload the parts")
        seconds = None
        try:
            seconds = _seconds(found.mime_type, handle, size)
        except (struct.error, ValueError, IndexError, OSError):
            seconds = None  # an odd header: Gemini's count will say
        digest = hashlib.sha256()
        if data is None:
            handle.seek(0)
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
    return MediaPart(name=name, kind=found.kind, mime_type=found.mime_type,
                     path=str(path) if data is None else None, size=size, seconds=seconds,
                     sha256=digest.hexdigest() if data is None else "", data=data)


def _seconds(mime_type: str, handle: BinaryIO, size: int) -> float | None:
    """The duration where the header says it cheaply, else None."""
    if mime_type == "audio/wav":
        return _wav_seconds(handle)
    if mime_type == "audio/flac":
        handle.seek(18)  # "fLaC", block header (4), min/max block (4), min/max frame (6)
        raw = int.from_bytes(handle.read(8), "big")
        rate, samples = raw >> 44, raw & ((1 << 36) - 1)
        return samples / rate if rate and samples else None
    if mime_type in ("video/mp4", "video/mov", "audio/aac"):
        return _mvhd_seconds(handle, size)
    return None


def _wav_seconds(handle: BinaryIO) -> float | None:
    """Data bytes over bytes per second, from the RIFF chunks (at most `MAX_BOXES` read)."""
    at, rate = 12, 0
    for _ in range(MAX_BOXES):
        handle.seek(at)
        header = handle.read(8)
        if len(header) < 8:
            return None
        chunk, length = header[:4], struct.unpack("<I", header[4:])[0]
        if chunk == b"fmt " and length >= 16:
            rate = struct.unpack("<I", handle.read(16)[8:12])[0]  # bytes per second
        elif chunk == b"data":
            return length / rate if rate else None
        at += 8 + length + (length & 1)  # always forward
    return None


def _mvhd_seconds(handle: BinaryIO, size: int) -> float | None:
    """The movie's duration from `moov/mvhd` (top-level boxes are walked, not read)."""
    offset = 0
    for _ in range(MAX_BOXES):
        if offset + 8 > size:
            return None
        handle.seek(offset)
        box, kind = struct.unpack(">I4s", handle.read(8))
        header = 8
        if box == 1:
            box, header = struct.unpack(">Q", handle.read(8))[0], 16
        elif box == 0:
            box = size - offset
        if box < header:
            return None
        if kind == b"moov":
            inner = handle.read(min(box - header, 4096))
            at = inner.find(b"mvhd")
            if at < 4:
                return None
            body = inner[at + 4:]
            if body[0] == 1:  # version 1: 64-bit times
                scale, duration = struct.unpack(">IQ", body[20:32])
            else:
                scale, duration = struct.unpack(">II", body[12:20])
            return duration / scale if scale else None
        offset += box
    return None


def readable(source: Source, kinds: Collection[str], read: str = "auto",
             page_limit: int = GEMINI_PDF_PAGES
             ) -> tuple[Source, list[ConversionError], list[str]]:
    """What a model that reads the media `kinds` natively gets of `source` under the `read`
    setting, a one-line refusal for each file it cannot read at all, and a note for each
    PDF read as text because it is longer than the model reads natively.

    A PDF goes natively (its text part left out) when the model reads PDFs, `read` is not
    `text` and it has at most `page_limit` pages; otherwise its text layer is used, and a PDF
    without one is refused. Pictures inside documents go only when documents are read
    natively; pictures, recordings, videos and links the model cannot read are refused.
    """
    documents_native = read != "text" and "pdf" in kinds
    media: list[MediaPart] = []
    refused: list[ConversionError] = []
    notes: list[str] = []
    text_of = {part.name for part in source.parts}
    dropped_text: set[str] = set()
    for item in source.media:
        if item.kind == "pdf":
            fits = item.pages is None or item.pages <= page_limit
            if documents_native and fits:
                media.append(item)
                dropped_text.add(item.name)
            elif item.name in text_of and documents_native:
                notes.append(f"{item.name} has {item.pages:,} pages, more than the "
                             f"{page_limit:,} Gemini reads natively: it is read as text")
            elif item.name not in text_of:
                refused.append(ConversionError(item.name, _why_not(item, kinds, read, fits,
                                                                    page_limit)))
        elif item.within:
            if documents_native and item.kind in kinds:
                media.append(item)
        elif item.kind in kinds:
            media.append(item)
        else:
            refused.append(ConversionError(item.name, _why_not(item, kinds, read, True,
                                                                page_limit)))
    parts = [part for part in source.parts if part.name not in dropped_text]
    return Source(parts, media), refused, notes


def _why_not(item: MediaPart, kinds: Collection[str], read: str, fits: bool,
             page_limit: int) -> str:
    if item.kind == "pdf" and not fits:
        return (f"this PDF has {item.pages:,} pages, over the {page_limit:,} Gemini reads "
                "natively, and no text layer; split it into smaller PDFs")
    if item.kind == "pdf" and kinds:
        return ("this PDF has no text layer (it looks scanned), so it cannot be read as "
                "text; use --read auto (the page: Read documents 'auto') to let Gemini read it")
    what = "this PDF has no text layer (it looks scanned)" if item.kind == "pdf" \
        else f"a {LABELS[item.kind]} has no text to read"
    return (f"{what}; only Gemini reads it: set a Gemini API key (GEMINI_API_KEY) and use "
            "the Gemini engine, or leave this file out")
