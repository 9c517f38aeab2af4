"""The offline engine: a course built from the document itself, with no model and no network.

The outline follows the document's headings (or balanced topical parts when it has none);
each chapter quotes its section verbatim as the explanation, its most central sentences as
the summary, and its key terms with review questions drawn from the text as the extension.
Deterministic and thread-safe; the per-source analysis is computed once and cached
(see `geminiteacher.backends.extractive.analysis`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

from geminiteacher.backends.base import Engine
from geminiteacher.backends.extractive.analysis import Analysis, analyse
from geminiteacher.backends.extractive.blocks import Block, render
from geminiteacher.backends.extractive.labels import ENGLISH, labels_for
from geminiteacher.backends.extractive.matching import NEAREST, SIMILAR, locate
from geminiteacher.backends.extractive.planner import Chapter
from geminiteacher.backends.extractive.provenance import section_headings
from geminiteacher.backends.extractive.quiz import blanked, build_quiz
from geminiteacher.backends.extractive.salience import (
    Term,
    central_sentences,
    defines_outright,
    glosses,
    key_terms,
    normalize_sentence,
    teaching_sentence,
)
from geminiteacher.backends.extractive.text import (
    Sentence,
    estimate_tokens,
    normalize_title,
    split_sentences,
    surface_of,
)
from geminiteacher.errors import OutlineError
from geminiteacher.ingest.sources import real_sections
from geminiteacher.models import ChapterContent, CourseSettings, Reply

KEY_TERMS = 6
KEY_IDEAS = 5


class OfflineEngine(Engine):
    """Extractive course writer: every sentence it outputs is quoted from the source."""

    name = "offline"
    model = "extractive"
    extractive = True
    remote = False

    def plan_outline(self, source: str, settings: CourseSettings) -> Reply:
        """Chapter titles from the document's headings, or from balanced parts of its text."""
        plan = analyse(source).plan(
            settings.max_chapters, settings.fixed_chapter_count, settings.include_front_back_matter
        )
        return Reply([chapter.title for chapter in plan])

    def write_chapter(
        self,
        source: str,
        title: str,
        settings: CourseSettings,
        *,
        index: int = 1,
        outline: Sequence[str] = (),
        previous: Sequence[ChapterContent] = (),
    ) -> Reply:
        """The chapter for `title`: central sentences, the section verbatim, terms and questions."""
        labels = labels_for(settings.language)
        analysis = analyse(source)
        if not any(b.size for b in analysis.blocks):
            note = labels["empty"]
            return Reply(ChapterContent(title, note, note, f"*{labels['chapter_note']}*"))
        plan = _plan(analysis, settings)
        others = _other_plans(analysis, outline, settings)
        match = locate(analysis, plan, title, index, outline, others)
        sentences = analysis.sentences(match.blocks)
        glue = "" if analysis.cjk else " "
        used = normalize_sentence(" ".join(p.summary for p in previous))
        count = _summary_size(len(sentences))
        eligible = _summary_rule(match.blocks)
        summary = (
            central_sentences(sentences, analysis.idf, count, used, eligible)
            or central_sentences(sentences, analysis.idf, count, used, teaching_sentence)
            or central_sentences(sentences, analysis.idf, count, eligible=eligible)
        )
        text = glue.join(s.text for s in summary) or _lead_in(sentences)
        body = render(_without_title(match.blocks, title)) or labels["heading_only"]
        note = {SIMILAR: labels["similar"], NEAREST: labels["nearest"]}.get(match.how)
        explanation = f"> {note}\n\n{body}" if note else body
        headings = {key for b in match.blocks if b.kind == "heading" for key in b.terms}
        limit = max(KEY_TERMS, settings.quiz_questions + 3)
        terms = key_terms(sentences, analysis.idf, limit, headings)
        quiz = build_quiz(analysis, match.blocks, terms, settings.quiz_questions, labels["blank"])
        if not quiz and len(terms) == limit:  # a long chapter whose top terms gave no question
            more = key_terms(sentences, analysis.idf, 3 * limit, headings)
            quiz = build_quiz(analysis, match.blocks, more, settings.quiz_questions,
                              labels["blank"])
        thin = settings.quiz_questions > 0 and not quiz
        notes = (labels["thin"].format(index=index, title=title),) if thin else ()
        return Reply(
            ChapterContent(
                title=title,
                summary=text or labels["no_prose"],
                explanation=explanation,
                extension=_extension(
                    [t for t in terms if glosses(t)][:KEY_TERMS], summary, sentences, labels
                ),
                quiz=quiz,
                sources=real_sections(section_headings(analysis, match.blocks), source),
            ),
            notes=notes,
        )

    def write_summary(
        self, source: str, chapters: Sequence[ChapterContent], settings: CourseSettings
    ) -> Reply:
        """One line per chapter with its lead sentence, the document's key ideas, and a note."""
        labels = labels_for(settings.language)
        analysis = analyse(source)
        lines = [f"### {labels['chapters']}", ""]
        leads = []
        placeholders = {labels["no_prose"], labels["heading_only"], labels["empty"]}
        for number, chapter in enumerate(chapters, 1):
            lead = next(iter(split_sentences(chapter.summary)), "")
            lead = "" if chapter.summary.strip() in placeholders else lead
            leads.append(lead)
            lines.append(f"{number}. **{chapter.title}**" + (f" — {lead}" if lead else ""))
        ideas = central_sentences(
            analysis.sentences(analysis.content(settings.include_front_back_matter)),
            analysis.idf,
            KEY_IDEAS,
            normalize_sentence(" ".join(leads)),
            teaching_sentence,
        )
        if ideas:
            lines += ["", f"### {labels['key_ideas']}", ""] + [f"- {s.text}" for s in ideas]
        lines += ["", labels["course_note"]]
        return Reply("\n".join(lines) + "\n")

    def count_tokens(self, text: str) -> int:
        """A local estimate (about four characters a token, one per CJK character)."""
        return estimate_tokens(text)

    def context_window(self) -> int:
        """Nothing is sent anywhere, so any document that fits in memory is fine."""
        return 10_000_000


