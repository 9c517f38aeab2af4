"""Which sentences and terms matter: centroid centrality and distinctive key phrases.

Centrality is the cosine-like similarity of a sentence to the TF-IDF centroid of its
passage (the MEAD idea): linear in the text, unlike pairwise TextRank, so a whole book
ranks in well under a second. Key terms are phrases frequent in the passage and rare in
the document (idf over blocks), longer phrases preferred.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from geminiteacher.backends.extractive.text import (
    Sentence,
    adjectival,
    find_words,
    inflected,
    is_clean_sentence,
    opens_object,
    phrase_counts,
    refers_back,
    surface_of,
    term_keys,
    text_size,
)

_VERBS = (
    r"(?:(?:is|are|was|were|means?|refers? to|describes?|denotes?|is called|are called|"
    r"is defined as|es|son|significa|se refiere a|est|sont|désigne|signifie|ist|sind|"
    r"bedeutet|bezeichnet)\b|是|指|称为|即)"
)
_DEFINED_AFTER = re.compile(r"^[\s,]*(?:\([^)]*\)[\s,]*)?" + _VERBS, re.I)
_DEFINITION = re.compile(r"^\W*(?:\w+[\s-]+){1,3}?" + _VERBS + r"\s+(?:a|an|the)\b", re.I)
# Words after which a word is a noun ("the cache", "of records"): a term must be one.
_NOUN_MARKERS = frozenset(
    re.findall(
        r"\S+",
        """a an the this these those each every its their our your his her of no any some
one two three many several all both another other such per with for in on from by into about
el la los las un una unos unas del al de le les une des du au aux der die das den dem
ein eine einen einem einer""",
    )
)
# Words too general to be a key term on their own.
_GENERIC = frozenset(
    re.findall(
        r"\S+",
        """line example thing part way case number following section chapter page step
