"""Course quality: how usable the offline engine's chapters are on real-manual-like documents.

The corpus is `tests/corpus.py`, built at bench time: a Texinfo-style PDF (title page,
contents, code, the GNU FDL, an index), an HTML API reference, a README and lecture notes,
each alone and all four as one source. Every chapter of the offline courses is checked
with the corpus's own rules: it teaches (it is not front or back matter), its summary is
complete prose sentences (no code, no opening connective), its key terms say more than
the term, and its review questions are well formed.
"""

from __future__ import annotations

import time

from bench.report import Figure, Goal
from tests import corpus

NAME = "quality"


def run_scenario(quick: bool) -> list[Figure]:
    started = time.perf_counter()
    chapters = [c for source in corpus.sources().values() for c in corpus.offline_course(source)]
    seconds = time.perf_counter() - started
    terms = [t for c in chapters for t in corpus.key_terms_of(c.extension)]
    questions = [q for c in chapters for q in corpus.questions_of(c.extension)]
    teaching = sum(not corpus.is_front_or_back_matter(c.title, c.explanation) for c in chapters)
    clean = sum(corpus.summary_is_clean(c.summary) for c in chapters)
    defined = sum(len(d.split()) >= len(t.split()) + 3 for t, d in terms)
    formed = sum(corpus.question_is_well_formed(q) for q in questions)
    every = Goal("value", ">=", 1.0)
    return [
        Figure(NAME, f"share of chapters that teach (not front/back matter), {len(chapters)}",
               teaching / len(chapters), goal=every),
        Figure(NAME, "share of clean summaries", clean / len(chapters), goal=every),
        Figure(NAME, f"share of key terms defined by more than the term, {len(terms)}",
               defined / max(len(terms), 1), goal=every),
        Figure(NAME, f"share of well-formed review questions, {len(questions)}",
               formed / max(len(questions), 1), goal=every),
        Figure(NAME, "seconds to convert the corpus and write every course", seconds, "s"),
    ]
