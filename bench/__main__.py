"""`python -m bench [--quick] [--only NAME ...]`: run the scenarios and report.

Prints the table, then (as the last line) one JSON object with every figure; saves that
object to bench/results/<time>-<mode>.json and, for a run of all scenarios, to
bench/latest.json. Exits 1 when a goal is missed (or a scenario crashed), else 0.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

from bench.report import RUNS, Figure, dumps, record, table

SCENARIOS = ("parallel", "workers", "firstrequest", "ratelimited", "shared", "faults", "retries",
             "bigcourse", "cost", "batch", "media", "overhead", "openai", "ingestion", "quality",
             "page")
HERE = Path(__file__).resolve().parent


def run_one(name: str, quick: bool) -> list[Figure]:
    """The figures of one scenario; a crash becomes one failing figure."""
    try:
        return importlib.import_module(f"bench.{name}").run_scenario(quick)
    except Exception as exc:
        return [Figure(name, "scenario", f"error: {type(exc).__name__}: {exc}", goal=RUNS)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="smaller courses and 0.3 s latency (a couple of minutes)")
    parser.add_argument("--only", nargs="+", choices=SCENARIOS, metavar="NAME",
                        help=f"run only these scenarios: {', '.join(SCENARIOS)}")
    args = parser.parse_args(argv)
    mode = "quick" if args.quick else "full"
    load = os.getloadavg()[0]
    started = time.perf_counter()
    figures: list[Figure] = []
    for name in args.only or SCENARIOS:
        begun = time.perf_counter()
        figures += run_one(name, args.quick)
        print(f"[bench] {name}: {time.perf_counter() - begun:.1f} s", file=sys.stderr,
              flush=True)
    data = record(figures, mode, time.perf_counter() - started, load)
    text = dumps(data)
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / f"{time.strftime('%Y%m%d-%H%M%S')}-{mode}.json").write_text(text + "\n")
    if not args.only:
        (HERE / "latest.json").write_text(text + "\n")
    print(table(figures))
    print(text)
    return 0 if data["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
