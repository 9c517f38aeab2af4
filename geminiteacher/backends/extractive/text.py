"""Sentences, terms and titles: the language-level text handling of the offline engine.

Terms are lower-cased, lightly de-pluralised words with stop words removed; CJK text has
no spaces, so it is cut into character bigrams instead. Phrases are runs of up to three
consecutive terms that no stop word or punctuation interrupts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_CHAR = re.compile(f"[{CJK}]")
_CJK_SPLIT = re.compile(f"([{CJK}]+)")
_CJK_GAP = re.compile(f"(?<=[{CJK}，、。！？：；]) (?=[{CJK}])")
_TOKEN = re.compile(r"\w+(?:['’-]\w+)*|[^\w\s]")
_END = re.compile(r"([。！？]+|[.!?…]+)([\"'”’)\]」』）]*)")
_INITIALISM = re.compile(r"^(?:[A-Za-z]\.)*[A-Za-z]$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_OPAQUE = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)|`[^`]+`")
_MARKUP = re.compile(r"<[^>]+>|[*`~]+|(?<!\w)_+|_+(?!\w)")
# A permalink mark an HTML manual leaves after a heading ("Events#", "close()#", "Intro ¶");
# "C#" keeps its sign.
_PERMALINK = re.compile(r"(?:\s+[#¶§🔗]|(?<=\w\w)#|(?<=\))#|[¶§🔗])+$")
# A number the document already gave, repeated ("2. 2. How to use bzip2").
_DOUBLED_NUMBER = re.compile(r"^(\d+(?:\.\d+)*\.?)(?:\s+\1(?=\s))+")
_FILENAME = re.compile(
    r"^([\w .()\[\]-]+)\.(?:pdf|docx?|pptx?|html?|xhtml|epub|md|markdown|txt|rst)$", re.I
)
_CLAUSE = re.compile(r"[，、：；,:;（(]")
# Code inside running text: grammar rules, braces around spaced content, operators, calls,
# assignments, `55:text/x-diff` style records, shell prompts.
_CODE = re.compile(
    r"::=|\{\s|\s\}|[{};]\s*$|==|=>|->|<-|\w\s?=\s?[\w\"'(\[]|\b[A-Za-z_]\w*\((?:\)|[\"'])"
    r"|\b\d+:[a-z]+/|^\W*(?:\$|>>>|#|//)\s|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\w \*\s?\w|\w\[[^\]]*\]"
    r"|\[(?:Function|Macro|Variable|Data Type)\]"
)
# A lower-case name opening a sentence: one with a digit or an inner capital ("asn1Parser
# reads ..."), or any word that "is" or "are" follows ("fastcsv is ...").
_LOWER_NAME = re.compile(r"^(?:[a-z]+[A-Z0-9]\w*\s|[a-z][\w.-]*\s(?:is|are)\s)")
# "Returns: ...", "str len: ...": the label of a definition list, not a sentence.
_LABELLED = re.compile(r"^\W*(?:[^\s:]+\s){0,2}[^\s:]+:\s")
# Contractions ("isn't", "doesn’t", "we'll") are function words, never part of a term.
_CONTRACTION = re.compile(r"(?:n['’]t|['’](?:re|ll|ve|d|m))$")
_OPENING = re.compile(r"^[\"'“‘(\[]*(?:[A-Z0-9ÀÁÂÄÇÉÈÊËÍÎÏÑÓÔÖÚÛÜ]|[" + CJK + r"])")
_ENDING = re.compile(r"(?:[.!?…]|[。！？])[\"'”’)\]」』）]*$")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Openings that lean on a sentence the reader has not seen ("But ...", "This means ...").
_REFERRING = _words(
    """but however this these those that also and or so thus hence therefore moreover
