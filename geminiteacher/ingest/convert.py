"""Documents → Markdown: the one entry point for every input file.

The type of a file is read from its content (magic bytes, the entries of a ZIP
container, whether it decodes as text), not trusted from its name; the limits below
are checked before anything is parsed, and each file's output is drawn from its own
`Budget` (see `geminiteacher.ingest.budget`). Control characters are dropped from every
result. Each format lives in `geminiteacher.ingest.formats`.
Every problem with a file is a `ConversionError` naming the file, what is wrong and
what to do; `load_sources` keeps converting the other files when one fails.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from geminiteacher.errors import ConversionError, NoTextError, SettingsError, SourceTooLargeError
from geminiteacher.ingest import links, media
from geminiteacher.ingest.budget import Budget
from geminiteacher.ingest.formats import epub, html, pdf, slides, word
from geminiteacher.ingest.formats.pictures import Pictures
from geminiteacher.ingest.formats.text import decode_text
from geminiteacher.models import MediaPart, Source, SourcePart
from geminiteacher.text.controls import clean_text

MB = 1024 * 1024
MAX_FILE_BYTES = 50 * MB  # per file; GEMINITEACHER_MAX_FILE_MB overrides it
MAX_FILE_ENV = "GEMINITEACHER_MAX_FILE_MB"
MAX_ZIP_TOTAL_BYTES = 256 * MB  # DOCX/PPTX/EPUB: everything inside, unpacked
MAX_ZIP_RATIO = 100  # unpacked / packed size of one entry, and of the whole container...
ZIP_RATIO_FLOOR = MB  # ...checked for an entry that unpacks to more than this...
ZIP_TOTAL_RATIO_FLOOR = 16 * MB  # ...and for a container that unpacks to more than this
MAX_ZIP_ENTRIES = 10_000
PROMPT_RESERVE_TOKENS = 8_192  # room kept for instructions beside the document

SUPPORTED_EXTENSIONS = (".pdf", ".docx", ".pptx", ".html", ".htm", ".epub", ".md", ".txt")
LABELS = {
    "pdf": "PDF", "docx": "Word document", "pptx": "PowerPoint file", "epub": "EPUB book",
    "html": "HTML page", "md": "Markdown file", "txt": "text file",
}
_CLAIMED = {".pdf": "pdf", ".docx": "docx", ".pptx": "pptx", ".epub": "epub"}
_HTML_EXTENSIONS = (".html", ".htm", ".xhtml")
_TEXT_EXTENSIONS = (".txt", ".text", ".md", ".markdown")
# A comment's body cannot hold "-->", so comments split one way only: linear, not exponential.
_HTML_START = re.compile(r"^\s*(<\?xml[^>]*>\s*)?(<!--(?:(?!-->).)*-->\s*)*"
                         r"(<!doctype\s+html|<html[\s>])", re.IGNORECASE | re.DOTALL)
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_OFFICE_HINT = "save it as .docx or .pptx (without a password) or as PDF, and upload that"
_BINARY_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"{\\rtf", "an RTF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style (.doc/.ppt/.xls) or password-protected "
                                          "Office file"),
)
_BINARY_HINTS = {
    "image": "it holds no text to read; upload a document, or run OCR on the image first",
    "archive": "unpack it and upload the documents inside",
    "RTF": "save it as .docx or PDF and upload that",
    "Office": _OFFICE_HINT,
}


def max_file_bytes() -> int:
    """The per-file size limit: MAX_FILE_BYTES, or GEMINITEACHER_MAX_FILE_MB when set."""
    raw = os.environ.get(MAX_FILE_ENV, "").strip()
    if not raw:
        return MAX_FILE_BYTES
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise SettingsError(f"{MAX_FILE_ENV} must be a positive number of megabytes, not {raw!r}")
    return int(value * MB)


def convert_bytes(data: bytes, filename: str) -> SourcePart:
    """Convert one uploaded file (its bytes and its name) to a SourcePart."""
    return convert_document(data, filename)[0]


def convert_document(data: bytes, filename: str) -> tuple[SourcePart, list[MediaPart]]:
    """One uploaded document as a SourcePart, and the pictures inside it (Word, PowerPoint,
    EPUB, HTML) as media parts `within` it, each marked in the Markdown where it stood."""
    name = Path(filename).name or "upload"
    _check_file_size(len(data), name)
    if not data.strip():
        raise ConversionError(name, "the file is empty; choose the right file or save it again")
    found = _detect(data, name)
    pictures = Pictures()
    budget = Budget(name, len(data))
    try:
        markdown, pages, sections = _convert(found, data, name, budget, pictures)
        budget.spend(max(0, len(markdown) - budget.spent))  # the result is bound too
        markdown = clean_text(markdown)
    except ConversionError:
        raise
    except Exception as error:  # parsers of untrusted files fail in many ways
        raise ConversionError(
            name, f"could not be read as {_a(LABELS[found.kind])} ({type(error).__name__}); the "
            "file may be damaged: open it, save a fresh copy (or export it to PDF) and upload that"
        ) from error
    if not markdown.strip():
        raise NoTextError(
            name, f"no text found in this {LABELS[found.kind]} (it may hold only pictures); "
            "upload a version that contains text"
        )
    part = SourcePart(name=name, markdown=markdown, pages=pages, words=len(markdown.split()),
                      kind=found.kind, sections=sections)
    return part, [MediaPart(name=f"{name}, figure {picture.number}{picture.extension}",
                            kind="image", mime_type=picture.mime_type, data=picture.data,
                            within=name) for picture in pictures.found]


def convert_file(path: str | os.PathLike[str]) -> SourcePart:
    """Convert the file at `path` to a SourcePart; its size is checked before it is read."""
    path = Path(path)
    return convert_bytes(_read(path, _regular_size(path)), path.name or str(path))


def _regular_size(path: Path) -> int:
    """The size of the regular file at `path`; ConversionError for folders, devices and
    files that cannot be opened."""
    name = path.name or str(path)
    try:
        info = path.stat()
    except OSError as error:
        raise _unopened(name, error) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConversionError(name, "this is a folder; choose the documents inside it")
    if not stat.S_ISREG(info.st_mode):
        raise ConversionError(name, "this is not a regular file; save the document to disk "
                              "and choose that file")
    return info.st_size


def _read(path: Path, size: int, limit: int | None = None) -> bytes:
    """The file's bytes (at most `limit`, else all of it after the size check)."""
    name = path.name or str(path)
    if limit is None:
        _check_file_size(size, name)
    try:
        with path.open("rb") as handle:
            return handle.read(limit if limit is not None else -1)
    except OSError as error:
        raise _unopened(name, error) from None


