"""Ingestion: pages per second and word recovery on a manual-like PDF, ours vs markitdown.

The PDF is made with reportlab at bench time: chapters and numbered sections (with
bookmarks), body paragraphs, a two-column part, specification tables, a running header and
a page number on every page. Word recovery is the share of the known source words (headings,
paragraphs and table cells in reading order; never the running header or page numbers)
found in order in the output: the longest common subsequence of the two word lists.
markitdown is installed only for the benchmark (`pip install 'markitdown[pdf]'`); without
it, its figures say "skipped". Goals (ours only): recovery >= 0.98 and no running header left.
"""

from __future__ import annotations

import difflib
import random
import re
import tempfile
import time
from pathlib import Path

from bench.report import Figure, Goal

NAME = "ingestion"
HEADER = "Orbital Pump Series Field Manual"
_SYLLABLES = ("ka", "ro", "ti", "men", "sul", "vor", "pa", "de", "lin", "gra", "tos", "bel",
              "mi", "nor", "qua", "fen", "dru", "sil", "ob", "ter", "an", "ex", "pol", "ric",
              "ve", "la", "dun", "cor", "hal")
_SMALL = ("the", "of", "and", "to", "in", "a", "is", "for", "with", "on", "as", "by")
_TOKEN = re.compile(r"[a-z0-9]+")


class Manual:
    """Builds the PDF and remembers the words a reader should get back, in order."""

    def __init__(self, seed: int = 3) -> None:
        self.rng = random.Random(seed)
        self.words: list[str] = []
        self.headings: list[str] = []

    def word(self) -> str:
        if self.rng.random() < 0.25:
            return self.rng.choice(_SMALL)
        return "".join(self.rng.choices(_SYLLABLES, k=self.rng.randint(1, 4)))

    def text(self, count: int) -> str:
        """A run of sentences of about `count` words, recorded as source words."""
        sentences, made = [], 0
        while made < count:
            words = [self.word() for _ in range(self.rng.randint(6, 20))]
            made += len(words)
            sentences.append(" ".join(words).capitalize() + ".")
        text = " ".join(sentences)
        self.words += tokens(text)
        return text

    def heading(self, text: str) -> str:
        self.headings.append(text)
        self.words += tokens(text)
        return text

    def build(self, path: Path, chapters: int) -> int:
        """Write the PDF; returns its page count."""
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import getSampleStyleSheet
        from reportlab.lib.units import cm
        from reportlab.platypus import (
            BaseDocTemplate,
            Frame,
            NextPageTemplate,
            PageBreak,
            PageTemplate,
            Paragraph,
            Table,
        )

        styles = getSampleStyleSheet()
        width, height = A4
        margin = 2 * cm

        def furniture(canvas, doc) -> None:
            canvas.setFont("Helvetica", 8)
            canvas.drawString(margin, height - 1.2 * cm, HEADER)
            canvas.drawRightString(width - margin, 1.2 * cm, f"Page {doc.page}")

        class Doc(BaseDocTemplate):
            def afterFlowable(self, flowable) -> None:
                level = {"Heading1": 0, "Heading2": 1}.get(getattr(flowable, "style", None)
                                                           and flowable.style.name)
                if level is not None:
                    key = f"h{id(flowable)}"
                    self.canv.bookmarkPage(key)
                    self.canv.addOutlineEntry(flowable.getPlainText(), key, level)

        body = (width - 2 * margin, height - 2 * margin)
        half = (body[0] - 0.6 * cm) / 2
        doc = Doc(str(path), pagesize=A4, title="Field manual")
        doc.addPageTemplates([
            PageTemplate("one", [Frame(margin, margin, *body)], onPage=furniture),
            PageTemplate("two", [Frame(margin, margin, half, body[1]),
                                 Frame(margin + half + 0.6 * cm, margin, half, body[1])],
                         onPage=furniture),
        ])
        story = []
        for c in range(1, chapters + 1):
            two = c % 4 == 0
            story += [NextPageTemplate("two" if two else "one"), PageBreak()] if c > 1 else []
            story.append(Paragraph(self.heading(f"Chapter {c} {self.text_title()}"),
                                   styles["Heading1"]))
            for s in range(1, 4):
                story.append(Paragraph(self.heading(f"{c}.{s} {self.text_title()}"),
                                       styles["Heading2"]))
                for _ in range(3):
                    story.append(Paragraph(self.text(self.rng.randint(60, 120)),
                                           styles["BodyText"]))
                if s == 2 and not two:
                    story.append(self.table(Table))
        doc.build(story)
        return doc.page

    def text_title(self) -> str:
        words = [self.word().capitalize() for _ in range(self.rng.randint(2, 4))]
        return " ".join(words)

    def table(self, table_class):
        """A parameter / value / unit table: lines with three columns of words."""
        rows = []
        for _ in range(self.rng.randint(3, 6)):
            row = [self.word(), str(self.rng.randint(1, 999)), self.word()]
            self.words += [w for cell in row for w in tokens(cell)]
            rows.append(row)
        return table_class(rows)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def recovery(source: list[str], output: str) -> float:
    """The share of `source` words found in order in `output`."""
    got = tokens(output)
    matcher = difflib.SequenceMatcher(None, source, got, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(source)


def _markitdown():
    try:
        from markitdown import MarkItDown
    except ImportError:
        return None
    return MarkItDown()


def measure(name: str, convert, path: Path, pages: int, manual: Manual) -> list[Figure]:
    """Time one converter on the manual (after a one-page warm-up) and score its output."""
    warm = path.with_name("warm.pdf")
    Manual(seed=4).build(warm, chapters=1)
    convert(warm)
    started = time.perf_counter()
    text = convert(path)
    seconds = time.perf_counter() - started
    ours = name == "ours"
    heading_lines = {line.lstrip("#").strip() for line in text.splitlines()
                     if line.startswith("#")}
    kept = sum(h in heading_lines for h in manual.headings) / len(manual.headings)
    return [
        Figure(NAME, f"{name}: pages per second", pages / seconds, "pages/s"),
        Figure(NAME, f"{name}: word recovery", recovery(manual.words, text),
               goal=Goal("value", ">=", 0.98) if ours else None),
        Figure(NAME, f"{name}: running headers left", text.count(HEADER), "", pages,
               goal=Goal("value", "==", 0) if ours else None),
        Figure(NAME, f"{name}: headings kept as Markdown headings", kept),
    ]


def run_scenario(quick: bool) -> list[Figure]:
    from geminiteacher.ingest.convert import convert_to_markdown

    manual = Manual()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manual.pdf"
        pages = manual.build(path, chapters=15 if quick else 50)
        figures = [Figure(NAME, "pages in the PDF", pages)]
        figures += measure("ours", convert_to_markdown, path, pages, manual)
        markitdown = _markitdown()
        if markitdown is None:
            figures.append(Figure(NAME, "markitdown", "skipped: pip install 'markitdown[pdf]'"))
        else:
            figures += measure("markitdown", lambda p: markitdown.convert(str(p)).text_content,
                               path, pages, manual)
    return figures