furthermore additionally besides instead otherwise then still yet nevertheless nonetheless
meanwhile likewise similarly consequently accordingly finally lastly secondly thirdly next
it its they their them he she his her such both here
pero sin embargo esto estos estas eso también además así entonces
mais cependant ceci cela ces aussi donc ainsi puis
aber jedoch dies diese dieser dieses auch daher deshalb außerdem dann"""
)
_REFERRING_PHRASES = re.compile(
    r"^(?:in addition|for (?:example|instance)|as a result|on the other hand|in contrast|in "
    r"this case|as (?:mentioned|shown|noted|seen) (?:above|before|earlier)|at the same time"
    r"|in other words|sin embargo|de plus|par exemple|zum beispiel)\b"
)
_REFERRING_CJK = ("但是", "但", "然而", "这", "这些", "因此", "所以", "此外", "而且", "也", "它")

ABBREVIATIONS = _words(
    "mr mrs ms dr prof sr jr st vs e.g i.e eg ie fig figs no nos vol vols pp cf al inc ltd co "
    "corp approx dept est ca ch chap sec sect eq eqs ref refs ed eds op cit resp viz jan feb mar "
    "apr jun jul aug sep sept oct nov dec mt ft gen col lt sgt rev dept univ"
)

_EN = _words(
    """a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers herself him himself his how however i if in
into is it its itself just let like may me might more most must my myself no nor not now of off
on once one only or other our ours ourselves out over own per same she should so some such than
that the their theirs them themselves then there these they this those through thus to too
under until up upon us use used using very was we were what when where whether which while who
whom whose why will with within without would yet you your yours yourself yourselves also
however therefore often many much well way ways two three first second another every see shall
since though although either neither among via etc together still even rather quite almost
already always never sometimes usually make makes made take takes taken give gives given get
gets got called include includes including based"""
)
_ES = _words(
    """el la los las un una unos unas y o de del al en con por para que es son se su sus lo
como más pero sin sobre entre cuando también muy ya este esta estos estas ese esa eso le les
no ni fue ser está están hay"""
)
_FR = _words(
    """le la les un une des et ou de du au aux en dans par pour que qui est sont se sa son
ses ce cette ces il elle ils elles sur avec sans plus mais comme ne pas leur leurs été être
aussi très"""
)
_DE = _words(
    """der die das den dem des ein eine einer eines einem einen und oder zu im in ist sind