def _unopened(name: str, error: OSError) -> ConversionError:
    return ConversionError(
        name, f"cannot be opened ({error.strerror or error}); check the path and permissions")


def convert_to_markdown(file_path: str | os.PathLike[str],
                        output_dir: str | os.PathLike[str] | None = None) -> str:
    """The file's Markdown; with `output_dir`, also saved there as `<stem>.md`."""
    markdown = convert_file(file_path).markdown
    if output_dir is not None:
        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(folder / f"{Path(file_path).stem}.md", markdown)
    return markdown


def load_sources(
    items: Iterable[str | os.PathLike[str] | tuple[str, bytes]],
) -> tuple[Source, list[ConversionError]]:
    """Convert paths, links (http/https strings) and (filename, bytes) uploads, in order,
    into one Source.

    Documents become text parts. PDFs, pictures, recordings and videos (recognised by their
    content) also become media parts, for a model that reads them natively; a PDF without a
    text layer becomes a media part only. A YouTube link becomes a media part; any other link
    is fetched (`ingest.links`) and converted like an upload. `ingest.media.readable` later
    decides what the chosen model gets. A file or link that fails becomes a ConversionError
    in the returned list; the rest still convert.
    """
    if isinstance(items, (str, os.PathLike)):
        items = [items]
    parts: list[SourcePart] = []
    found: list[MediaPart] = []
    errors: list[ConversionError] = []
    for item in items:
        try:
            if links.is_link(item):
                text, more = read_link(str(item))
            elif isinstance(item, tuple):
                filename, data = item
                text, more = load_bytes(data, Path(filename).name or "upload")
            else:
                text, more = _load_path(Path(item))
        except ConversionError as error:
            errors.append(error)
            continue
        parts += text
        found += more
    return Source(parts, found), errors


def read_link(url: str) -> tuple[list[SourcePart], list[MediaPart]]:
    """A link as material: a YouTube video's media part, or the fetched page, text or PDF
    loaded like an upload (`load_bytes`). Problems name the link."""
    found = links.open_link(url, max_bytes=max_file_bytes())
    if isinstance(found, MediaPart):
        return [], [found]
    try:
        return load_bytes(found.data, found.name)
    except ConversionError as error:
        raise ConversionError(url, error.problem) from None


