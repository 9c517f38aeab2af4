"""Figures, their goals, the printed table and the JSON record of a benchmark run."""

from __future__ import annotations

import json
import operator
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_OPS = {"<=": (operator.le, "≤"), ">=": (operator.ge, "≥"), "<": (operator.lt, "<"),
        "==": (operator.eq, "=")}


@dataclass(frozen=True)
class Goal:
    """A pass/fail rule on a figure's `value` or on its `ratio` (value / bound)."""

    on: str  # "value" | "ratio"
    op: str  # a key of _OPS
    limit: float

    def met(self, figure: Figure) -> bool:
        if self.on == "run":
            return isinstance(figure.value, (int, float))
        seen = figure.ratio if self.on == "ratio" else figure.value
        if not isinstance(seen, (int, float)):
            return False
        return bool(_OPS[self.op][0](seen, self.limit))

    def __str__(self) -> str:
        if self.on == "run":
            return "runs"
        return f"{self.on} {_OPS[self.op][1]} {self.limit:g}"


RUNS = Goal("run", "==", 0)  # the scenario ran to the end (its value is a number)


@dataclass
class Figure:
    """One measured number (or a skip/error note) of one scenario."""

    scenario: str
    name: str
    value: float | int | str | None
    unit: str = ""
    bound: float | None = None
    goal: Goal | None = None

    @property
    def ratio(self) -> float | None:
        if isinstance(self.value, (int, float)) and self.bound:
            return self.value / self.bound
        return None

    @property
    def ok(self) -> bool | None:
        """True/False against the goal; None when the figure is report-only or skipped."""
        if self.goal is None:
            return None
        return self.goal.met(self)

    @property
    def key(self) -> str:
        return f"{self.scenario}/{self.name}"

    def as_dict(self) -> dict[str, Any]:
        ratio = self.ratio
        return {"value": _round(self.value), "unit": self.unit, "bound": _round(self.bound),
                "ratio": _round(ratio), "goal": str(self.goal) if self.goal else None,
                "ok": self.ok}


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def _cell(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def table(figures: Sequence[Figure]) -> str:
    """A plain-text table: scenario, figure, value, bound, ratio, goal, pass/fail."""
    head = ("scenario", "figure", "value", "bound", "ratio", "goal", "result")
    rows = [head]
    for f in figures:
        result = {True: "pass", False: "FAIL", None: "report"}[f.ok]
        rows.append((f.scenario, f.name, _cell(f.value, f.unit), _cell(f.bound, f.unit),
                     _cell(f.ratio), str(f.goal) if f.goal else "-", result))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": sys.version.split()[0],
            "platform": platform.platform()}


def record(figures: Sequence[Figure], mode: str, seconds: float, load: float) -> dict[str, Any]:
    """The JSON object printed as the last line and saved as bench/latest.json.

    `load` is the 1-minute load average when the run began: other work on the machine
    shows up in every timing.
    """
    return {"mode": mode, "seconds": round(seconds, 1), "load_at_start": round(load, 2),
            "machine": machine(),
            "passed": all(f.ok is not False for f in figures),
            "figures": {f.key: f.as_dict() for f in figures}}


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
