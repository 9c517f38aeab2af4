"""A second quality corpus, of other shapes than `tests/corpus.py`, built at test time.

- `book_pdf()`: a multi-part book (bookmarked parts and chapters): a small quick start, a
  large user manual whose part opens with a release line, a copyright and its own contents,
  a small FAQ, release notes and the GNU GPL as an appendix.
- `lecture_pptx()`: a six-slide lecture of bullet statements (python-pptx).
- `licence_html()`: an HTML manual whose title page holds a BSD-style licence, with
  permalink marks after its headings ("Streams#", "¶").
- `two_subjects()`: two files on different subjects (cell biology, stars).

`sources()` converts them as uploads; the rules of `tests/corpus.py` judge the courses.
"""

from __future__ import annotations

import io

import pptx
from reportlab.lib.pagesizes import A4
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

from tests.corpus import STYLES, _heading

TOOL = "Heapwatch"
# The user manual: chapter -> sections -> paragraphs. Each says something a learner can use.
MANUAL = {
    "1. Running programs under Heapwatch": {
        "1.1 Starting a profile": [
            "Heapwatch runs your program on a simulated processor and records every heap "
            "allocation it makes. A profile is the record of those allocations over time.",
            "You start a profile by putting the heapwatch command before your program and its "
            "arguments. The program runs about twenty times slower than usual, so a short "
            "test input is the best choice for a first profile.",
        ],
        "1.2 Choosing what to measure": [
            "The sampling interval decides how often Heapwatch takes a snapshot of the heap. "
            "A short sampling interval gives a detailed profile but a larger output file.",
            "Stack depth limits how many callers Heapwatch records for each allocation. A deep "
            "stack shows the full path to an allocation, while a shallow stack keeps the "
            "profile small and quick to read.",
        ],
    },
    "2. Reading a profile": {
        "2.1 The snapshot graph": [
            "The snapshot graph shows the total heap size of the program at each snapshot. "
            "Peaks in the snapshot graph mark the moments when the program held the most "
            "memory.",
            "A detailed snapshot lists the allocation sites that held memory at that moment. "
            "An allocation site is a place in the source code that calls an allocator.",
        ],
        "2.2 Allocation trees": [
            "An allocation tree groups allocation sites by the functions that called them. "
            "The root of the allocation tree holds all heap memory, and each branch holds the "
            "memory allocated below one caller.",
            "Branches that hold less than one percent of the heap are merged into a single "
            "entry, so the allocation tree stays readable for large programs.",
        ],
    },
    "3. Finding memory leaks": {
        "3.1 What counts as a leak": [
            "A memory leak is a block of heap memory that the program can no longer reach "
            "through any pointer. Leaked blocks waste memory until the program exits.",
            "Heapwatch scans the registers, the stacks and the heap for pointers when the "
            "program ends. A block that no pointer reaches is reported as definitely lost.",
        ],
        "3.2 Fixing leaks": [
            "The leak report shows the allocation stack of every lost block. The allocation "
            "stack tells you where the block was made, which is usually close to where it "
            "should be freed.",
            "Suppression files hide known leaks in system libraries. A suppression file "
            "lists the stacks of leaks that Heapwatch should not report.",
        ],
    },
    "4. Profiling threaded programs": {
        "4.1 Threads and the heap": [
            "Heapwatch serialises the threads of a program, so only one thread runs at a "
            "time. Serialisation keeps the profile exact but hides timing problems between "
            "threads.",
            "Each thread keeps its own allocation cache. The per-thread cache makes small "
            "allocations fast, and Heapwatch counts cached blocks as heap memory.",
        ],
        "4.2 Lock contention": [
            "Lock contention happens when threads wait for a lock that another thread holds. "
            "Heapwatch reports the locks that threads waited on the longest.",
            "A contention report lists each lock with its total waiting time. Reducing the "
            "work done while holding a lock is the usual cure for contention.",
        ],
    },
    "5. Output files and tools": {
        "5.1 The output file": [
            "Heapwatch writes one output file per run, named after the process identifier. "
            "The output file is plain text, so other tools can read it.",
            "The heapwatch-print tool turns an output file into a readable report with the "
            "snapshot graph and the allocation trees.",
        ],
        "5.2 Comparing runs": [
            "The heapwatch-diff tool compares two output files and shows which allocation "
            "sites grew. Comparing runs before and after a change shows whether the change "
            "saved memory.",
            "A regression test can run heapwatch-diff on every build and fail when the peak "
            "heap size grows beyond a threshold.",
        ],
    },
}
QUICK_START = [
    "Compile your program with debugging information so that Heapwatch can name the "
    "functions in its reports.",
    "Run the program under heapwatch, then open the output file with heapwatch-print.",
]
FAQ = [
    "Heapwatch reports memory that my program frees at exit as a leak. A block freed after "
    "the final scan is still counted, so free memory before the program returns from main.",
    "The profile of my program is empty. Programs that allocate only on the stack make no "
    "heap allocations for Heapwatch to record.",
]
PART_FRONT = [
    "Release 4.2.0 12 May 2024 Copyright © 2010-2024 Heapwatch Developers",
    "Table of Contents",
    "1. Running programs under Heapwatch 1 1.1 Starting a profile 1 1.2 Choosing what to "
    "measure 2",
    "2. Reading a profile 3 2.1 The snapshot graph 3 2.2 Allocation trees 4",
]
RELEASE_NOTES = [
    "Release 4.2.0 adds the heapwatch-diff tool and fixes a crash on empty programs.",
    "Release 4.1.0 speeds up the leak scan on programs with large heaps.",
]
GPL = [
    "This program is free software; you can redistribute it and/or modify it under the terms "
    "of the GNU General Public License as published by the Free Software Foundation.",
    "This program is distributed in the hope that it will be useful, but WITHOUT ANY "
    "WARRANTY; without even the implied warranty of MERCHANTABILITY.",
]


