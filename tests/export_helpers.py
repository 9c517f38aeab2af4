"""Courses to export, made with the offline engine from material with lists, a table and code
(and one made hostile afterwards)."""

from __future__ import annotations

import glob
import json
from pathlib import Path

from geminiteacher.course.store import MANIFEST
from geminiteacher.engine.runner import run_course
from geminiteacher.models import CourseSettings, Source, SourcePart

MATERIAL = """# Cells

## The membrane

A membrane is a thin layer that separates the inside of a cell from its surroundings.
The membrane lets water pass but keeps most large molecules out of the cell.
Proteins in the membrane carry sugar and salts across it when the cell needs them.

- water passes freely
- sugar needs a carrier
  - glucose uses a transporter

| part | job |
| --- | --- |
| membrane | border |
| nucleus | genes |

## The nucleus

The nucleus is the compartment that holds the genetic material of the cell.
Chromosomes in the nucleus carry the genes that are copied before the cell divides.
A nuclear envelope surrounds the nucleus and controls what enters and leaves it.

```python
# count the genes: {braces} and <tags> stay as they are
genes = {"a": 1}
```

# Energy

## Mitochondria

Mitochondria are the organelles that turn sugar into usable energy for the cell.
Each mitochondrion has its own small genome and divides on its own schedule.
Cells that work hard, such as muscle cells, contain thousands of mitochondria.

## Photosynthesis

Photosynthesis is the process that turns light, water and carbon dioxide into sugar.
Chloroplasts carry out photosynthesis in the leaves of green plants.
The oxygen that animals breathe is released by photosynthesis as a by-product.
"""


def offline_course(output_dir: Path, title: str = "Cell Biology: 101", **settings) -> Path:
    """An offline course of `MATERIAL` (from the file cells.md); returns its folder."""
    source = Source([SourcePart("cells.md", MATERIAL)])
    options = {"engine": "offline", "max_chapters": 4, "quiz_questions": 3, **settings}
    return run_course(source, CourseSettings(**options), title=title,
                      output_dir=output_dir).path


TOKEN = "owner-token-5b1f0c7e9a"
TITLE = "/Cells\x01 / biology/\n::Injected:: Question {=yes ~no}"
CHAPTER = "Membranes/ and <b>walls</b>\x02\n$CATEGORY: $course$/top/elsewhere"
MARKUP = ('<script>alert(1)</script><img src="http://example.com/t.png"> & \\ '
          "{=x ~y} #### :: \x01\x1f end\nnext line")
QUESTION = '=HYPERLINK("http://example.com","click") ' + MARKUP
OPTIONS = ["+1 " + MARKUP, "-2 cells", "@SUM(A1)", "\tTabbed"]
WHY = "\rCarriage return first " + MARKUP


def hostile_course(output_dir: Path) -> Path:
    """An offline course (owned by TOKEN) whose titles, quizzes and summary were then made
    hostile: control characters, markup, GIFT's reserved characters, formulas, slashes and
    line breaks in titles."""
    source = Source([SourcePart("cells.md", MATERIAL)])
    settings = CourseSettings(engine="offline", max_chapters=2, quiz_questions=2)
    path = run_course(source, settings, title="Cells", owner_token=TOKEN,
                      output_dir=output_dir).path
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    manifest["title"] = TITLE
    for entry in manifest["chapters"]:
        entry["title"] = CHAPTER
    (path / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    for name in glob.glob(str(path / "chapter_*.json")):
        data = json.loads(Path(name).read_text(encoding="utf-8"))
        data["title"] = CHAPTER
        data["summary"] += " " + MARKUP
        for question in data["quiz"]:
            question.update(question=QUESTION, options=OPTIONS, answer=1, explanation=WHY,
                            source=MARKUP)
        Path(name).write_text(json.dumps(data), encoding="utf-8")
    summary = path / "summary.md"
    summary.write_text(summary.read_text(encoding="utf-8") + "\n" + MARKUP, encoding="utf-8")
    return path