mit von für auf nicht sich auch als wie bei aus nach dass es er sie wir ihr war wurde werden
wird kann noch nur über zum zur"""
)
STOPWORDS_BY_LANGUAGE = {"en": _EN, "es": _ES, "fr": _FR, "de": _DE}
ENGLISH_STOPWORDS = _EN
# CJK phrases never span these particles (a crude stand-in for word segmentation).
_PARTICLE_SPLIT = re.compile("[的了是在和与及或也都就而这那个我你他她它们之其有为以于不]+")
_SMALL_WORDS = _words(
    "a an the and or nor but of in on to for with at by from as via vs y o de del la el et ou "
    "le les des du und oder der die das"
)


@dataclass(frozen=True)
class Sentence:
    """One sentence and its terms: `runs` are stop-word-free runs of (key, surface) pairs."""

    text: str
    runs: tuple[tuple[tuple[str, str], ...], ...]
    keys: tuple[str, ...] = field(init=False)
    keyset: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        keys = tuple(key for run in self.runs for key in _run_terms(run))
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "keyset", frozenset(keys))

    def words(self) -> int:
        return text_size(self.text)


def text_size(text: str) -> int:
    """Words in `text`, counting each CJK character as one word."""
    return len(text.split()) + len(_CJK_CHAR.findall(text))


def is_clean_sentence(text: str) -> bool:
    """A complete prose sentence: opens with a capital, a digit, CJK or a lower-case name
    ("fastcsv is ..."), ends with a full stop, has five words or more, and holds no code."""
    text = text.strip()
    opening = _OPENING.match(text) or _LOWER_NAME.match(text)
    if not opening or not _ENDING.search(text) or _CODE.search(text) or _LABELLED.match(text):
        return False
    if text.count("(") != text.count(")") or text.count("[") != text.count("]"):
        return False  # half a link or an aside cut off
    return text_size(text) >= (8 if _CJK_CHAR.match(text) else 5)


_AUXILIARIES = _words(
    "is are was were has have had can could will would must may might should does do did "
    "es son est sont ist sind hat haben"
)
_NOT_AFTER_VERB = _words("of in on at to for and or nor with by from as")
_DEMONSTRATIVES = _words("this that these those")


# Words that open an object: a word right before one was used as a verb ("releases all").
_OBJECT_AFTER = re.compile(
    r"^\s+(?:a|an|the|all|both|its|their|this|these|how|what|whether|your|our|my|them"
    r"|every|each)\b"
)


def find_words(text: str, words: str) -> int:
    """Where `words` stand as whole words in `text` ("call" not inside "caller"), or -1."""
    at = text.find(words)
    while at >= 0:
        end = at + len(words)
        if not _joined(text, at - 1, at - 2) and not _joined(text, end, end + 1):
            return at
        at = text.find(words, at + 1)
    return -1


def _joined(text: str, i: int, beyond: int) -> bool:
    """Whether text[i] ties the words to more of one token: a letter or digit, or a dot,
    slash, hyphen or underscore with a letter or digit past it ("syscalls.txt")."""
    if not 0 <= i < len(text):
        return False
    if text[i].isalnum():
        return True
    return text[i] in "._/-" and 0 <= beyond < len(text) and text[beyond].isalnum()


def opens_object(text: str) -> bool:
    """Whether `text` (what follows a word) opens with an article or the like."""
    return bool(_OBJECT_AFTER.match(text))


_ADJECTIVE = re.compile(r"(?:al|ar|ic|ous|ive|ed|ful|less|able|ible|ary|ent|ant)$")


def adjectival(word: str) -> bool:
    """A word shaped like an adjective ("nuclear", "genetic", "portable")."""
    return bool(_ADJECTIVE.search(word))


def inflected(word: str) -> bool:
    """A lower-case English word in -s or -ed: often a verb ("splits", "returned")."""
    return (
        word.isascii() and word.isalpha() and word.islower() and len(word) > 3
        and (word.endswith("ed") or (word.endswith("s") and not word.endswith(("ss", "us", "is"))))
    )


_LEADING_ARTICLE = re.compile(r"^(?:an?|the)\s+", re.IGNORECASE)


def subject_of(sentence: Sentence) -> tuple[str, list[str]]:
    """The noun phrase a sentence opens with, as written, and its term keys ("The
    sodium-potassium pump moves ..." → "sodium-potassium pump"); ("", []) when it opens
    otherwise (with a clause, a verb, a pronoun)."""
    text = _LEADING_ARTICLE.sub("", sentence.text.lstrip("\"'“‘(["))
    if not sentence.runs or not text.startswith(sentence.runs[0][0][1]):
        return "", []
    words: list[tuple[str, str]] = []
    for key, surface in sentence.runs[0]:
        if words and inflected(surface):
            break
        words.append((key, surface))
    if len(words) > 4 or (len(words) == 1 and len(words[0][1]) < 3):
        return "", []
    return " ".join(s for _, s in words), [k for k, _ in words]


def as_statement(item: str) -> str | None:
    """A bullet that states something ("Photosystem II splits water and releases O2"), as
    a sentence with its full stop; None for a label or a noun phrase ("Light reactions in
    the thylakoid"). A statement opens with a capital and has a finite verb: an auxiliary,
    or a word in -s or -ed between a word that is no article and a word that is no
    preposition."""
    text = item.strip()
    words = text.split()
    if len(words) < 4 or _ENDING.search(text) or not _OPENING.match(text) or ":" in text:
        return None
    second = words[1].strip(",;()")
    if inflected(words[0].casefold()) and second.islower() and second not in ENGLISH_STOPWORDS:
        return text + "."  # a plural subject and its verb ("Plants turn light ...")
    for i in range(1, len(words) - 1):
        word = words[i].strip(",;()")
        if word in _AUXILIARIES:
            return text + "."
        if (
            inflected(word)
            and words[i - 1].casefold() not in _NOT_AFTER_VERB | _DEMONSTRATIVES
            and words[i + 1].casefold() not in _NOT_AFTER_VERB
        ):
            return text + "."
    return None


def refers_back(text: str) -> bool:
    """True when a sentence opens with a word that refers to text before it ("But",
    "However", "This", "These", "Also", ...), so it cannot stand alone."""
    text = text.strip().lstrip("\"'“‘([")
    if text.startswith(_REFERRING_CJK):
        return True
    first = re.match(r"[\w’']+", text)
    word = first.group().casefold() if first else ""
    return word in _REFERRING or bool(_REFERRING_PHRASES.match(text.casefold()))


def estimate_tokens(text: str) -> int:
    """A local token estimate: four characters a token, one token per CJK character."""
    cjk = len(_CJK_CHAR.findall(text))
    return (len(text) - cjk + 3) // 4 + cjk


def is_cjk(text: str) -> bool:
    """True when CJK characters make up a good share of the text's letters."""
    letters = sum(1 for c in text[:2000] if c.isalpha())
    return bool(letters) and len(_CJK_CHAR.findall(text[:2000])) * 3 >= letters


def flatten(text: str) -> str:
    """Collapse whitespace (line breaks inside a paragraph) to single spaces."""
    return _CJK_GAP.sub("", " ".join(text.split()))


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences: . ! ? (minding abbreviations and initials) and 。！？."""
    text = flatten(text)
    # link targets and inline code are opaque: their dots never end a sentence
    masked = _OPAQUE.sub(lambda m: "x" * len(m.group()), text)
    sentences: list[str] = []
    start = 0
    for match in _END.finditer(masked):
        end = match.end()
        if match.group(1)[0] not in "。！？" and not _latin_boundary(masked, match):
            continue
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = end
    rest = text[start:].strip()
    if rest:
        sentences.append(rest)
    return sentences


def _latin_boundary(text: str, match: re.Match[str]) -> bool:
    end = match.end()
    if end < len(text) and not text[end].isspace():
        return False
    following = text[end : end + 2].strip()[:1]
    if following.islower():
        return False
    if match.group(1) != ".":
        return True
    word_start = text.rfind(" ", 0, match.start()) + 1
    word = text[word_start : match.start()].lstrip("([\"'“‘")
    return not (word.lower() in ABBREVIATIONS or _INITIALISM.match(word))


def stem(word: str) -> str:
    """A light English-leaning de-pluraliser, enough to make `cells` match `cell`."""
    if word.endswith(("'s", "’s")):
        return word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def analyse_sentence(text: str, stopwords: frozenset[str] = ENGLISH_STOPWORDS) -> Sentence:
    """Tokenise one sentence into runs of content terms."""
    runs: list[tuple[tuple[str, str], ...]] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        if run:
            runs.append(tuple(run))
            run.clear()

    for match in _TOKEN.finditer(text):
        token = match.group()
        if not token[0].isalnum():
            flush()
            continue
        pieces = [token] if token.isascii() else [p for p in _CJK_SPLIT.split(token) if p]
        for piece in pieces:
            if _CJK_CHAR.match(piece):
                flush()
                for chars in re.split(_PARTICLE_SPLIT, piece):
                    if chars:
                        runs.append(tuple((c, c) for c in chars))
                continue
            low = piece.lower()
            contraction = ("'" in low or "’" in low) and _CONTRACTION.search(low)
            if len(low) < 2 or low in stopwords or low.isdigit() or contraction:
                flush()
            else:
                run.append((stem(low), piece))
    flush()
    return Sentence(text, tuple(runs))


def _is_cjk_run(run: tuple[tuple[str, str], ...]) -> bool:
    return bool(_CJK_CHAR.match(run[0][0]))


def _run_terms(run: tuple[tuple[str, str], ...]) -> list[str]:
    """The vector terms of a run: its words, or the character bigrams of a CJK run."""
    if _is_cjk_run(run):
        chars = "".join(key for key, _ in run)
        return [chars[i : i + 2] for i in range(len(chars) - 1)]
    return [key for key, _ in run]


def term_keys(phrase: str) -> list[str]:
    """The vector terms a phrase key is made of (see `_run_terms`)."""
    parts = phrase.split(" ")
    if _CJK_CHAR.match(parts[0]):
        return ["".join(parts[i : i + 2]) for i in range(len(parts) - 1)]
    return parts


def phrase_counts(sentences: Iterable[Sentence]) -> Counter[str]:
    """How often each phrase occurs: 1-3 consecutive words, or 2-4 consecutive CJK characters.

    Phrase keys are the term keys joined by single spaces.
    """
    counts: Counter[str] = Counter()
    for sentence in sentences:
        for run in sentence.runs:
            keys = [key for key, _ in run]
            shortest, longest = (2, 4) if _is_cjk_run(run) else (1, 3)
            for n in range(shortest, min(longest, len(keys)) + 1):
                counts.update(" ".join(keys[i : i + n]) for i in range(len(keys) - n + 1))
    return counts


def surface_of(phrase: str, sentence: Sentence) -> str | None:
    """The phrase as it is written in `sentence`, or None when the sentence lacks it."""
    if not sentence.keyset.issuperset(term_keys(phrase)):
        return None
    wanted = phrase.split(" ")
    n = len(wanted)
    for run in sentence.runs:
        keys = [key for key, _ in run]
        for i in range(len(keys) - n + 1):
            if keys[i : i + n] == wanted:
                glue = "" if _is_cjk_run(run) else " "
                return glue.join(surface for _, surface in run[i : i + n])
    return None


def detect_language(text: str, sample: int = 100_000) -> str | None:
    """The stop-word language (en, es, fr, de) the text reads most like, if any."""
    words = re.findall(r"\w+", text[:sample].lower())
    hits = {
        code: sum(1 for w in words if w in vocabulary)
        for code, vocabulary in STOPWORDS_BY_LANGUAGE.items()
    }
    best = max(STOPWORDS_BY_LANGUAGE, key=lambda code: hits[code])
    return best if hits[best] else None


def stopwords_for(language: str | None) -> frozenset[str]:
    """English stop words plus those of the source's own language."""
    return ENGLISH_STOPWORDS | STOPWORDS_BY_LANGUAGE.get(language or "en", frozenset())


def title_case(phrase: str) -> str:
    """Capitalise a phrase for a title, keeping acronyms and small joining words as they are."""
    words = phrase.split()
    out = []
    for i, word in enumerate(words):
        if word.isupper() or any(c.isupper() for c in word[1:]):
            out.append(word)
        elif i and word.lower() in _SMALL_WORDS:
            out.append(word.lower())
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


def is_file_name(text: str) -> bool:
    """True for a heading that is just a file name, as joined sources get (`# notes.pdf`)."""
    return bool(_FILENAME.match(text.strip()))


def clean_title(text: str, limit: int = 80) -> str:
    """A readable title from heading or sentence text: no markup, no trailing punctuation."""
    text = _MARKUP.sub("", _LINK.sub(r"\1", text))
    text = _DOUBLED_NUMBER.sub(r"\1", _PERMALINK.sub("", " ".join(text.split())))
    filename = _FILENAME.match(text)
    if filename:
        text = " ".join(re.split(r"[_\s-]+", filename.group(1))).strip()
        text = title_case(text) if text.islower() else text
    return shorten(text, limit)


def shorten(text: str, limit: int = 80) -> str:
    """Cut at a word boundary (any character for CJK) to `limit`, without trailing punctuation."""
    text = text.strip()
    if len(text) > limit:
        cut = text[:limit]
        space = cut.rfind(" ")
        text = cut[:space] if space > limit // 2 else cut
    return text.rstrip(" \t.,;:!?-–—…。，、；：！？(\"'“‘")


def first_clause(text: str, limit: int = 30) -> str:
    """The opening clause of a sentence, used as a title for CJK text."""
    return shorten(_CLAUSE.split(flatten(text), maxsplit=1)[0], limit)


def normalize_title(text: str) -> str:
    """Case- and punctuation-free form of a title, for comparing titles."""
    return " ".join(re.findall(r"\w+", clean_title(text, 1000).casefold()))
