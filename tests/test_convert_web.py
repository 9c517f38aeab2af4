"""HTML and EPUB conversion: structure kept, scripts and navigation dropped, chapters in order."""

from __future__ import annotations

import io
import zipfile

import pytest

from geminiteacher.errors import ConversionError
from geminiteacher.ingest.convert import convert_bytes

PAGE = """<!DOCTYPE html>
<html><head><title>Waves</title><style>body { color: red }</style>
<script>document.write("tracking code")</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<div role="navigation"><h3>Sidebar</h3><a href="/next">Next topic</a></div>
<h1>Waves and <em>sound</em><a class="headerlink" href="#w">¶</a></h1>
<p>A wave carries <strong>energy</strong> without carrying matter.<br>See
   <a href="https://example.org/waves">the reference</a> for more.</p>
<h2>Kinds</h2>
<ul><li>Transverse<ul><li>Light</li></ul></li><li>Longitudinal</li></ul>
<ol start="3"><li>Measure the period</li><li>Compute the frequency</li></ol>
<pre><code class="language-python">def frequency(period):
    return 1 / period
</code></pre>
<blockquote><p>Sound needs a medium.</p></blockquote>
<table><tr><th>Wave</th><th>Speed</th></tr><tr><td>Sound</td><td>343 m/s</td></tr></table>
<h3>Notes</h3><p>Use <code>f = 1/T</code> in exercises.</p>
<noscript>Enable JavaScript</noscript><template><p>hidden template</p></template>
</body></html>"""


@pytest.fixture(scope="module")
def page_markdown() -> str:
    return convert_bytes(PAGE.encode(), "waves.html").markdown


def test_html_headings_levels_and_inline_marks(page_markdown):
    headings = [line for line in page_markdown.splitlines() if line.startswith("#")]
    assert headings == ["# Waves and *sound*", "## Kinds", "### Notes"]
    assert "A wave carries **energy** without carrying matter.\nSee the reference for more." in (
        page_markdown
    )


def test_html_scripts_styles_navigation_and_templates_are_dropped(page_markdown):
    for dropped in ("tracking code", "color: red", "About us", "Next topic", "Enable JavaScript",
                    "hidden template", "https://example.org", "¶"):
        assert dropped not in page_markdown


def test_html_lists_nest_and_keep_their_numbers(page_markdown):
    assert "- Transverse\n  - Light\n- Longitudinal" in page_markdown
    assert "3. Measure the period\n4. Compute the frequency" in page_markdown


def test_html_code_quotes_and_tables(page_markdown):
    assert "```python\ndef frequency(period):\n    return 1 / period\n```" in page_markdown
    assert "> Sound needs a medium." in page_markdown
    assert "| Wave | Speed |\n| --- | --- |\n| Sound | 343 m/s |" in page_markdown
    assert "Use `f = 1/T` in exercises." in page_markdown


def test_html_without_h1_takes_its_title_as_heading():
    part = convert_bytes(b"<html><head><title>Optics</title></head><body><p>Lenses.</p>"
                         b"</body></html>", "optics.htm")
    assert part.markdown == "# Optics\n\nLenses.\n"
    assert part.kind == "html"


def test_html_is_recognised_by_content_under_another_name():
    part = convert_bytes(PAGE.encode(), "download")
    assert part.kind == "html" and "## Kinds" in part.markdown


CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf"
 media-type="application/oebps-package+xml"/></rootfiles></container>"""


def chapter(body: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>ignored</title></head><body>{body}</body></html>")


def epub(*, ncx: bool = False, extra: dict[str, str] | None = None) -> bytes:
    """A small EPUB: the spine lists chapter two's file before chapter one's on purpose."""
    nav = ('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml" '
           'xmlns:epub="http://www.idpf.org/2007/ops"><body><nav epub:type="toc"><ol>'
           '<li><a href="text/b.xhtml">The Atom</a></li>'
           '<li><a href="text/a.xhtml#start">Molecules</a></li></ol></nav></body></html>')
    toc = ('<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>'
           '<navPoint id="n1"><navLabel><text>The Atom</text></navLabel>'
           '<content src="text/b.xhtml"/></navPoint>'
           '<navPoint id="n2"><navLabel><text>Molecules</text></navLabel>'
           '<content src="text/a.xhtml"/></navPoint></navMap></ncx>')
    items = ('<item id="a" href="text/a.xhtml" media-type="application/xhtml+xml"/>'
             '<item id="b" href="text/b.xhtml" media-type="application/xhtml+xml"/>'
             '<item id="css" href="style.css" media-type="text/css"/>')
    items += ('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>' if ncx else
              '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" '
              'properties="nav"/>')
    spine_attr = ' toc="ncx"' if ncx else ""
    first = "" if ncx else '<itemref idref="nav"/>'
    opf = ('<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
           f'<manifest>{items}</manifest><spine{spine_attr}>{first}'
           '<itemref idref="b"/><itemref idref="a"/></spine></package>')
    files = {
        "META-INF/container.xml": CONTAINER,
        "OEBPS/content.opf": opf,
        "OEBPS/toc.ncx" if ncx else "OEBPS/nav.xhtml": toc if ncx else nav,
        "OEBPS/text/b.xhtml": chapter("<p>Atoms have a nucleus and electrons.</p>"),
        "OEBPS/text/a.xhtml": chapter("<h1>Molecules and bonds</h1><p>Atoms share electrons."
                                      "</p><h2>Covalent bonds</h2><p>Shared pairs.</p>"),
        "OEBPS/style.css": "p { margin: 0 }",
        **(extra or {}),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        for name, text in files.items():
            book.writestr(name, text)
    return out.getvalue()


def test_epub_chapters_follow_the_spine_with_their_titles():
    part = convert_bytes(epub(), "chemistry.epub")
    headings = [line for line in part.markdown.splitlines() if line.startswith("#")]
    assert headings == ["# The Atom", "# Molecules and bonds", "## Covalent bonds"]
    assert part.markdown.index("nucleus") < part.markdown.index("share electrons")
    assert part.kind == "epub" and "Molecules\n" not in part.markdown  # the nav page is skipped


def test_epub2_takes_chapter_titles_from_the_ncx():
    markdown = convert_bytes(epub(ncx=True), "chemistry.epub").markdown
    assert markdown.startswith("# The Atom\n\nAtoms have a nucleus and electrons.")


def test_epub_with_drm_is_refused_with_advice():
    encryption = ('<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                  'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
                  '<enc:CipherData><enc:CipherReference URI="OEBPS/text/b.xhtml"/>'
                  "</enc:CipherData></enc:EncryptedData></encryption>")
    with pytest.raises(ConversionError, match=r"locked\.epub: .*DRM.*DRM-free"):
        convert_bytes(epub(extra={"META-INF/encryption.xml": encryption}), "locked.epub")


def test_epub_without_container_is_refused_as_damaged():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr("OEBPS/content.opf", "<package/>")
    with pytest.raises(ConversionError, match=r"odd\.epub: .*damaged.*container\.xml.*again"):
        convert_bytes(out.getvalue(), "odd.epub")
