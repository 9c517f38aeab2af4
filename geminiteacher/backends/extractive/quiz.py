"""Multiple-choice questions built from the text itself, for the offline engine.

Each question is a sentence of the chapter with one key term blanked out: first the
sentences that define a term ("X is ..."), then the chapter's most central statements,
each blanking a term not asked yet where it has one.
The three wrong options are other key terms of the same document, preferring terms of
the chapter itself and terms as long as the answer, so the right one does not stand out.
The answer's position comes from the sentence's checksum: deterministic, not always A.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from functools import lru_cache

from geminiteacher.backends.extractive.analysis import Analysis
from geminiteacher.backends.extractive.blocks import Block
from geminiteacher.backends.extractive.salience import (
    Term,
    central_sentences,
    inside_sentence,
    key_terms,
)
from geminiteacher.backends.extractive.text import Sentence, surface_of
from geminiteacher.models import OPTIONS, QuizQuestion

BLANK = "_____"
MIN_WORDS, MAX_WORDS = 6, 60
DOCUMENT_TERMS = 60
SAMPLE = 2000  # sentences


def build_quiz(
    analysis: Analysis, blocks: Sequence[Block], terms: Sequence[Term], count: int, stem: str
) -> list[QuizQuestion]:
    """Up to `count` questions on `blocks`, whose key `terms` are blanked; `stem` frames the
    gapped sentence ("{sentence}")."""
    if count <= 0 or not terms:
        return []
    heading_of = _headings(blocks)
    sentences = [s for b in blocks for s in b.sentences]
    pool = [*terms, *_document_terms(analysis)]
    asked: list[tuple[Sentence, list[Term]]] = [(t.sentence, [t]) for t in terms if t.defined]
    for sentence in central_sentences(sentences, analysis.idf, 2 * count):
        asked.append((sentence, [t for t in terms if surface_of(t.key, sentence)]))
    quiz: list[QuizQuestion] = []
    seen: set[str] = set()
    answered: set[str] = set()
    for sentence, present in asked:
        if len(quiz) >= count:
            break
        if not present or sentence.text in seen or \
                not MIN_WORDS <= sentence.words() <= MAX_WORDS:
            continue
        term = next((t for t in present if t.key not in answered), present[0])
        question = _question(sentence, term, pool, stem, heading_of.get(id(sentence), ""),
                             len(quiz))
        if question is not None:
            seen.add(sentence.text)
            answered.add(term.key)
            quiz.append(question)
    return quiz


def _question(
    sentence: Sentence, term: Term, pool: Sequence[Term], stem: str, heading: str, turn: int
) -> QuizQuestion | None:
    """The sentence with `term` blanked; `turn` rotates the wrong options between questions."""
    written = surface_of(term.key, sentence)
    at = sentence.text.find(written) if written else -1
    if at < 0:
        return None
    gapped = sentence.text[:at] + BLANK + sentence.text[at + len(written):]
    wrong = _distractors(term, pool, gapped)[: 2 * (OPTIONS - 1)]
    if len(wrong) < OPTIONS - 1:
        return None
    shift = turn % (len(wrong) - OPTIONS + 2)
    options = wrong[shift : shift + OPTIONS - 1]
    position = zlib.crc32(sentence.text.encode("utf-8")) % OPTIONS
    options.insert(position, written if at else inside_sentence(written, term.proper))
    return QuizQuestion(stem.format(sentence=gapped), options, position, sentence.text, heading)


def _distractors(answer: Term, pool: Sequence[Term], gapped: str) -> list[str]:
    """Other terms of the document, not overlapping the answer nor already in the question."""
    keys = set(answer.key.split(" "))
    words = len(answer.key.split(" "))
    taken = {answer.surface.casefold()}
    found: list[tuple[int, int, str]] = []
    for rank, term in enumerate(pool):
        name = term.surface.casefold()
        if name in taken or keys & set(term.key.split(" ")) or name in gapped.casefold():
            continue
        taken.add(name)
        found.append((abs(len(term.key.split(" ")) - words), rank, term.surface))
    return [surface for _, _, surface in sorted(found)]


def _headings(blocks: Sequence[Block]) -> dict[int, str]:
    """Each sentence's (by id) nearest heading above it within `blocks`."""
    where: dict[int, str] = {}
    current = ""
    for block in blocks:
        if block.kind == "heading":
            current = block.title
        for sentence in block.sentences:
            where[id(sentence)] = current
    return where


@lru_cache(maxsize=3)
def _document_terms(analysis: Analysis) -> tuple[Term, ...]:
    """The whole document's key terms (from an even sample of its sentences, so a book
    costs no more than a long chapter): the pool wrong options are drawn from."""
    sentences = analysis.sentences(analysis.blocks)
    sample = sentences[:: max(1, len(sentences) // SAMPLE)]
    return tuple(key_terms(sample, analysis.idf, DOCUMENT_TERMS))
