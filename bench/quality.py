"""Course quality: how usable the offline engine's chapters are on real-manual-like documents.

The corpus is `tests/corpus.py`, built at bench time: a Texinfo-style PDF (title page,
contents, code, the GNU FDL, an index), an HTML API reference, a README and lecture notes,
each alone and all four as one source. Every chapter of the offline courses is checked
with the corpus's own rules: it teaches (it is not front or back matter), its summary is
complete prose sentences (no code, no opening connective), its key terms say more than
the term, and its review questions are well formed. The goals are on the corpus.

Where the machine has them (Debian's documentation packages), the same is reported for
real manuals: GNU libtasn1's Texinfo PDF, the shared-mime-info specification PDF, the
base-passwd DocBook HTML guide and libffi's Texinfo HTML pages (all as one source).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from bench.report import Figure, Goal
from geminiteacher.ingest.convert import load_sources
from tests import corpus

NAME = "quality"
DOCS = Path("/usr/share/doc")
REAL = (("libtasn1-doc/libtasn1.pdf",), ("shared-mime-info/shared-mime-info-spec.pdf",),
        ("base-passwd/users-and-groups.html",), ("libffi8/html/*.html",))


def shares(sources: Iterable[str]) -> tuple[int, list[tuple[str, float, int]]]:
    """Chapters written, and (what, share, out of) for each quality rule."""
    chapters = [c for source in sources for c in corpus.offline_course(source)]
    terms = [t for c in chapters for t in corpus.key_terms_of(c.extension)]
    questions = [q for c in chapters for q in corpus.questions_of(c.extension)]
    count = max(len(chapters), 1)
    return len(chapters), [
        ("chapters that teach (not front/back matter)",
         sum(not corpus.is_front_or_back_matter(c.title, c.explanation) for c in chapters)
         / count, len(chapters)),
        ("clean summaries", sum(corpus.summary_is_clean(c.summary) for c in chapters) / count,
         len(chapters)),
        ("key terms defined by more than the term",
         sum(len(d.split()) >= len(t.split()) + 3 for t, d in terms) / max(len(terms), 1),
         len(terms)),
        ("well-formed review questions",
         sum(corpus.question_is_well_formed(q) for q in questions) / max(len(questions), 1),
         len(questions)),
    ]


def real_manuals() -> list[str] | None:
    """The real manuals' sources, or None when the machine lacks any of them."""
    groups = [sorted(p for pattern in group for p in DOCS.glob(pattern)) for group in REAL]
    if not all(groups):
        return None
    return [load_sources(files)[0].markdown for files in groups]


def run_scenario(quick: bool) -> list[Figure]:
    started = time.perf_counter()
    _, rules = shares(corpus.sources().values())
    seconds = time.perf_counter() - started
    every = Goal("value", ">=", 1.0)
    figures = [Figure(NAME, f"corpus: share of {what} (of {n})", value, goal=every)
               for what, value, n in rules]
    figures.append(Figure(NAME, "corpus: seconds to convert it and write every course",
                          seconds, "s"))
    manuals = real_manuals()
    if manuals is None:
        return [*figures, Figure(NAME, "real manuals", "skipped: not installed in " + str(DOCS))]
    _, rules = shares(manuals)
    return figures + [Figure(NAME, f"real manuals: share of {what} (of {n})", value)
                      for what, value, n in rules]