def _plan(analysis: Analysis, settings: CourseSettings) -> list[Chapter]:
    include = settings.include_front_back_matter
    try:
        return analysis.plan(settings.max_chapters, settings.fixed_chapter_count, include)
    except OutlineError:
        return analysis.plan(settings.max_chapters, False, include)


def _other_plans(
    analysis: Analysis, outline: Sequence[str], settings: CourseSettings
) -> list[list[Chapter]]:
    """Plans made under other settings, plus the exact-count plan the outline's length implies."""
    plans = analysis.known_plans()
    if outline:
        with contextlib.suppress(OutlineError):
            plans.append(
                analysis.plan(min(len(outline), 100), True, settings.include_front_back_matter)
            )
    return plans


def _summary_rule(blocks: Sequence[Block]) -> Callable[[Sentence], bool]:
    """Which sentences a summary may hold: teaching sentences that are not the rest of the
    explanation's opening paragraph (a summary that repeats it adds nothing), and list
    items only when the chapter has no prose paragraphs to draw on (slides, bullet notes)."""
    prose = [b for b in blocks if b.sentences]
    paragraphs = [b for b in prose if b.kind == "paragraph"]
    barred = set()
    if len(prose) > 1 and paragraphs:
        barred = {id(s) for s in paragraphs[0].sentences[1:]}
    if any(teaching_sentence(s) for b in paragraphs for s in b.sentences if id(s) not in barred):
        barred |= {id(s) for b in prose if b.kind == "list" for s in b.sentences}
    return lambda sentence: id(sentence) not in barred and teaching_sentence(sentence)


