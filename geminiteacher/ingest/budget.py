"""The output bound every converter works within, drawn from one budget per file.

A file may make at most `OUTPUT_PER_BYTE` characters of Markdown per byte it weighs (at
least `OUTPUT_FLOOR`, at most `MAX_OUTPUT_CHARS`), so what a converter builds grows at most
linearly with the upload however the file repeats itself. Formats spend from the budget
*before* they build something that can outgrow its input (a table padded to its widest
row, a PDF page drawn from shared content) and refuse with a one-line ConversionError
naming the file once it is spent. Spans are capped at `MAX_SPAN`, tables at
`MAX_TABLE_CELLS`, element nesting kept as structure down to `MAX_DEPTH`.
"""

from __future__ import annotations

from geminiteacher.errors import ConversionError

OUTPUT_PER_BYTE = 20  # characters of Markdown a byte of input may turn into
OUTPUT_FLOOR = 2_000_000  # characters any file may make, however small
MAX_OUTPUT_CHARS = 64_000_000  # characters no file may exceed (~16M tokens: no model takes it)
MAX_SPAN = 50  # columns or rows one table cell may span (colspan, rowspan, gridSpan, vMerge)
MAX_TABLE_CELLS = 100_000  # rows x columns of one table, after spans
MAX_DEPTH = 100  # nesting kept as structure (the walk recurses); deeper is read as plain text
_SPLIT = "split the document into smaller files, or save it as PDF, and upload those"


def output_limit(size: int) -> int:
    """The characters a file of `size` bytes may turn into."""
    return min(MAX_OUTPUT_CHARS, max(OUTPUT_FLOOR, OUTPUT_PER_BYTE * size))


def span(value: object) -> int:
    """A cell's span attribute as a count from 1 to MAX_SPAN (junk counts as 1)."""
    try:
        return max(1, min(int(str(value).strip()), MAX_SPAN))
    except (TypeError, ValueError):
        return 1


class Budget:
    """What one file may still produce; `spend` before building, so nothing outgrows it."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.limit = output_limit(size)
        self.spent = 0

    def spend(self, chars: int) -> None:
        """Count `chars` more characters of output; ConversionError past the limit."""
        self.spent += chars
        if self.spent > self.limit:
            raise ConversionError(
                self.name, f"refused as unsafe: it would turn into over {self.limit:,} "
                f"characters of text, far more than its size holds (repeated or spanned "
                f"content); {_SPLIT}"
            )

    def cells(self, rows: int, columns: int) -> None:
        """ConversionError when a table of this size is over MAX_TABLE_CELLS."""
        if rows * columns > MAX_TABLE_CELLS:
            raise ConversionError(
                self.name, f"refused as unsafe: a table of {rows:,} rows by {columns:,} "
                f"columns is over the limit of {MAX_TABLE_CELLS:,} cells; {_SPLIT}"
            )

    def table(self, rows: int, columns: int) -> None:
        """Check a table's size before it is laid out, and spend its padding."""
        self.cells(rows, columns)
        self.spend(3 * rows * columns)  # "| " and " " around each cell
