"""Multiple-choice questions built from the text itself, for the offline engine.

Each question is a sentence of the chapter with one key term blanked out: first the
sentences that define a term ("X is ..."), then the chapter's most central statements,
each blanking a term not asked yet where it has one. A sentence is asked only when it
stands on its own (no "This ..." leaning on the one before, no code), has context around
the blank, and is no legal notice, address or version line; the blank covers a whole
term, never part of a longer phrase ("file _____" when the text says "file names").
The three wrong options are terms of the same kind (a name, an identifier, a plural or a
common noun) that occur in the file the sentence comes from (the chapter's own terms
first, then the file's), else other terms of the chapter itself (one topic, when it
gathers several pages of a manual): never a term of an unrelated uploaded file.
The answer's position comes from the sentence's checksum:
deterministic, not always A. Longer chapters get more questions (up to the setting).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Collection, Sequence
from functools import lru_cache

from geminiteacher.backends.extractive.analysis import Analysis
from geminiteacher.backends.extractive.anatomy import is_legal
from geminiteacher.backends.extractive.blocks import Block
from geminiteacher.backends.extractive.salience import (
    Term,
    central_sentences,
    inside_sentence,
    key_terms,
    teaching_sentence,
)
from geminiteacher.backends.extractive.text import (
    Sentence,
    adjectival,
    find_words,
    inflected,
    opens_object,
    surface_of,
    term_keys,
)
from geminiteacher.models import OPTIONS, QuizQuestion

BLANK = "_____"
MIN_WORDS, MAX_WORDS = 6, 60
WORDS_PER_QUESTION = 100
CONTEXT_WORDS = 12
# Legal vocabulary is never an answer nor a wrong option ("General Public License").
_LEGAL_TERM = re.compile(r"licen[cs]|copyright|warrant|trademark", re.I)
_LEANING = re.compile(r"\b(?:they|them|this|these|those|he|she|him)\b", re.I)
FILE_TERMS = 60
SAMPLE = 2000  # sentences
# Addresses, e-mail, version strings ("1.0.8", "version 2", "v3.1"): nothing to learn by heart.
_UNASKABLE = re.compile(
    r"https?://|www\.|\S+@\S+\.\w|\b\d+\.\d+\.\d+|\bv(?:ersion)?\s?\d+(?:\.\d+)*\b"
    r"|\b\d+\.\d+\.[xX]\b",
    re.IGNORECASE,
)


def question_count(words: int, most: int) -> int:
    """How many questions a chapter of `words` words gets: one per 100 words, at least 3,
    at most `most` (the setting)."""
    return min(most, max(3, words // WORDS_PER_QUESTION))


def askable(sentence: Sentence) -> bool:
    """A sentence fit for a question: it stands alone, gives context, is not a notice. A
    short one that leans on a pronoun ("Your C _____ should not see them") lacks context."""
    words = sentence.words()
    return (
        MIN_WORDS <= words <= MAX_WORDS
        and not (words < CONTEXT_WORDS and _LEANING.search(sentence.text))
        and teaching_sentence(sentence)
        and not is_legal(sentence.text)
        and not _LEGAL_TERM.search(sentence.text)
        and not _UNASKABLE.search(sentence.text)
    )


def build_quiz(
    analysis: Analysis, blocks: Sequence[Block], terms: Sequence[Term], count: int, stem: str
) -> list[QuizQuestion]:
    """Up to `count` questions on `blocks` (fewer for a short chapter), whose key `terms`
    are blanked; `stem` frames the gapped sentence ("{sentence}")."""
    count = question_count(sum(b.size for b in blocks), count)
    if count <= 0 or not terms:
        return []
    heading_of = _headings(blocks)
    file_of = {id(s): analysis.file_of(b) for b in blocks for s in b.sentences}
    sentences = [s for b in blocks for s in b.sentences]
    chapter = {t.key for t in terms}
    pools = {
        k: [t for t in [*terms, *_file_terms(analysis, k)]
            if (t.key in chapter or _worth_asking(t)) and not _LEGAL_TERM.search(t.surface)
            and t.surface.casefold() in _text(analysis, k)]
        for k in set(file_of.values())
    }
    pool = [t for k in pools for t in pools[k]]
    asked: list[Sentence] = [t.sentence for t in terms if t.defined]
    asked += central_sentences(sentences, analysis.idf, 3 * count, eligible=askable)
    # then, in order, any other sentence that holds a key term (a long chapter whose
    # central sentences name none of its terms still gets its questions)
    keys = [frozenset(term_keys(t.key)) for t in terms]
    asked += [s for s in sentences if any(k <= s.keyset for k in keys)]
    asked = list(dict.fromkeys(asked))
    fit: dict[int, bool] = {}  # askable, judged only as far as the questions need
    known = {t.key for t in pool if " " in t.key}
    quiz: list[tuple[int, QuizQuestion]] = []
    seen: set[str] = set()
    answered: set[str] = set()
    for again in (False, True):  # new terms first, then terms asked already
        for order, sentence in enumerate(asked):
            if len(quiz) >= count:
                break
            if sentence.text in seen:
                continue
            if id(sentence) not in fit:
                fit[id(sentence)] = askable(sentence)
            if not fit[id(sentence)]:
                continue
            present = [t for t in terms if _whole_term(t, sentence, known)]
            present = [t for t in present if not _LEGAL_TERM.search(t.surface)]
            term = next((t for t in present if t.key not in answered), None)
            term = term or (present[0] if again and present else None)
            if term is None:
                continue
            home = pools[file_of[id(sentence)]]
            rest = [t for t in terms if t not in home and not _LEGAL_TERM.search(t.surface)]
            question = _question(sentence, term, [*home, *rest],
                                 stem, heading_of.get(id(sentence), ""), len(quiz), chapter)
            if question is not None:
                seen.add(sentence.text)
                answered.add(term.key)
                quiz.append((order, question))
    return [question for _, question in sorted(quiz, key=lambda item: item[0])]


@lru_cache(maxsize=64)
def _text(analysis: Analysis, file: int) -> str:
    """One file's text, case-folded: a wrong option must occur in it."""
    return "\n".join(b.text for b in analysis.files[file]).casefold()