time lot kind sort point use word item list end start""",
    )
)
_VERB_FORM = re.compile(r"^[a-z]+[^s]s$")  # "surrounds", "carries": a verb after its subject
_ARTICLE = re.compile(r"^(?:an?|the|el|la|los|las|un|una|le|les|une|der|die|das|ein|eine)\s+",
                      re.IGNORECASE)
_OUTRIGHT = re.compile(
    r"^(?:\s*\([^)]*\))?,?\s+(?:(?:is|are)\s+(?:a|an|the|one|any|what|how)\b|means\b"
    r"|are\s+(?:(?!\w+(?:ed|ly)\b)[a-z][\w-]*\s+){0,2}[a-z][\w-]*[^s\W]s\b"
    r"|refers? to\b|(?:is|are) (?:called|defined as|known as)\b|denotes\b"
    r"|es (?:un|una|el|la)\b|son (?:los|las|unos|unas)\b|est (?:un|une|le|la)\b"
    r"|sont (?:des|les)\b|ist (?:ein|eine|der|die|das)\b|sind\b)",
    re.IGNORECASE,
)
INTRODUCING = 60  # sentences searched for a term's introduction (definitions come early)
_CROSS_REFERENCE = re.compile(
    r"\b(?:section|chapter|part|appendix|page)\s+(?:called|entitled|titled)\s*[\"“'‘]?$", re.I
)
_VERSION_TAIL = re.compile(r"^\.\d")
_VERB_AFTER = re.compile(r"^\s+(is|are|was|were)\b", re.IGNORECASE)
_DEFINED_BEFORE = re.compile(
    r"(?:called|known as|termed|defined as|llamad[oa]s?|appelée?s?|genannt)\s+(?:the\s+)?[\"“']?$",
    re.I,
)


@dataclass(frozen=True)
class Term:
    """A key phrase of a passage, as written, with the sentence that best introduces it.

    `article` is the English article the text puts before it ("a", "the" or ""); `proper`
    says it is capitalised even inside a sentence (a name, an acronym).
    """

    key: str
    surface: str
    sentence: Sentence
    defined: bool
    score: float = 0.0
    article: str = ""
    proper: bool = False
    agrees_plural: bool | None = None  # "X are ..." / "X is ..." in the text, when it says

    @property
    def plural(self) -> bool:
        """Whether the usual spelling is a plural (its last word is not its de-pluralised key)."""
        if self.agrees_plural is not None:
            return self.agrees_plural
        last = self.surface.split()[-1].casefold() if self.surface.split() else ""
        return last.isascii() and last != self.key.split(" ")[-1]

    @property
    def name(self) -> str:
        """The term as it reads inside a sentence (see `inside_sentence`)."""
        return inside_sentence(self.surface, self.proper)


def inside_sentence(words: str, proper: bool) -> str:
    """Words as they read inside a sentence: a capital that only opened a sentence is
    dropped ("Magic rules" → "magic rules"); names (`proper`) and acronyms keep theirs."""
    first = words.split(" ")[0]
    if proper or not first[:1].isupper() or not first[1:].islower():
        return words
    return words[:1].lower() + words[1:]


def teaching_sentence(sentence: Sentence) -> bool:
    """A sentence fit for a summary: complete prose, no code, standing on its own."""
    return is_clean_sentence(sentence.text) and not refers_back(sentence.text)


def normalize_sentence(text: str) -> str:
    """Case- and spacing-free form of a sentence, to spot one already used elsewhere."""
    return " ".join(text.casefold().split())


def central_sentences(
    sentences: Sequence[Sentence],
    idf: Mapping[str, float],
    count: int,
    used: str = "",
    eligible: Callable[[Sentence], bool] = lambda sentence: True,
) -> list[Sentence]:
    """The `count` most central, mutually different sentences, in document order.

    Sentences whose normalised text occurs in `used` are skipped (cascade mode), and so
    are those `eligible` refuses (all of them count towards the centroid).
    """
    scored = _scores(sentences, idf)
    chosen: list[int] = []
    chosen_keys: list[frozenset[str]] = []
    for _, index in sorted(((-s, i) for i, s in enumerate(scored) if s > 0)):
        sentence = sentences[index]
        if (used and normalize_sentence(sentence.text) in used) or not eligible(sentence):
            continue
        keys = sentence.keyset
        if any(_jaccard(keys, other) > 0.5 for other in chosen_keys):
            continue
        chosen.append(index)
        chosen_keys.append(keys)
        if len(chosen) >= count:
            break
    if not chosen:  # too short to rank: take the opening sentences
        fresh = [
            s
            for s in sentences
            if not (used and normalize_sentence(s.text) in used) and eligible(s)
        ]
        return fresh[:count]
    return [sentences[i] for i in sorted(chosen)]


def _scores(sentences: Sequence[Sentence], idf: Mapping[str, float]) -> list[float]:
    df: Counter[str] = Counter()
    for sentence in sentences:
        df.update(sentence.keyset)
    scores = []
    for index, sentence in enumerate(sentences):
        keys = sentence.keyset
        if len(keys) < 2:
            scores.append(0.0)
            continue
        weights = [idf.get(key, 1.0) for key in keys]
        dot = sum(w * w * df[key] for w, key in zip(weights, keys, strict=True))
        score = dot / math.sqrt(sum(w * w for w in weights))
        words = sentence.words()
        if words > 45:
            score *= 45 / words
        if words < 5:
            score *= 0.5
        if sentence.text.endswith((":", "?", "：", "？")):
            score *= 0.5
        if index == 0:
            score *= 1.1
        if _DEFINITION.match(sentence.text):
            score *= 1.2
        scores.append(score)
    return scores


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def key_terms(
    sentences: Sequence[Sentence],
    idf: Mapping[str, float],
    limit: int,
    headings: Collection[str] = (),
) -> list[Term]:
    """Up to `limit` distinctive phrases of the passage, best first, none inside another.

    Phrases that the passage defines ("X is ...") or that its headings use (`headings`
    holds heading term keys) rank higher.
    """
    counts = phrase_counts(sentences)
    small = len(sentences) <= 6
    eligible = {
        phrase: tf
        for phrase, tf in counts.items()
        if (tf >= 2 or (small and phrase.count(" ") < 2))
        and not (" " not in phrase and phrase.isascii() and len(phrase) < 3)
        and phrase not in _GENERIC
    }
    # A phrase that only ever occurs inside a longer eligible phrase is not a term by itself.
    # (A phrase met once may still be refused below, so its words stay candidates.)
    nested = {
        part
        for phrase, tf in eligible.items()
        if " " in phrase and tf > 1
        for part in _parts(phrase)
        if eligible.get(part) == tf
    }
    ranked = []
    for phrase, tf in eligible.items():
        if phrase in nested:
            continue
        keys = phrase.split(" ")
        parts = term_keys(phrase)
        weight = sum(idf.get(key, 1.0) for key in parts) / len(parts)
        longer = 1 + 0.5 * (len(keys) - 1) if tf > 1 else 1.0
        ranked.append((-(1 + math.log(tf)) * weight * longer, phrase))
    ranked.sort()
    where: dict[str, list[int]] = {}
    for i, sentence in enumerate(sentences):
        for key in sentence.keyset:
            where.setdefault(key, []).append(i)
    scored = []
    for score, phrase in ranked[: limit * 6]:
        rows = min((where.get(key, []) for key in term_keys(phrase)), key=len)[:INTRODUCING]
        term = _introduce(phrase, [sentences[i] for i in rows])
        if term is None or (" " in phrase and counts[phrase] < 2 and not term.defined):
            continue  # a one-off run of words is rarely a term unless the text defines it
        in_heading = not set(term_keys(phrase)).isdisjoint(headings)
        bonus = (1.6 if term.defined else 1.0) * (1.4 if in_heading else 1.0)
        scored.append((score * bonus, phrase, term))
    scored.sort(key=lambda item: (item[0], item[1]))
    terms: list[Term] = []
    for score, phrase, term in scored:
        keys = set(phrase.split(" "))
        if any(keys <= set(t.key.split(" ")) or keys >= set(t.key.split(" ")) for t in terms):
            continue
        terms.append(replace(term, score=-score))
        if len(terms) >= limit:
            break
    return terms


def _parts(phrase: str) -> list[str]:
    keys = phrase.split(" ")
    return [
        " ".join(keys[i : i + n]) for n in range(1, len(keys)) for i in range(len(keys) - n + 1)
    ]


def _introduce(phrase: str, sentences: Sequence[Sentence]) -> Term | None:
    """The phrase's usual spelling and the sentence that defines it (else its first use).

    Only complete prose sentences that say more than the phrase itself can introduce it,
    and the phrase must be used as a noun (after an article or a preposition) unless the
    text defines it or it is a name: verbs and adjectives are not key terms.
    """
    if " " in phrase and any(inflected(w) for w in phrase.split(" ")[:-1]):
        return None  # "caller maintains input": a verb inside, not a term
    spellings: Counter[str] = Counter()
    verb_uses = 0
    first: Sentence | None = None
    definition: tuple[Sentence, str] | None = None
    articles: Counter[str] = Counter()
    noun = proper = False
    head = " " in phrase or not phrase.isascii()
    for sentence in sentences:
        surface = surface_of(phrase, sentence)
        if surface is None:
            continue
        if " " in surface and any(inflected(w.lower()) for w in surface.split(" ")[:-1]):
            return None  # "groups packages according": a verb inside, not a term
        spellings[surface] += 1
        head = head or _stands_alone(phrase, sentence)
        at = max(0, find_words(sentence.text, surface))
        after = sentence.text[at + len(surface):]
        if _VERSION_TAIL.match(after):
            return None  # "bzip2-0" of "bzip2-0.1": a version, not a term
        last = surface.split(" ")[-1]
        verb_uses += opens_object(after) and (" " not in surface or inflected(last))
        words = sentence.text[:at].split()
        before = words[-1].casefold() if words else ""
        # after an article or a preposition (perhaps with an adjective between: "a nuclear
        # envelope"), or opening the sentence as its subject
        noun = noun or not phrase.isascii() or before in _NOUN_MARKERS or (
            len(words) > 1 and words[-2].casefold() in _NOUN_MARKERS and adjectival(before)
        ) or (not words and not surface.casefold().endswith("ly"))
        proper = proper or bool(words and any(c.isupper() for c in surface))
        if before in ("a", "an", "the"):
            articles[before] += 1
        if definition is not None:
            continue
        defining = defines(sentence.text, surface)
        if (first is None or defining) and _introduces(sentence, surface):
            first = first or sentence
            if defining:
                definition = (sentence, surface)
    if first is None or not (definition or (noun and head) or proper):
        return None
    if not definition and (verb_uses or (" " not in phrase and phrase.endswith("ed"))):
        return None  # "describes both ...", "returned", "Heapwatch reports the": verbs
    # Prefer the lower-case spelling on ties: a capital is often just the sentence start.
    usual = min(spellings, key=lambda s: (-spellings[s], s != s.lower(), s))
    article = "an" if articles["an"] else "a" if articles["a"] else "the" if articles else ""
    if definition:
        text, written = definition[0].text, definition[1]
        verb = _VERB_AFTER.match(text[text.find(written) + len(written) :])
        # the verb after the definition tells the number, if it defines the usual spelling
        plural = verb.group(1).casefold() in ("are", "were") if verb and written == usual else None
        return Term(phrase, usual, definition[0], True, article=article, proper=proper,
                    agrees_plural=plural)
    return Term(phrase, usual, first, False, article=article, proper=proper)


def _introduces(sentence: Sentence, surface: str) -> bool:
    """A complete prose sentence that says more than the term itself."""
    return is_clean_sentence(sentence.text) and sentence.words() >= text_size(surface) + 3


def _stands_alone(key: str, sentence: Sentence) -> bool:
    """Whether a one-word term is a noun somewhere in the sentence rather than only a word
    that modifies the next one ("a small buffer"): it ends a run of content words ("a read
    buffer"), or a verb follows it ("the envelope surrounds ...")."""
    return any(
        run[i][0] == key and (i + 1 == len(run) or _VERB_FORM.match(run[i + 1][1]))
        for run in sentence.runs
        for i in range(len(run))
    )


def defines_outright(term: Term) -> bool:
    """Whether the term's sentence opens by defining it ("A glob pattern is a ...", "Magic
    rules are ...", "X means ..."): only then is "What is X?" a fair question."""
    text = _ARTICLE.sub("", term.sentence.text.strip(), count=1)
    if not text.casefold().startswith(term.surface.casefold()):
        return False
    return bool(_OUTRIGHT.match(text[len(term.surface):]))


def glosses(term: Term) -> bool:
    """Whether the term's sentence can gloss it: it defines the term, or the term is what
    the sentence is about (its opening words), not a word it merely mentions."""
    if refers_back(term.sentence.text):
        return False  # "These flags are ...": about something the reader has not seen
    if term.defined or not term.surface.isascii():
        return True
    text = _ARTICLE.sub("", term.sentence.text.strip(), count=1)
    return text.casefold().startswith(term.surface.casefold())


def defines(text: str, surface: str) -> bool:
    """True when `text` reads like a definition of `surface` ("X is ...", "called X")."""
    low = text.lower()
    at = find_words(low, surface.lower())  # a whole word: not "emit" inside "emitters"
    if at < 0 or len(low) != len(text):
        found = re.search(re.escape(surface), text, re.I)  # lower() changed a length
        if found is None:
            return False
        at = found.start()
    before, after = text[:at], text[at + len(surface) :]
    if _CROSS_REFERENCE.search(before):
        return False  # "see the section called X": a pointer, not a definition
    opening = len(before.split()) <= 1
    return bool((opening and _DEFINED_AFTER.match(after)) or _DEFINED_BEFORE.search(before))