def load_bytes(data: bytes, name: str, path: Path | None = None
               ) -> tuple[list[SourcePart], list[MediaPart]]:
    """One file's text part (documents, PDFs with a text layer) and media part (PDFs,
    pictures, recordings, videos). With `path`, the media part names that file instead of
    holding the bytes."""
    sniffed = media.sniff(data[:media.HEADER_BYTES])
    if sniffed is None:
        part, pictures = convert_document(data, name)
        return [part], pictures
    if sniffed.kind != "pdf":
        return [], [_media(name, data, path, sniffed)]
    _check_file_size(len(data), name)
    try:
        part = convert_bytes(data, name)
    except NoTextError:
        part = None
    pages = part.pages if part is not None else pdf.page_count(data, name)
    item = MediaPart(name, "pdf", sniffed.mime_type, path=str(path) if path else None,
                     size=len(data), pages=pages, data=None if path else data,
                     sha256=hashlib.sha256(data).hexdigest())
    return ([part] if part is not None else []), [item]


def _load_path(path: Path) -> tuple[list[SourcePart], list[MediaPart]]:
    name = path.name or str(path)
    size = _regular_size(path)
    sniffed = media.sniff(_read(path, size, media.HEADER_BYTES))
    if sniffed is not None and sniffed.kind != "pdf":  # recordings are hashed, never read whole
        return [], [_media(name, None, path, sniffed)]
    return load_bytes(_read(path, size), name, path)


def _media(name: str, data: bytes | None, path: Path | None,
           sniffed: media.Sniffed) -> MediaPart:
    """A picture, recording or video: its bytes in memory (an upload) or its file on disk."""
    found = media.media_part(name, data=data, path=path if data is None else None,
                             sniffed=sniffed)
    assert found is not None  # its type is already known
    return found


def estimate_tokens(text: str) -> int:
    """A quick local token estimate: about four characters a token, one per CJK character."""
    cjk = len(text) - len(_CJK.sub("", text))
    return math.ceil((len(text) - cjk) / 4) + cjk