def book_pdf() -> bytes:
    """The multi-part book as PDF bytes: parts and chapters are bookmarks."""
    body = STYLES["BodyText"]
    story = [Paragraph(f"{TOOL} Documentation", STYLES["Title"]), PageBreak()]
    story += _heading(f"The {TOOL} Quick Start Guide")
    story += [Paragraph(text, body) for text in QUICK_START] + [PageBreak()]
    story += _heading(f"{TOOL} User Manual")
    story += [Paragraph(text, body) for text in PART_FRONT] + [PageBreak()]
    for chapter, sections in MANUAL.items():
        story += _heading(chapter, 1)
        for section, paragraphs in sections.items():
            story.append(Paragraph(section, STYLES["Heading3"]))
            story += [Paragraph(text, body) for text in paragraphs]
    story.append(PageBreak())
    story += _heading(f"{TOOL} FAQ") + [Paragraph(text, body) for text in FAQ]
    story += _heading("Release Notes") + [Paragraph(text, body) for text in RELEASE_NOTES]
    story += _heading("Appendix A. The GNU General Public License")
    story += [Paragraph(text, body) for text in GPL]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=TOOL).build(story)
    return out.getvalue()


SLIDES = {
    "Photosynthesis": ["Plants turn light into chemical energy",
                       "Chloroplasts hold the machinery of photosynthesis"],
    "Light reactions": ["Chlorophyll absorbs red and blue light",
                        "Photosystem II splits water and releases O2",
                        "The light reactions make ATP and NADPH"],
    "The Calvin cycle": ["The Calvin cycle fixes CO2 into sugar",
                         "Rubisco attaches CO2 to a five-carbon sugar",
                         "The cycle spends the ATP and NADPH from the light reactions"],
    "Limiting factors": ["Light intensity limits the rate in dim conditions",
                         "Temperature limits the rate by slowing the enzymes",
                         "CO2 concentration limits the rate in bright light"],
    "C4 and CAM plants": ["C4 plants concentrate CO2 around rubisco in bundle sheath cells",
                          "CAM plants open their stomata at night to save water"],
    "Summary": ["Photosynthesis stores light energy in the bonds of sugar",
                "Respiration releases that energy again in the mitochondria"],
}


