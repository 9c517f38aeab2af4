"""A course to export, made with the offline engine from material with lists, a table and code."""

from __future__ import annotations

from pathlib import Path

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