def check_size(source: Source, context_window: int,
               count: Callable[[str], int] = estimate_tokens, *,
               reserve: int = PROMPT_RESERVE_TOKENS,
               media_tokens: Iterable[tuple[str, int]] = ()) -> int:
    """The source's token count; SourceTooLargeError if it does not fit the model's window.

    `count` is the Gemini count when one is configured, else the local estimate;
    `media_tokens` are (name, tokens) of the media read natively; `reserve` tokens (at most
    half of a small local model's window) are kept free for the instructions sent with the
    document and the answer.
    """
    media_sizes = list(media_tokens)
    tokens = (count(source.markdown) if source.parts else 0) + sum(n for _, n in media_sizes)
    reserve = min(reserve, context_window // 2)
    room = context_window - reserve
    if tokens <= room:
        return tokens
    sizes = [(part.name, estimate_tokens(part.markdown)) for part in source.parts] + media_sizes
    largest = sorted(sizes, key=lambda size: size[1], reverse=True)[:3]
    listing = ", ".join(f"{name} ~{size:,}" for name, size in largest)
    raise SourceTooLargeError(
        f"the material is about {tokens:,} tokens but the model can take {room:,} "
        f"({context_window:,} in its context window, {reserve:,} kept for instructions); "
        f"largest files: {listing}; remove some files or split the material into several courses"
    )


@dataclass
class _Detected:
    kind: str
    text: str | None = None
    archive: zipfile.ZipFile | None = None


def _detect(data: bytes, name: str) -> _Detected:
    """The real type of `data`, from its content; raises for types we cannot read."""
    extension = Path(name).suffix.lower()
    if b"%PDF-" in data[:1024]:
        return _Detected("pdf")
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _detect_zip(data, name, extension)
    for magic, what in _BINARY_TYPES:
        if data.startswith(magic):
            hint = next(text for key, text in _BINARY_HINTS.items() if key in what)
            raise ConversionError(name, f"this is {what}, which is not supported; {hint}")
    if extension in _CLAIMED:
        try:
            looks = "HTML" if _HTML_START.match(decode_text(data, name)) else "plain text"
        except ConversionError:
            looks = "unreadable binary data"
        raise _misnamed(name, extension, looks)
    text = decode_text(data, name)
    if extension in _HTML_EXTENSIONS or (extension not in _TEXT_EXTENSIONS
                                         and _HTML_START.match(text)):
        return _Detected("html", text=text)
    return _Detected("md" if extension in (".md", ".markdown") else "txt", text=text)


def _detect_zip(data: bytes, name: str, extension: str) -> _Detected:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ConversionError(
            name, "this ZIP-based file is damaged or cut short; export or download it again"
        ) from None
    _check_expansion(entries, name)
    names = {entry.filename for entry in entries}
    mimetype = archive.read("mimetype")[:100].strip() if "mimetype" in names else b""
    if mimetype == b"application/epub+zip" or (
        not mimetype and extension == ".epub" and "META-INF/container.xml" in names
    ):
        return _Detected("epub", archive=archive)
    if "[Content_Types].xml" in names:
        for folder, kind in (("word/", "docx"), ("ppt/", "pptx")):
            if any(entry.startswith(folder) for entry in names):
                return _Detected(kind, archive=archive)
        if any(entry.startswith("xl/") for entry in names):
            raise ConversionError(
                name, "this is an Excel workbook, which is not supported; "
                "save the sheets you need as PDF or CSV text and upload those"
            )
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise ConversionError(
            name, f"this is an OpenDocument file, which is not supported; {_OFFICE_HINT}"
        )
    if extension in _CLAIMED:
        raise _misnamed(name, extension, "a ZIP archive without one inside")
    raise ConversionError(
        name, "this is a ZIP archive, not a document; unpack it and upload the documents inside"
    )


def _check_expansion(entries: list[zipfile.ZipInfo], name: str) -> None:
    """Refuse containers that would unpack to far more than they weigh (zip bombs)."""
    total = sum(entry.file_size for entry in entries)
    packed = sum(entry.compress_size for entry in entries)
    problem = None
    if len(entries) > MAX_ZIP_ENTRIES:
        problem = f"it holds {len(entries):,} files, over the limit of {MAX_ZIP_ENTRIES:,}"
    elif total > MAX_ZIP_TOTAL_BYTES:
        problem = (f"it would unpack to {_human(total)}, over the "
                   f"{_human(MAX_ZIP_TOTAL_BYTES)} limit")
    else:
        for entry in entries:
            ratio = entry.file_size / max(entry.compress_size, 1)
            if entry.file_size > ZIP_RATIO_FLOOR and ratio > MAX_ZIP_RATIO:
                problem = (f"its part {entry.filename} would unpack {ratio:,.0f} times larger "
                           f"than it is stored (limit {MAX_ZIP_RATIO}x)")
                break
    if not problem and total > ZIP_TOTAL_RATIO_FLOOR and total > MAX_ZIP_RATIO * max(packed, 1):
        problem = (f"it would unpack to {_human(total)}, {total / max(packed, 1):,.0f} times "
                   f"what it stores (limit {MAX_ZIP_RATIO}x)")
    if problem:
        raise ConversionError(
            name, f"refused as unsafe: {problem}; open the document and save a fresh copy "
            "(or export it to PDF) and upload that"
        )


def _convert(found: _Detected, data: bytes, name: str, budget: Budget,
             pictures: Pictures) -> tuple[str, int | None, dict[str, tuple[int, int]]]:
    """The Markdown, the page count when the format has pages, and the pages of each
    heading's section when the format knows them (PDF). Pictures inside Word, PowerPoint,
    EPUB and HTML documents are collected into `pictures` (a PDF is read whole natively)."""
    if found.kind == "pdf":
        return pdf.to_markdown(data, name, budget)
    if found.kind == "pptx":
        return (*slides.to_markdown(data, budget, pictures), {})
    if found.kind == "docx":
        return word.to_markdown(data, budget, pictures), None, {}
    if found.kind == "epub":
        return epub.to_markdown(found.archive, name, budget, pictures), None, {}
    if found.kind == "html":
        return html.to_markdown(found.text, budget, pictures=pictures), None, {}
    return found.text, None, {}  # Markdown and plain text pass through as written


def _check_file_size(size: int, name: str) -> None:
    limit = max_file_bytes()
    if size > limit:
        raise ConversionError(
            name, f"the file is {_human(size)}, over the {_human(limit)} limit; split it into "
            f"smaller files or raise the limit with {MAX_FILE_ENV}"
        )


def _misnamed(name: str, extension: str, looks: str) -> ConversionError:
    label = LABELS[_CLAIMED[extension]]
    return ConversionError(
        name, f"the name ends in {extension} but this is not {_a(label)} (it holds {looks}); "
        f"export the {label} again, or give the file the extension that matches its content"
    )


def _a(label: str) -> str:
    return f"{'an' if label[0] in 'AEHIOU' else 'a'} {label}"


def _human(size: int) -> str:
    if size >= MB:
        return f"{size / MB:,.1f} MB"
    if size >= 1024:
        return f"{size / 1024:,.0f} KB"
    return f"{size} bytes"


def _write_atomically(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
