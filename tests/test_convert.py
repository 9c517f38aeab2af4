"""The converter's front door: type from content, limits, bad inputs, several files, size checks."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from reportlab.pdfgen import canvas

from geminiteacher.errors import ConversionError, SettingsError, SourceTooLargeError
from geminiteacher.ingest import convert as converter
from geminiteacher.ingest.convert import (
    check_size,
    convert_bytes,
    convert_file,
    convert_to_markdown,
    estimate_tokens,
    load_sources,
)
from geminiteacher.models import Source, SourcePart


def pdf_bytes(text: str = "Entropy always increases in an isolated system.") -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    pdf.drawString(72, 700, text)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def docx_bytes(text: str = "Heat flows from hot to cold.") -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bytes(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_pdf_named_docx_is_read_as_a_pdf():
    part = convert_bytes(pdf_bytes(), "really-a-pdf.docx")
    assert part.kind == "pdf" and "Entropy always increases" in part.markdown


def test_docx_named_pdf_is_read_as_a_docx():
    part = convert_bytes(docx_bytes(), "really-a-docx.pdf")
    assert part.kind == "docx" and "Heat flows" in part.markdown


def test_text_named_pdf_is_refused_as_misnamed():
    with pytest.raises(ConversionError, match=r"notes\.pdf: .*ends in \.pdf but this is not a "
                                              r"PDF \(it holds plain text\).*extension"):
        convert_bytes(b"just some notes\n", "notes.pdf")


def test_noise_named_docx_is_refused_as_misnamed():
    with pytest.raises(ConversionError, match=r"x\.docx: .*not a Word document .*binary data"):
        convert_bytes(bytes(range(256)) * 4, "x.docx")


@pytest.mark.parametrize(("data", "what"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG image.*OCR"),
    (b"\xff\xd8\xff\xe0" + bytes(64), "JPEG image"),
    (b"{\\rtf1\\ansi Hello}", "RTF document.*\\.docx or PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "old-style.*save it as \\.docx"),
    (b"\x1f\x8b\x08\x00" + bytes(64), "gzip archive.*unpack"),
])
def test_unsupported_types_are_named_with_advice(data, what):
    with pytest.raises(ConversionError, match=rf"file\.bin: this is an? {what}"):
        convert_bytes(data, "file.bin")


def test_plain_zip_is_refused_as_not_a_document():
    with pytest.raises(ConversionError, match=r"a\.zip: .*ZIP archive, not a document.*unpack"):
        convert_bytes(zip_bytes({"notes.txt": b"hello"}), "a.zip")


def test_zip_named_docx_without_a_document_inside_is_misnamed():
    with pytest.raises(ConversionError, match=r"fake\.docx: .*not a Word document .*ZIP"):
        convert_bytes(zip_bytes({"notes.txt": b"hello"}), "fake.docx")


def test_excel_workbook_is_refused_with_advice():
    data = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
    with pytest.raises(ConversionError, match=r"book\.xlsx: .*Excel.*PDF or CSV"):
        convert_bytes(data, "book.xlsx")


def test_docx_shell_with_a_broken_document_is_refused_as_damaged():
    data = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<not xml"})
    with pytest.raises(ConversionError, match=r"shell\.docx: could not be read as a Word "
                                              r"document .*fresh copy"):
        convert_bytes(data, "shell.docx")


def test_truncated_docx_is_refused_as_cut_short():
    data = docx_bytes()
    with pytest.raises(ConversionError, match=r"cut\.docx: .*damaged or cut short"):
        convert_bytes(data[: len(data) // 2], "cut.docx")


def test_zip_bomb_by_ratio_is_refused():
    data = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": bytes(20 << 20)})
    with pytest.raises(ConversionError, match=r"bomb\.docx: refused as unsafe: .*word/document"
                                              r"\.xml would unpack .* times"):
        convert_bytes(data, "bomb.docx")


def test_zip_that_unpacks_past_the_total_limit_is_refused(monkeypatch):
    monkeypatch.setattr(converter, "MAX_ZIP_TOTAL_BYTES", 4096)
    data = zip_bytes({"mimetype": b"application/epub+zip", "big.xhtml": b"x" * 5000},
                     zipfile.ZIP_STORED)
    with pytest.raises(ConversionError, match=r"big\.epub: refused as unsafe: .*unpack to "
                                              r"5 KB, over the 4 KB limit"):
        convert_bytes(data, "big.epub")


def test_zip_with_too_many_entries_is_refused(monkeypatch):
    monkeypatch.setattr(converter, "MAX_ZIP_ENTRIES", 3)
    data = zip_bytes({f"word/{n}.xml": b"<x/>" for n in range(5)})
    with pytest.raises(ConversionError, match=r"many\.docx: refused as unsafe: it holds 5 files"):
        convert_bytes(data, "many.docx")


def test_empty_file_is_refused():
    with pytest.raises(ConversionError, match=r"^empty\.pdf: the file is empty; "):
        convert_bytes(b"", "empty.pdf")


def test_file_over_the_size_limit_is_refused_before_reading(monkeypatch, tmp_path):
    monkeypatch.setenv(converter.MAX_FILE_ENV, "0.001")
    big = tmp_path / "big.txt"
    big.write_text("word " * 400)
    with pytest.raises(ConversionError, match=r"big\.txt: the file is 2 KB, over the 1 KB "
                                              r"limit; .*GEMINITEACHER_MAX_FILE_MB"):
        convert_file(big)


def test_default_size_limit_is_the_pages_upload_limit(monkeypatch):
    monkeypatch.delenv(converter.MAX_FILE_ENV, raising=False)
    config = (Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text()
    upload_mb = int(re.search(r"^maxUploadSize\s*=\s*(\d+)", config, re.M).group(1))
    assert converter.max_file_bytes() == upload_mb * converter.MB


def test_bad_size_limit_setting_is_a_settings_error(monkeypatch):
    monkeypatch.setenv(converter.MAX_FILE_ENV, "lots")
    with pytest.raises(SettingsError, match="GEMINITEACHER_MAX_FILE_MB"):
        convert_bytes(b"text", "a.txt")


def test_missing_file_is_a_conversion_error(tmp_path):
    with pytest.raises(ConversionError, match=r"gone\.pdf: cannot be opened .*check the path"):
        convert_file(tmp_path / "gone.pdf")


def test_error_messages_are_one_line():
    with pytest.raises(ConversionError) as caught:
        convert_bytes(bytes(range(256)) * 4, "x.txt")
    assert "\n" not in str(caught.value) and caught.value.filename == "x.txt"


def test_convert_to_markdown_returns_and_saves_the_markdown(tmp_path):
    source = tmp_path / "lecture.html"
    source.write_text("<h1>Forces</h1><p>Push and pull.</p>")
    markdown = convert_to_markdown(source, output_dir=tmp_path / "out")
    assert markdown == "# Forces\n\nPush and pull.\n"
    assert (tmp_path / "out" / "lecture.md").read_text(encoding="utf-8") == markdown


def test_load_sources_keeps_upload_order_and_reports_the_bad_file(tmp_path):
    first = tmp_path / "1-intro.md"
    first.write_text("Intro text.")
    items = [first, ("2-broken.pdf", b"%PDF-1.4 broken"), ("3-notes.docx", docx_bytes()),
             ("4-slides.pdf", pdf_bytes())]
    source, errors = load_sources(items)
    assert [part.name for part in source.parts] == ["1-intro.md", "3-notes.docx", "4-slides.pdf"]
    assert [error.filename for error in errors] == ["2-broken.pdf"]
    markdown = source.markdown
    assert markdown.startswith("# 1-intro.md\n\nIntro text.")
    assert markdown.index("# 3-notes.docx") < markdown.index("# 4-slides.pdf")
    assert source.words == sum(part.words for part in source.parts)


def test_load_sources_accepts_a_single_path(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("alone")
    source, errors = load_sources(path)
    assert [part.name for part in source.parts] == ["one.txt"] and errors == []


def test_estimate_tokens_counts_about_four_characters_a_token():
    assert estimate_tokens("abcd" * 100) == 100
    assert estimate_tokens("") == 0


def test_estimate_tokens_counts_cjk_characters_one_each():
    assert estimate_tokens("熱力学" * 10) == 30
    assert estimate_tokens("ab熱力") == 3


def test_check_size_returns_the_count_when_the_source_fits():
    source = Source.from_text("word " * 100)
    assert check_size(source, context_window=10_000, reserve=100) == 125


def test_check_size_refuses_a_source_too_large_and_names_the_biggest_files():
    source = Source([SourcePart("big.pdf", "x" * 40_000), SourcePart("small.md", "y" * 400)])
    with pytest.raises(SourceTooLargeError) as caught:
        check_size(source, context_window=10_000, reserve=1_000)
    message = str(caught.value)
    assert "10,1" in message and "9,000" in message and "10,000" in message
    assert "big.pdf ~10,000" in message and message.index("big.pdf") < message.index("small.md")
    assert "remove some files or split" in message and "\n" not in message


def test_check_size_uses_the_count_it_is_given():
    source = Source.from_text("short")
    with pytest.raises(SourceTooLargeError, match="about 2,000,000 tokens"):
        check_size(source, context_window=1_000_000, count=lambda text: 2_000_000)