def _worth_asking(term: Term) -> bool:
    """A term from elsewhere in the file that can stand as a wrong option: a phrase, a
    name, an identifier or a term the text defines, not a lone common word."""
    return " " in term.key or term.defined or _kind(term) != "word"


def blanked(sentence: Sentence, term: Term) -> str | None:
    """The sentence with the term blanked out, when it stands there as a whole term (not
    part of a code span) and the sentence can be asked about."""
    written = surface_of(term.key, sentence)
    at = find_words(sentence.text, written) if written else -1
    if at < 0 or not askable(sentence) or not _whole_term(term, sentence):
        return None
    if _inside_code(sentence.text, at, len(written)):
        return None
    return sentence.text[:at] + BLANK + sentence.text[at + len(written):]


def _whole_term(term: Term, sentence: Sentence, known: Collection[str] = ()) -> bool:
    """Whether the term stands in the sentence as a whole noun phrase: in its run of
    content words only a verb or an adjective comes before it ("calls BZ2_bzCompress"), a verb
    with its object after it ("membrane lets water"), never more of a noun ("file names")."""
    wanted = term.key.split(" ")
    n = len(wanted)
    for run in sentence.runs:
        keys = [key for key, _ in run]
        for i in range(len(keys) - n + 1):
            if keys[i : i + n] == wanted:
                end = i + n
                if " ".join(keys[max(0, i - 1) : end + 1]) in known or any(
                    " ".join(keys[a:b]) in known for a, b in ((i - 1, end), (i, end + 1)) if a >= 0
                ):
                    return False  # part of a longer term ("allocation" of "allocation sites")
                verb_after = end < len(keys) and inflected(run[end][1]) and (
                    end + 1 < len(keys) or _object_follows(sentence.text, run[end][1])
                )
                return (end == len(keys) or verb_after) and (i == 0 or _modifier(run[i - 1][1]))
    return False


