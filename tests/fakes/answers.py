"""The fakes' deterministic course answers, read from the instruction text that
`geminiteacher.backends.prompts` writes: an outline of the document's headings, chapters with
the quiz and sources the schema asks for, and a summary listing the chapters."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any


def outline_titles(document: str, instruction: str, size: int | None = None) -> list[str]:
    """The document's first headings (padded with `Topic N`), as many as the instruction asks."""
    if size is None:
        match = re.search(r"Number of chapters: (?:exactly|between 1 and) (\d+)", instruction)
        size = int(match.group(1)) if match else 5
    titles: list[str] = []
    for line in document.splitlines():
        heading = re.match(r"^#{1,3}\s+(.+?)\s*#*$", line)
        if heading and heading.group(1) not in titles:
            titles.append(heading.group(1))
    titles = titles[:size]
    titles += [f"Topic {i}" for i in range(len(titles) + 1, size + 1)]
    return titles


def chapter(document: str, instruction: str, asked: dict[str, Any],
            notes: Sequence[str] = (), cited: Sequence[str] = ()) -> dict[str, Any]:
    """A chapter for the instruction's `Chapter title:`, with sources (`cited` added) and a
    quiz when the schema's properties (`asked`) name them; `notes` close its explanation."""
    match = re.search(r"^Chapter title: (.*)$", instruction, re.M)
    title = match.group(1).strip() if match else "Chapter"
    written: dict[str, Any] = {
        "title": title,
        "summary": f"This chapter covers {title} and why it matters.",
        "explanation": f"{title} is explained here step by step, with the examples "
        "from the document and the reasoning that connects them."
        + "".join(f"\n\n{note}" for note in notes),
        "extension": f"Further reading on {title}; try applying it to a new case.",
    }
    if "sources" in asked:  # the heading named like the chapter, and one made up
        headings = re.findall(r"^#{1,3}\s+(.+?)\s*$", document, re.M)
        written["sources"] = [h for h in headings if h.lower() == title.lower()][:1]
        written["sources"].append("A section the document does not have")
        written["sources"] += cited
    if "quiz" in asked:  # n questions, the correct option moving through A-D
        written["quiz"] = [{
            "question": f"Question {q} on {title}: which statement is right?",
            "options": [{"text": f"{'Right' if o == q % 4 else 'Wrong'} answer {o + 1}",
                         "correct": o == q % 4} for o in range(4)],
            "explanation": f"The document says so in its part on {title}.",
            "source": title,
        } for q in range(asked["quiz"].get("minItems", 1))]
    return written


def course_text(kind: str, document: str, instruction: str, asked: dict[str, Any],
                as_json: bool, outline_size: int | None = None, *,
                notes: Sequence[str] = (), cited: Sequence[str] = ()) -> str:
    """The answer to one call of `kind` (outline, chapter, summary): JSON when `as_json`,
    else Markdown; `notes` and `cited` as in `chapter`."""
    if kind == "outline":
        titles = outline_titles(document, instruction, outline_size)
        if as_json:
            return json.dumps({"chapters": titles}, ensure_ascii=False)
        return "\n".join(f"{i}. {t}" for i, t in enumerate(titles, 1))
    if kind == "chapter":
        written = chapter(document, instruction, asked, notes, cited)
        if as_json:
            return json.dumps(written, ensure_ascii=False)
        return (f"# {written['title']}\n\n## Summary\n\n{written['summary']}\n\n"
                f"## Explanation\n\n{written['explanation']}\n\n## Extension\n\n"
                f"{written['extension']}\n")
    if kind == "summary":
        listed = re.findall(r"^\s*\d+\.\s+(.+)$", instruction, re.M)
        bullets = "\n".join(f"- {t}" for t in listed) or "- the whole document"
        return ("## Course summary\n\nThe course walks through the material in order:\n\n"
                f"{bullets}\n\nTogether these chapters cover the document end to end.\n")
    return "OK"
