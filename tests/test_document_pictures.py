"""Pictures inside Word, PowerPoint, EPUB and HTML files: kept as media parts within their
document, marked in the Markdown where they stood, bounded, tiny ones and repeats skipped,
nothing remote fetched; they reach only a model that reads documents natively."""

from __future__ import annotations

import base64
import io
import zipfile

import docx
import pptx
from docx.shared import Inches
from PIL import Image, ImageDraw

from geminiteacher.ingest.convert import convert_document, load_sources
from geminiteacher.ingest.formats import pictures
from geminiteacher.ingest.media import readable


def picture(width: int = 200, height: int = 120, shade: int = 0, kind: str = "PNG") -> bytes:
    """A small drawing (different for each `shade`), saved as `kind`."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    if min(width, height) < 30:
        return _saved(image, kind)
    draw.rectangle((10, 10, width - 10, height - 10), outline=(shade, 80, 160), width=4)
    draw.line((10, height - 10, width - 10, 10), fill=(200, shade, 40), width=3)
    return _saved(image, kind)


def _saved(image: Image.Image, kind: str) -> bytes:
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def data_uri(data: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


def word_file() -> bytes:
    document = docx.Document()
    document.add_heading("Tides", 1)
    document.add_paragraph("The Moon pulls the sea towards it.")
    document.add_picture(io.BytesIO(picture()), width=Inches(2))
    document.inline_shapes[0]._inline.docPr.set("descr", "A chart of the tides")
    document.add_paragraph("Spring tides are the highest.")
    document.add_picture(io.BytesIO(picture(8, 8)))  # a bullet-sized picture
    document.add_picture(io.BytesIO(picture(shade=90, kind="GIF")))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_word_picture_goes_beside_the_text_where_it_stood():
    part, found = convert_document(word_file(), "tides.docx")
    assert ("The Moon pulls the sea towards it.\n\n[Figure 1: A chart of the tides]\n\n"
            "Spring tides are the highest.") in part.markdown
    first = found[0]
    assert (first.name, first.kind, first.mime_type, first.within) == (
        "tides.docx, figure 1.png", "image", "image/png", "tides.docx")
    assert first.data == picture()


def test_tiny_pictures_are_skipped_and_gif_becomes_png():
    part, found = convert_document(word_file(), "tides.docx")
    assert [p.name for p in found] == ["tides.docx, figure 1.png", "tides.docx, figure 2.png"]
    assert part.markdown.rstrip().endswith("[Figure 2]")
    with Image.open(io.BytesIO(found[1].data)) as image:
        assert image.format == "PNG" and image.size == (200, 120)


def test_pictures_go_only_to_a_model_that_reads_documents_natively():
    source, errors = load_sources([("tides.docx", word_file())])
    assert not errors and [m.within for m in source.media] == ["tides.docx", "tides.docx"]
    native, _, _ = readable(source, {"pdf", "image"}, "auto")
    as_text, refused, _ = readable(source, {"pdf", "image"}, "text")
    offline, _, _ = readable(source, set(), "auto")
    assert len(native.media) == 2 and as_text.media == [] == offline.media
    assert not refused and offline.parts == source.parts


def slide_deck() -> bytes:
    deck = pptx.Presentation()
    logo = picture(100, 60, shade=250)
    for number, shade in ((1, 10), (2, 130)):
        slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
        slide.shapes.title.text = f"Diagram {number}"
        drawing = slide.shapes.add_picture(io.BytesIO(picture(shade=shade)), 0, 2_000_000)
        drawing._element.nvPicPr.cNvPr.set("descr", f"Cell diagram {number}")
        slide.shapes.add_picture(io.BytesIO(logo), 8_000_000, 6_000_000)  # the same logo
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def test_slide_pictures_are_marked_on_their_slide_and_a_repeated_logo_once():
    part, found = convert_document(slide_deck(), "cells.pptx")
    assert "## Diagram 1\n\n[Figure 1: Cell diagram 1]\n\n[Figure 2]" in part.markdown
    assert "## Diagram 2\n\n[Figure 3: Cell diagram 2]" in part.markdown
    assert part.markdown.count("[Figure") == 3 and len(found) == 3
    assert all(p.within == "cells.pptx" for p in found)


CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf"
 media-type="application/oebps-package+xml"/></rootfiles></container>"""
OPF = """<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0">
<manifest>
 <item id="c1" href="text/c1.xhtml" media-type="application/xhtml+xml"/>
 <item id="f1" href="images/heart.png" media-type="image/png"/>
</manifest>
<spine><itemref idref="c1"/></spine></package>"""
CHAPTER = """<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>
<h1>The heart</h1><p>The heart pumps blood.</p>
<figure><img src="../images/heart.png" alt="The four chambers"/>
<figcaption>Figure: chambers</figcaption></figure>
<p>Valves keep it flowing one way.</p>
<img src="https://example.org/remote.png" alt="A remote picture"/>
<img src="{inline}" alt="An inline sketch"/>
</body></html>"""


def test_epub_pictures_packaged_or_inline_are_kept_and_remote_ones_stay_alt_text():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr("META-INF/container.xml", CONTAINER)
        book.writestr("OEBPS/content.opf", OPF)
        book.writestr("OEBPS/images/heart.png", picture(shade=40))
        book.writestr("OEBPS/text/c1.xhtml",
                      CHAPTER.replace("{inline}", data_uri(picture(shade=200))))
    part, found = convert_document(out.getvalue(), "heart.epub")
    assert ("The heart pumps blood.\n\n[Figure 1: The four chambers]\n\nFigure: chambers"
            in part.markdown)
    assert "A remote picture" in part.markdown and "[Figure 2: An inline sketch]" in part.markdown
    assert [p.data for p in found] == [picture(shade=40), picture(shade=200)]


def test_html_keeps_data_uri_pictures_and_skips_tiny_broken_and_remote_ones():
    page = (f"<html><body><h1>Optics</h1><p>A lens bends light.</p>"
            f"<img src='{data_uri(picture(shade=7))}' alt='Rays through a lens'>"
            f"<img src='{data_uri(picture(1, 1))}' alt='spacer'>"
            f"<img src='data:image/png;base64,bm90IGEgcGljdHVyZQ==' alt='Broken'>"
            f"<img src='//cdn.example.org/x.png' alt='Remote'>"
            f"<img src='{data_uri(picture(shade=7))}' alt='Again'>"
            f"</body></html>").encode()
    part, found = convert_document(page, "optics.html")
    assert "[Figure 1: Rays through a lens]" in part.markdown
    assert len(found) == 1 and found[0].data == picture(shade=7)
    assert "spacer" in part.markdown and "Broken" in part.markdown and "Remote" in part.markdown


def test_a_document_keeps_at_most_the_picture_limit():
    images = "".join(f"<img src='{data_uri(picture(60, 60, shade=n))}'>"
                     for n in range(pictures.MAX_PICTURES + 5))
    part, found = convert_document(f"<p>Many</p>{images}".encode(), "many.html")
    assert len(found) == pictures.MAX_PICTURES
    assert f"[Figure {pictures.MAX_PICTURES}]" in part.markdown
    assert f"[Figure {pictures.MAX_PICTURES + 1}]" not in part.markdown