def lecture_pptx() -> bytes:
    """The lecture as .pptx bytes: a title and a bulleted body per slide."""
    deck = pptx.Presentation()
    layout = deck.slide_layouts[1]
    for title, bullets in SLIDES.items():
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = title
        frame = slide.placeholders[1].text_frame
        frame.text = bullets[0]
        for bullet in bullets[1:]:
            frame.add_paragraph().text = bullet
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def licence_html() -> str:
    """An HTML manual with its licence on the title page and permalink marks on headings."""
    return """<!doctype html><html><head><title>zstream manual</title></head><body>
<h1>zstream, version 2.1.4<a class="anchor" href="#top">#</a></h1>
<h2>A library for stream compression</h2>
<p>Jane Roe, https://zstream.example.org/ zstream, version 2.1.4</p>
<p>Copyright © 2019-2024 Jane Roe. All rights reserved.</p>
<p>Redistribution and use in source and binary forms, with or without modification, are
permitted provided that the following conditions are met:</p>
<ul><li>Redistributions of source code must retain the above copyright notice.</li>
<li>The origin of this software must not be misrepresented; if you use this software in a
product, an acknowledgment in the product documentation would be appreciated.</li></ul>
<p>THIS SOFTWARE IS PROVIDED BY THE AUTHOR "AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES
ARE DISCLAIMED.</p>
<h2>1. Introduction<a href="#intro">#</a></h2>
<p>zstream compresses data as a stream, so a program never needs the whole input in
memory. A stream is a sequence of bytes that a program reads or writes in order.</p>
<p>The library works in blocks. A block is a run of input bytes that zstream compresses on
its own, and the block size sets how much memory compression needs.</p>
<h2>2. Streams<a href="#streams">#</a></h2>
<p>A stream handle is an object that remembers the state of one compression. The caller
creates a stream handle, feeds it input buffers and collects output buffers.</p>
<p>The caller maintains input and output buffers and passes them to zstream_step on each
call. A stream handle is finished when zstream_end returns the last output buffer.</p>
<h2>3. Error handling<a href="#errors">¶</a></h2>
<p>Every function returns a status code. A status code below zero means that the call
failed and that the stream handle must be closed.</p>
<p>Corrupt input is the most common cause of failure. A checksum at the end of each
block lets zstream detect corrupt input before it returns any bytes.</p>
</body></html>"""


CELLS = """# Cell transport

Osmosis is the movement of water across a membrane towards the side with more solutes.
A hypertonic solution draws water out of a cell, and the cell shrinks. A hypotonic solution
pushes water into a cell until the cell swells.

The sodium-potassium pump moves three sodium ions out of the cell for every two potassium
ions it brings in. The pump uses energy from ATP to work against the concentration gradient.
Active transport is the movement of molecules against their gradient, and it always costs
energy.
"""
STARS = """# Stars

A star is a ball of hot gas that shines because nuclear fusion runs in its core. Fusion
joins hydrogen nuclei into helium and releases energy as light.

The main sequence is the long stable phase in which a star fuses hydrogen in its core.
A red giant is a late phase in which the core has run out of hydrogen and the outer layers
swell. A white dwarf is the small hot core that remains when a red giant sheds its layers.
"""


def uploads() -> dict[str, list[tuple[str, bytes]]]:
    """Each course's uploads: the book, the lecture, the licensed manual, two subjects."""
    return {
        "book": [("heapwatch.pdf", book_pdf())],
        "lecture": [("photosynthesis.pptx", lecture_pptx())],
        "licence": [("zstream.html", licence_html().encode())],
        "two subjects": [("cells.md", CELLS.encode()), ("stars.md", STARS.encode())],
    }


def sources() -> dict[str, str]:
    """Each course's converted Markdown source."""
    from geminiteacher.ingest.convert import load_sources

    return {name: load_sources(files)[0].markdown for name, files in uploads().items()}
