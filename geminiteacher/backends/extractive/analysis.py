"""Everything the offline engine learns from one source, computed once and shared.

Every chapter call of a course receives the same source, so its blocks, term weights and
plans are kept in a small process-wide LRU keyed by the source's sha256. The cache is
guarded by a lock; an `Analysis` is read-only apart from its own lock-guarded plan cache.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence

from geminiteacher.backends.extractive.anatomy import matter_flags
from geminiteacher.backends.extractive.blocks import Block, parse_blocks
from geminiteacher.backends.extractive.planner import Chapter, plan_chapters
from geminiteacher.backends.extractive.salience import (
    central_sentences,
    key_terms,
    teaching_sentence,
)
from geminiteacher.backends.extractive.text import (
    Sentence,
    detect_language,
    first_clause,
    is_cjk,
    shorten,
    stopwords_for,
    subject_of,
    title_case,
)

CACHE_SIZE = 3
_CONJUNCTIONS = {"en": " and ", "es": " y ", "fr": " et ", "de": " und "}


class Analysis:
    """One source parsed into blocks, with idf weights over blocks and cached chapter plans."""

    def __init__(self, markdown: str) -> None:
        self.cjk = is_cjk(markdown)
        language = None if self.cjk else detect_language(markdown)
        self.stopwords = stopwords_for(language)
        self.conjunction = "、" if self.cjk else _CONJUNCTIONS.get(language or "", ", ")
        self.blocks = parse_blocks(markdown, self.stopwords)
        df: Counter[str] = Counter()
        for block in self.blocks:
            df.update(block.terms.keys())
        documents = max(1, sum(1 for b in self.blocks if b.terms))
        self.idf = {term: math.log((documents + 1) / count) for term, count in df.items()}
        self.files: list[list[Block]] = [[]]  # each joined file's blocks, in order
        for block in self.blocks:
            if block.opens_file and any(b.size for b in self.files[-1]):
                self.files.append([])
            self.files[-1].append(block)
        self._file_of = {id(b): k for k, blocks in enumerate(self.files) for b in blocks}
        flags = matter_flags(self.blocks)
        teaching = [b for b, matter in zip(self.blocks, flags, strict=True) if not matter]
        # A source that is all front or back matter (a licence on its own) is taught as it is.
        self.teaching = teaching if any(b.size for b in teaching) else self.blocks
        self._lock = threading.Lock()
        self._plans: dict[tuple[int, bool, bool], list[Chapter]] = {}
        self._sections: list[tuple[Block, list[Block]]] | None = None

    def file_of(self, block: Block) -> int:
        """Which of the joined files (0, 1, ...) a block belongs to."""
        return self._file_of.get(id(block), 0)

    @staticmethod
    def sentences(blocks: Sequence[Block]) -> list[Sentence]:
        return [s for b in blocks for s in b.sentences]

    def content(self, include_matter: bool) -> list[Block]:
        """The blocks a course teaches: all of them, or without front and back matter."""
        return self.blocks if include_matter else self.teaching

    def plan(self, max_chapters: int, fixed: bool, include_matter: bool = False) -> list[Chapter]:
        """The chapters for these settings (cached; raises OutlineError for empty sources).

        Front and back matter (title page, contents, licences, index, ...) are left out
        unless `include_matter`.
        """
        key = (max_chapters, fixed, include_matter)
        with self._lock:
            if key not in self._plans:
                self._plans[key] = plan_chapters(
                    self.content(include_matter), max_chapters, fixed, self.name,
                    self.conjunction,
                )
            return self._plans[key]

    def known_plans(self) -> list[list[Chapter]]:
        """Every plan made so far (for titles planned under other settings)."""
        with self._lock:
            return list(self._plans.values())

    def sections(self) -> list[tuple[Block, list[Block]]]:
        """Every heading with the blocks it governs (itself and everything below it)."""
        with self._lock:
            if self._sections is None:
                self._sections = []
                for i, block in enumerate(self.blocks):
                    if block.kind != "heading":
                        continue
                    end = i + 1
                    while end < len(self.blocks) and not (
                        self.blocks[end].kind == "heading" and self.blocks[end].level <= block.level
                    ):
                        end += 1
                    self._sections.append((block, self.blocks[i:end]))
            return self._sections

    def name(self, blocks: Sequence[Block], taken: Callable[[str], bool]) -> str:
        """A title a reader would write for text without a heading: what its central
        sentences are about (the subject of one, when that is a key term of the text),
        else its leading key term, else its lead words. Titles `taken` are passed over."""
        sentences = self.sentences(blocks)
        if self.cjk:
            central = central_sentences(sentences, self.idf, 1) or sentences[:1]
            if central:
                return first_clause(central[0].text)
        terms = [] if self.cjk else key_terms(sentences, self.idf, 8)
        keys = {t.key for t in terms}
        options = [
            subject
            for sentence in central_sentences(sentences, self.idf, 5, eligible=teaching_sentence)
            for subject, subject_keys in [subject_of(sentence)]
            if subject and keys.intersection(subject_keys)
        ]
        options += [t.surface for t in terms]
        if options:
            titles = [shorten(o[:1].upper() + o[1:]) for o in dict.fromkeys(options)]
            return next((t for t in titles if not taken(t)), titles[0])
        if sentences:
            return shorten(" ".join(sentences[0].text.split()[:8]), 60)
        counts: Counter[str] = Counter()
        for block in blocks:
            counts.update(block.terms)
        if counts:
            top = sorted(counts, key=lambda key: (-counts[key], key))[:2]
            return title_case(self.conjunction.join(top))
        lines = [line for b in blocks for line in b.text.splitlines() if line.strip()]
        text = next((line for line in lines if not line.lstrip().startswith(("```", "~~~"))), "")
        return shorten(" ".join(text.split()[:8]), 60) or "Untitled"


_cache: OrderedDict[str, Analysis] = OrderedDict()
_cache_lock = threading.Lock()


def analyse(markdown: str) -> Analysis:
    """The (cached) analysis of a source text."""
    key = hashlib.sha256(markdown.encode("utf-8")).hexdigest()
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
        analysis = Analysis(markdown)
        _cache[key] = analysis
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return analysis