def _inside_code(text: str, at: int, length: int) -> bool:
    """Whether text[at:at+length] is only part of an inline code span ("`node:domain`",
    "`--backup`"): a blank there would cut a token the learner cannot guess."""
    if text.count("`", 0, at) % 2 == 0:
        return False
    start = text.rfind("`", 0, at) + 1
    end = text.find("`", at + length)
    span = text[start:end if end >= 0 else len(text)].strip(" '\"")
    return span != text[at : at + length]


def _object_follows(text: str, word: str) -> bool:
    """Whether an article or the like follows `word` in the text ("surrounds the")."""
    at = text.find(word)
    return at >= 0 and opens_object(text[at + len(word):])


def _modifier(word: str) -> bool:
    """A word that may stand right before a blanked term: a verb or an adjective."""
    return inflected(word) or adjectival(word.casefold())


def _question(
    sentence: Sentence, term: Term, pool: Sequence[Term], stem: str, heading: str, turn: int,
    near: Collection[str] = (),
) -> QuizQuestion | None:
    """The sentence with `term` blanked; `turn` rotates the wrong options between questions."""
    written = surface_of(term.key, sentence)
    at = find_words(sentence.text, written) if written else -1
    if at < 0 or _inside_code(sentence.text, at, len(written)):
        return None
    gapped = sentence.text[:at] + BLANK + sentence.text[at + len(written):]
    wrong = _distractors(term, pool, gapped, near)[: 2 * (OPTIONS - 1)]
    if len(wrong) < OPTIONS - 1:
        return None
    shift = turn % (len(wrong) - OPTIONS + 2)
    options = wrong[shift : shift + OPTIONS - 1]
    position = zlib.crc32(sentence.text.encode("utf-8")) % OPTIONS
    options.insert(position, written if at else inside_sentence(written, term.proper))
    return QuizQuestion(stem.format(sentence=gapped), options, position, sentence.text, heading)


def _kind(term: Term) -> str:
    """What sort of thing a term is: an identifier, a name, or a common word or phrase."""
    surface = term.surface
    if re.search(r"[_()\d]|[a-z][A-Z]|\.\w", surface):
        return "code"
    return "name" if term.proper else "word"


def _distractors(
    answer: Term, pool: Sequence[Term], gapped: str, near: Collection[str] = ()
) -> list[str]:
    """Other terms of the answer's kind and number, those of the chapter (`near`) first,
    not overlapping the answer nor already in the question."""
    keys = set(answer.key.split(" "))
    words = len(answer.key.split(" "))
    kind, plural = _kind(answer), answer.plural
    taken = {answer.surface.casefold()}
    found: list[tuple[int, int, int, str]] = []
    for rank, term in enumerate(pool):
        name = term.surface.casefold()
        if name in taken or keys & set(term.key.split(" ")) or name in gapped.casefold():
            continue
        taken.add(name)
        unlike = (_kind(term) != kind) * 4 + (term.plural != plural) * 2
        found.append((unlike, term.key not in near, abs(len(term.key.split(" ")) - words), rank,
                      term.surface))
    return [surface for *_, surface in sorted(found)]


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


@lru_cache(maxsize=16)
def _file_terms(analysis: Analysis, file: int) -> tuple[Term, ...]:
    """One file's key terms, from its teaching text (an even sample of its sentences, so a
    book costs no more than a long chapter): where wrong options come from."""
    teaching = {id(b) for b in analysis.teaching}
    blocks = [b for b in analysis.files[file] if id(b) in teaching]
    sentences = analysis.sentences(blocks)
    sample = sentences[:: max(1, len(sentences) // SAMPLE)]
    return tuple(key_terms(sample, analysis.idf, FILE_TERMS))
