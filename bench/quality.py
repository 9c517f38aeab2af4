"""Course quality: how usable the offline engine's chapters are on real-manual-like documents.

Three sets, reported apart:

- the first corpus, `tests/corpus.py` (a Texinfo-style PDF, an HTML API reference, a README
  and lecture notes, each alone and all four as one source), with goals;
- the second corpus, `tests/shapes_corpus.py`, of other shapes (a multi-part book with a
  large user manual and small appendices, a slide deck, an HTML manual with a licence on
  its title page, two files on different subjects), with goals;
- real manuals from Debian's documentation packages, where installed: those the first
  corpus was modelled on (libtasn1's Texinfo PDF, the shared-mime-info spec PDF, the
  base-passwd and libffi HTML guides) and, apart, manuals no rule was tuned on (valgrind's
  397-page PDF book, bzip2's PDF manual, the GNU diffutils and aptitude HTML manuals,
  Node.js's events page).

Every chapter is checked with the corpus's rules: it teaches (not front or back matter),
its summary is complete prose sentences and no placeholder, its key terms say more than the
term, its review questions are well formed and ask "What is X?" only where the chapter
says what X is, and its quiz asks about no licence, copyright, address or version and
draws every option from the question's own file (or, for a chapter that gathers several
pages of one manual, from the chapter). For books with parts, the largest part's
share of the chapters is reported next to its share of the words.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterable
from pathlib import Path

from bench.report import Figure, Goal
from geminiteacher.backends.extractive.analysis import analyse
from geminiteacher.ingest.convert import load_sources
from geminiteacher.models import CourseSettings
from tests import corpus, shapes_corpus

NAME = "quality"
DOCS = Path("/usr/share/doc")
MODELLED = {"libtasn1": ("libtasn1-doc/libtasn1.pdf",),
            "shared-mime-info": ("shared-mime-info/shared-mime-info-spec.pdf",),
            "base-passwd": ("base-passwd/users-and-groups.html",),
            "libffi": ("libffi8/html/*.html",)}
UNSEEN = {"valgrind": ("valgrind/valgrind_manual.pdf.gz",),
          "bzip2": ("bzip2/manual.pdf.gz",),
          "diffutils": ("diffutils/*.html",),
          "aptitude": ("aptitude/html/en/*.html",),
          "node.js events": ("nodejs/api/events.html",)}
SETTINGS = CourseSettings()


def shares(sources: Iterable[str]) -> list[tuple[str, float, int]]:
    """(what, share, out of) for each quality rule over every chapter of the sources."""
    chapters, questions, quiz, own = [], [], [], []
    for source in sources:
        written = corpus.offline_course(source, SETTINGS)
        files = ["\n".join(b.text for b in blocks) for blocks in analyse(source).files]
        chapters += written
        questions += [(q, c.explanation) for c in written for q in corpus.questions_of(c.extension)]
        asked = [q for c in written for q in c.quiz]
        quiz += asked
        own += [corpus.options_from_own_file(q, files, c.explanation)
                for c in written for q in c.quiz]
    terms = [t for c in chapters for t in corpus.key_terms_of(c.extension)]

    def share(hits: int, out_of: int) -> float:
        return hits / max(out_of, 1)

    n = len(chapters)
    return [
        ("chapters that teach (not front/back matter)",
         share(sum(not corpus.is_front_or_back_matter(c.title, c.explanation)
                   for c in chapters), n), n),
        ("clean summaries", share(sum(corpus.summary_is_clean(c.summary) for c in chapters), n),
         n),
        ("summaries that are no placeholder",
         share(sum(corpus.summary_teaches(c.summary) for c in chapters), n), n),
        ("key terms defined by more than the term",
         share(sum(len(d.split()) >= len(t.split()) + 3 for t, d in terms), len(terms)),
         len(terms)),
        ("well-formed review questions",
         share(sum(corpus.question_is_well_formed(q) for q, _ in questions), len(questions)),
         len(questions)),
        ("'What is X?' only where the chapter says what X is",
         share(sum(corpus.what_is_defined(q, e) for q, e in questions), len(questions)),
         len(questions)),
        ("quiz questions on no licence, copyright, address or version",
         share(sum(corpus.question_is_no_notice(q) for q in quiz), len(quiz)), len(quiz)),
        ("quiz options all from the question's own file (or chapter)",
         share(sum(own), len(own)), len(own)),
    ]


def main_part(source: str) -> tuple[float, float] | None:
    """For a book in parts: the largest part's share of the words and of the chapters."""
    analysis = analyse(source)
    teaching = analysis.teaching
    levels = sorted({b.level for b in teaching if b.kind == "heading" and not b.opens_file})
    if not levels:
        return None
    top = levels[0]
    parts: list[set[int]] = []
    for block in teaching:
        if block.kind == "heading" and block.level == top:
            parts.append(set())
        if parts:
            parts[-1].add(id(block))
    if len(parts) < 2:
        return None
    words = [sum(b.size for b in teaching if id(b) in part) for part in parts]
    largest = parts[max(range(len(parts)), key=words.__getitem__)]
    plan = analysis.plan(SETTINGS.max_chapters, False)
    inside = sum(any(id(b) in largest for b in c.blocks if b.size) for c in plan)
    return max(words) / max(sum(words), 1), inside / max(len(plan), 1)


def _read(path: Path) -> tuple[str, bytes]:
    if path.suffix == ".gz":
        return path.stem, gzip.decompress(path.read_bytes())
    return path.name, path.read_bytes()


def installed(manuals: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The installed manuals' sources, by name (those not installed are left out)."""
    found = {}
    for name, patterns in manuals.items():
        paths = sorted(p for pattern in patterns for p in DOCS.glob(pattern))
        if paths:
            found[name] = load_sources([_read(p) for p in paths])[0].markdown
    return found


def _figures(label: str, sources: dict[str, str], goal: Goal | None) -> list[Figure]:
    figures = [Figure(NAME, f"{label}: share of {what} (of {n})", value, goal=goal)
               for what, value, n in shares(sources.values())]
    for name, source in sources.items():
        part = main_part(source)
        if part is not None and part[0] >= 0.5:
            figures.append(Figure(NAME, f"{label}: {name}, largest part's share of chapters "
                                  f"(it holds {part[0]:.2f} of the words)", part[1]))
    return figures


def run_scenario(quick: bool) -> list[Figure]:
    every = Goal("value", ">=", 1.0)
    started = time.perf_counter()
    figures = _figures("corpus", corpus.sources(), every)
    figures.append(Figure(NAME, "corpus: seconds to convert it and write every course",
                          time.perf_counter() - started, "s"))
    figures += _figures("second corpus", shapes_corpus.sources(), every)
    for label, manuals in (("modelled manuals", MODELLED), ("unseen manuals", UNSEEN)):
        sources = installed(manuals)
        if not sources:
            figures.append(Figure(NAME, label, "skipped: not installed in " + str(DOCS)))
            continue
        figures += _figures(f"{label} ({', '.join(sources)})", sources, None)
    return figures