def _lead_in(sentences: Sequence[Sentence]) -> str:
    """For a chapter whose only prose leads into code or a list ("Install the package with
    pip and check that the command works:"): that sentence, ended with a full stop."""
    for sentence in sentences:
        text = sentence.text.rstrip()
        if text.endswith(":") and teaching_sentence(Sentence(text[:-1] + ".", sentence.runs)):
            return text[:-1] + "."
    return ""


def _summary_size(sentences: int) -> int:
    return 2 if sentences <= 8 else 3 if sentences <= 40 else 4


def _without_title(blocks: Sequence[Block], title: str) -> list[Block]:
    """The blocks to show: without the heading that repeats the chapter title (the file has
    it) and without the empty headings that wrap it (book title, file name, part title)."""
    lead = 0
    while lead + 1 < len(blocks) and blocks[lead].kind == blocks[lead + 1].kind == "heading":
        lead += 1
    shown = list(blocks[lead:])
    wanted = normalize_title(title)
    for i, block in enumerate(shown[:8]):
        if block.kind == "heading" and normalize_title(block.title) == wanted:
            return [*shown[:i], *shown[i + 1 :]]
    return shown


def _extension(
    terms: Sequence[Term],
    summary: Sequence[Sentence],
    sentences: Sequence[Sentence],
    labels: dict[str, str],
) -> str:
    parts = []
    if terms:
        listed = "\n".join(f"- **{t.name}** — {t.sentence.text}" for t in terms)
        parts.append(f"### {labels['key_terms']}\n\n{listed}")
    questions = _questions(terms, summary, sentences, labels)
    if questions:
        numbered = "\n".join(f"{n}. {q}" for n, q in enumerate(questions, 1))
        parts.append(f"### {labels['questions']}\n\n{numbered}")
    parts.append(f"*{labels['chapter_note']}*")
    return "\n\n".join(parts)


def _questions(
    terms: Sequence[Term],
    summary: Sequence[Sentence],
    sentences: Sequence[Sentence],
    labels: dict[str, str],
) -> list[str]:
    """Review questions built from the text: definitions, relations, a gap fill, a paraphrase."""
    questions = []
    defined = [t for t in terms if defines_outright(t)]
    questions += [
        labels["what_are" if t.plural else "what_is"].format(term=_named(t, labels, t.article))
        for t in defined[:2]
    ]
    pair = _related_pair(terms, sentences)
    if pair:
        a, b = (_named(t, labels, "the" if t.article else "") for t in pair)
        questions.append(labels["relate"].format(a=a, b=b))
    gap = _gap_fill(summary, terms)
    if gap:
        questions.append(labels["blank"].format(sentence=gap[1]))
    rest = [s for s in summary if gap is None or s is not gap[0]]
    if rest:
        questions.append(labels["explain"].format(sentence=rest[0].text))
    return questions


def _named(term: Term, labels: dict[str, str], article: str) -> str:
    """The term as a question names it: in English with its article when singular."""
    if term.plural or not article or labels["what_is"] != ENGLISH["what_is"]:
        return term.name
    return f"{article} {term.name}"


def _related_pair(terms: Sequence[Term], sentences: Sequence[Sentence]) -> tuple[Term, Term] | None:
    """Two key terms that share a sentence (else simply the top two)."""
    top = list(terms[:5])
    where = [{i for i, s in enumerate(sentences) if surface_of(t.key, s)} for t in top]
    for a in range(len(top)):
        for b in range(a + 1, len(top)):
            if where[a] & where[b]:
                return top[a], top[b]
    return (top[0], top[1]) if len(top) > 1 else None


def _gap_fill(summary: Sequence[Sentence], terms: Sequence[Term]) -> tuple[Sentence, str] | None:
    """A summary sentence with the first key term that stands whole in it blanked out."""
    for sentence in summary:
        if sentence.words() < 6:
            continue
        for term in terms:
            gapped = blanked(sentence, term)
            if gapped:
                return sentence, gapped
    return None
