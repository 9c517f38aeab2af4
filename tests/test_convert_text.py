"""Plain text and Markdown: any common encoding decodes right; binary noise is refused."""

from __future__ import annotations

import random

import pytest

from geminiteacher.errors import ConversionError
from geminiteacher.ingest.convert import convert_bytes

SAMPLES = {
    "utf-8": "Die Schüler lernen Thermodynamik: Energie, Entropie und Wärme. 熱力学 ✓",
    "utf-8-sig": "Le cours commence par l’énergie et finit par l’entropie.",
    "utf-16": "Unicode text with a byte-order mark: ünïcödé, ελληνικά, русский.",
    "utf-16-be": "\ufeffBig-endian UTF-16 with its mark: façade, naïve, Ærø.",
    "cp1252": "Café crème brûlée — “quoted” naïve façade. Les élèves étudient l’énergie.",
    "latin-1": "Señor Muñoz está aquí. ¿Qué tal? El niño comió piña en el año pasado.",
    "shift_jis": "日本語のテキストです。熱力学の第一法則はエネルギー保存の法則です。",
    "gb18030": "这是中文文本。热力学第一定律是能量守恒定律，第二定律是熵增加原理。",
    "cp1251": "Студенты изучают термодинамику, энергию и энтропию в университете.",
}


@pytest.mark.parametrize("encoding", SAMPLES)
def test_text_in_common_encodings_decodes_exactly(encoding):
    text = SAMPLES[encoding]
    part = convert_bytes(text.encode(encoding), f"notes-{encoding}.txt")
    assert part.markdown == text.lstrip("\ufeff")
    assert part.kind == "txt"


def test_windows_line_endings_become_newlines():
    part = convert_bytes(b"first line\r\nsecond line\r\n", "dos.txt")
    assert part.markdown == "first line\nsecond line\n"


def test_markdown_is_kept_as_written():
    source = "# Title\n\n- item\n\n```\ncode\n```\n"
    part = convert_bytes(source.encode(), "notes.md")
    assert part.markdown == source and part.kind == "md"
    assert part.words == len(source.split())


def test_binary_noise_named_txt_is_refused():
    noise = random.Random(7).randbytes(4096)
    with pytest.raises(ConversionError, match=r"noise\.txt: .*binary data.*upload the original"):
        convert_bytes(noise, "noise.txt")


def test_text_with_nul_bytes_is_refused():
    with pytest.raises(ConversionError, match=r"dump\.txt: .*binary data"):
        convert_bytes(b"header\x00\x00\x01\x02 body text" * 20, "dump.txt")


def test_text_of_control_characters_is_refused():
    with pytest.raises(ConversionError, match=r"ctrl\.txt: .*not text"):
        convert_bytes(bytes(range(1, 32)) * 40, "ctrl.txt")


def test_whitespace_only_file_counts_as_empty():
    with pytest.raises(ConversionError, match=r"blank\.md: the file is empty"):
        convert_bytes(b"  \n\t\n", "blank.md")
