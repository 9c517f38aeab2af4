"""EPUB → Markdown: container.xml → OPF → spine order; each chapter through the HTML converter.

The zip has already passed the size guard in `geminiteacher.ingest.convert`. A document the
spine lists more than once is read once, where it first appears, so a book's text is never
larger than the documents it holds.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from functools import partial
from urllib.parse import unquote, urldefrag

from lxml import etree

from geminiteacher.errors import ConversionError
from geminiteacher.ingest.budget import Budget
from geminiteacher.ingest.formats import html
from geminiteacher.ingest.formats import markdown as md
from geminiteacher.ingest.formats.pictures import MAX_PICTURE_BYTES, Pictures

_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "enc": "http://www.w3.org/2001/04/xmlenc#",
}
_XML = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
_PAGES = ("application/xhtml+xml", "text/html")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def to_markdown(archive: zipfile.ZipFile, name: str, budget: Budget,
                pictures: Pictures | None = None) -> str:
    """The book's chapters in reading order; a chapter without a heading gets its TOC title.
    With `pictures`, the pictures packaged in the book are kept and marked where they stand."""
    opf_path = _rootfile(archive, name)
    opf = _parse(archive, opf_path, name)
    base = posixpath.dirname(opf_path)
    manifest = {}
    for item in opf.iterfind(".//opf:manifest/opf:item", _NS):
        href = _join(base, item.get("href", ""))
        manifest[item.get("id")] = (href, item.get("media-type", ""), item.get("properties", ""))
    spine = opf.find(".//opf:spine", _NS)
    if spine is None:
        raise _damaged(name, "its package file has no reading order (spine)")
    titles = _toc_titles(archive, opf, manifest, spine)
    locked = _encrypted(archive)
    blocks = []
    read: set[str] = set()
    for ref in spine.iterfind("opf:itemref", _NS):
        href, media, properties = manifest.get(ref.get("idref"), ("", "", ""))
        if media not in _PAGES or "nav" in properties.split() or href in read:
            continue
        read.add(href)
        if href in locked:
            raise ConversionError(
                name, "this EPUB is DRM-protected, so its text cannot be read; "
                "upload a DRM-free copy or export the book to PDF first"
            )
        try:
            page = archive.read(href)
        except KeyError:
            continue  # listed in the spine but missing: read the rest of the book
        blocks.append(html.to_markdown(page, budget, fallback_title=titles.get(href, ""),
                                       pictures=pictures,
                                       packaged=partial(_packaged, archive, href)))
    return md.join_blocks(blocks)


def _packaged(archive: zipfile.ZipFile, page: str, src: str) -> bytes | None:
    """The bytes of a picture inside the book, named relative to its page (None for a
    remote or missing one, or one over the per-picture limit)."""
    if _SCHEME.match(src) or src.startswith("/"):
        return None
    path = _join(posixpath.dirname(page), urldefrag(src)[0])
    try:
        if archive.getinfo(path).file_size > MAX_PICTURE_BYTES:
            return None
        return archive.read(path)
    except KeyError:
        return None


def _rootfile(archive: zipfile.ZipFile, name: str) -> str:
    try:
        container = etree.fromstring(archive.read("META-INF/container.xml"), _XML)
    except KeyError:
        raise _damaged(name, "META-INF/container.xml is missing") from None
    root = None if container is None else container.find(".//c:rootfile", _NS)
    if root is None or not root.get("full-path"):
        raise _damaged(name, "container.xml names no package (OPF) file")
    return unquote(root.get("full-path"))


def _parse(archive: zipfile.ZipFile, path: str, name: str) -> etree._Element:
    try:
        tree = etree.fromstring(archive.read(path), _XML)
    except KeyError:
        raise _damaged(name, f"its package file {path} is missing") from None
    if tree is None:
        raise _damaged(name, f"its package file {path} is unreadable")
    return tree


def _toc_titles(archive, opf, manifest, spine) -> dict[str, str]:
    """Chapter file → title from the EPUB 3 nav document or the EPUB 2 NCX (first entry wins)."""
    titles: dict[str, str] = {}
    sources = [(href, "nav") for href, _, props in manifest.values() if "nav" in props.split()]
    ncx = manifest.get(spine.get("toc"))
    if ncx:
        sources.append((ncx[0], "ncx"))
    for href, kind in sources:
        try:
            tree = etree.fromstring(archive.read(href), _XML)
        except KeyError:
            continue
        if tree is None:
            continue
        base = posixpath.dirname(href)
        if kind == "nav":
            entries = [(a.get("href", ""), "".join(a.itertext())) for a in tree.iterfind(
                ".//xhtml:nav//xhtml:a", _NS)]
        else:
            entries = [
                (point.find("ncx:content", _NS).get("src", ""),
                 "".join(point.find("ncx:navLabel", _NS).itertext()))
                for point in tree.iterfind(".//ncx:navPoint", _NS)
                if point.find("ncx:content", _NS) is not None
                and point.find("ncx:navLabel", _NS) is not None
            ]
        for target, title in entries:
            path = _join(base, urldefrag(target)[0])
            if md.inline(title):
                titles.setdefault(path, md.inline(title))
    return titles


def _encrypted(archive: zipfile.ZipFile) -> set[str]:
    """Files listed in META-INF/encryption.xml (font obfuscation lists fonts only)."""
    try:
        tree = etree.fromstring(archive.read("META-INF/encryption.xml"), _XML)
    except KeyError:
        return set()
    if tree is None:
        return set()
    return {unquote(ref.get("URI", "")) for ref in tree.iterfind(".//enc:CipherReference", _NS)}


def _join(base: str, href: str) -> str:
    return posixpath.normpath(posixpath.join(base, unquote(href))) if href else ""


def _damaged(name: str, problem: str) -> ConversionError:
    return ConversionError(name, f"this EPUB is damaged ({problem}); export or download it again")
