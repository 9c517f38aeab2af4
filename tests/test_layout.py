"""The package's shape: no import cycles, streamlit only in the page, documented names kept."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "geminiteacher"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_names(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file (inside functions and
    TYPE_CHECKING blocks too), with `from a import b` counted as `a.b` as well as `a`."""
    names: set[str] = set()
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    graph = {}
    for name, path in modules.items():
        targets = {n for n in imported_names(path) if n in modules and n != name}
        # importing a.b.c runs a and a.b first; those parents are not edges of this module's own
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


FLOW = ["errors", "models", "text", "ingest", "backends", "course", "engine", "exports"]


def flow_step(module: str) -> int | None:
    parts = module.split(".")
    return FLOW.index(parts[1]) if len(parts) > 1 and parts[1] in FLOW else None


def test_imports_point_back_along_the_flow():
    backwards = [(source, target) for source, targets in import_graph().items()
                 for target in targets
                 if None not in (flow_step(source), flow_step(target))
                 and flow_step(target) > flow_step(source)]
    assert backwards == []


def test_only_the_page_imports_streamlit():
    offenders = [name for name, path in package_modules().items()
                 if not name.startswith("geminiteacher.ui")
                 and any(n == "streamlit" or n.startswith("streamlit.")
                         for n in imported_names(path))]
    assert offenders == []


@pytest.mark.parametrize("dotted", [
    "geminiteacher.parallel.parallel_map_with_delay",
    "geminiteacher.parallel.generate_chapter_with_retry",
    "geminiteacher.parallel.parallel_generate_chapters",
    "geminiteacher.converter.convert_to_markdown",
    "geminiteacher.coursemaker.create_course",
    "geminiteacher.coursemaker.create_course_cascade",
    "geminiteacher.coursemaker.generate_toc",
    "geminiteacher.coursemaker.generate_chapter",
    "geminiteacher.coursemaker.generate_summary",
    "geminiteacher.exports.export_course",
    "geminiteacher.runner.finish_course",
    "geminiteacher.create_course",
    "geminiteacher.create_course_parallel",
    "geminiteacher.ChapterContent",
    "geminiteacher.Course",
])
def test_a_documented_name_is_where_the_docs_say(dotted):
    module, _, name = dotted.rpartition(".")
    assert callable(getattr(importlib.import_module(module), name))


def test_the_offline_engine_imports_neither_streamlit_nor_the_gemini_sdk():
    code = ("import sys, geminiteacher as gt; gt.create_course('# A\\n\\nOne two three.', "
            "max_chapters=1); print(sorted(m for m in ('streamlit', 'google.genai') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
