"""Plant known bugs one at a time in a copy of the project and check that a test catches each.

    python -m tests.mutants            # every mutant
    python -m tests.mutants workers    # just the named ones

Each mutant is a small text edit of the source (what a plausible slip would look like) and
the tests that should fail because of it. The edits are made in a temporary copy of the
working tree, so nothing here touches your files. The tests are run unmutated first, so a
failure under a mutant means the mutant was caught. Exit status 0 when every mutant is
caught; 1 when one is missed or can no longer be planted (its code changed: update it).
Not part of `python -m pytest`: the file is not named test_*.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    name: str
    bug: str
    edits: tuple[tuple[str, str, str], ...]  # (file, text, replacement)
    tests: tuple[str, ...]


CLI, DRILLS = "tests/test_cli.py::test_", "tests/test_drills.py::test_"
REDIS = "tests/test_redis_limit.py::test_"
MARKDOWN = "geminiteacher/ui/markdown.py"
MUTANTS = (
    Mutant("exit-status", "a partly failed course exits 0",
           (("geminiteacher/cli.py", "        return 1\n    return 0",
             "        return 0\n    return 0"),),
           (CLI + "exit_status_is_1_when_a_chapter_failed_and_0_once_all_are_done",)),
    Mutant("workers", "a course runs more requests at once than its own max_workers",
           (("geminiteacher/engine/runner.py", "workers = self.settings.max_workers if",
             "workers = 8 if"),
            ("geminiteacher/engine/ratelimit.py", "grown = self.caps.concurrency - self.ceiling\n"
             "        self.ceiling = self.caps.concurrency",
             "grown = self.caps.concurrency - self.ceiling\n"
             "        self.ceiling = max(self.ceiling, self.caps.concurrency)")),
           (DRILLS + "a_course_never_exceeds_its_workers_at_the_server_even_after_a_larger_one",
            "tests/test_ratelimit.py::test_a_course_never_runs_more_than_its_workers_after_a_"
            "larger_one")),
    Mutant("key-scrubbing", "the API key is not scrubbed from error messages",
           (("geminiteacher/backends/gemini/transport.py", 'text.replace(self._key, "***")',
             "text"),),
           (CLI + "a_key_the_server_echoes_in_an_error_reaches_no_output_log_manifest_or_zip",
            "tests/test_page_key.py")),
    Mutant("resume", "a resumed course regenerates finished chapters",
           (("geminiteacher/engine/runner.py",
             "already = set(store.chapters_with(ChapterStatus.DONE))", "already = set()"),),
           (DRILLS + "ctrl_c_stops_the_cli_with_one_line_and_the_course_resumes",)),
    Mutant("atomic-write", "files are written in place, not replaced atomically",
           (("geminiteacher/course/store.py",
             '    raw = data.encode("utf-8") if isinstance(data, str) else data\n',
             '    raw = data.encode("utf-8") if isinstance(data, str) else data\n'
             "    path.write_bytes(raw)\n    return\n"),),
           ("tests/test_store.py::test_a_reader_never_sees_a_partial_file_while_it_is_replaced",)),
    Mutant("redis-window", "each process keeps its own window in Redis, so none is shared",
           (("geminiteacher/engine/redislimit.py", "self._key = PREFIX + key",
             "self._key = PREFIX + key + str(id(self))"),),
           (REDIS + "limiters_of_two_processes_share_the_request_cap",
            REDIS + "limiters_of_two_processes_share_the_token_cap")),
    Mutant("safe-markdown", "an image keeps its \"!\" on the page and nothing checks the result",
           ((MARKDOWN, '"\\\\!" * (len(bangs) - 1) + (', '"!" * len(bangs) + ('),
            (MARKDOWN, "    if _fetches(safe):", "    if False:")),
           ("tests/test_ui_markdown.py",
            "tests/test_page_hardening.py::test_titles_from_people_and_models_render_as_text_"
            "everywhere_on_the_page")),
    Mutant("csv-formula", "a flashcard cell that starts like a formula goes out unguarded",
           (("geminiteacher/exports/flashcards.py",
             """return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell""",
             "return cell"),),
           ("tests/test_exports_hostile.py::test_no_flashcard_cell_can_become_a_spreadsheet_"
            "formula",)),
    Mutant("redis-pause", "a 429 pauses only the process that drew it",
           (("geminiteacher/engine/ratelimit.py", "            self.log.pause(pause)\n", ""),),
           (REDIS + "a_429_in_one_process_pauses_the_other",)),
)


def copy_tree(target: Path) -> None:
    """The working tree's tracked and untracked (not ignored) files, as they are now."""
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(command, cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run_tests(tree: Path, tests: tuple[str, ...]) -> int:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                           *tests], cwd=tree, env=env, capture_output=True).returncode


def plant(tree: Path, mutant: Mutant) -> str | None:
    """Apply the mutant's edits; the reason it cannot be planted, or None."""
    for name, text, replacement in mutant.edits:
        path = tree / name
        source = path.read_text(encoding="utf-8")
        if source.count(text) != 1:
            return f"{name} no longer holds {text.strip()!r} exactly once"
        path.write_text(source.replace(text, replacement), encoding="utf-8")
    return None


def main(names: list[str]) -> int:
    chosen = [m for m in MUTANTS if not names or m.name in names]
    missed = 0
    with tempfile.TemporaryDirectory(prefix="geminiteacher-mutants-") as base:
        clean = Path(base) / "clean"
        copy_tree(clean)
        baseline = run_tests(clean, tuple(t for m in chosen for t in m.tests))
        if baseline != 0:
            print("the tests fail without any mutant; fix them first", file=sys.stderr)
            return 1
        for mutant in chosen:
            tree = Path(base) / mutant.name
            shutil.copytree(clean, tree)
            problem = plant(tree, mutant)
            code = None if problem else run_tests(tree, mutant.tests)
            verdict = "caught" if code == 1 else problem or f"MISSED (pytest exit {code})"
            missed += verdict != "caught"
            print(f"{mutant.name:14} {verdict:8}  {mutant.bug}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
