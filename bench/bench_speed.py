"""Benchmark for issue 8 §6: the two whole-process speed targets, as ratios measured in one run.

1. Start-up: ``hwcheck solve problems/residual_relu.yaml`` (terminal format, output to a
   pipe) against a bare ``python -c "import typer, rich.console, rich.table, numpy, yaml"``.
   Goal ≤ 1.25×. ``--format json`` is shown beside it.
2. A class: ``hwcheck grade problems/residual_relu.yaml CLASS --report r.json`` on 10,000
   sheets (made by bench_grade.make_sheets) against a process that only walks the folder and
   parses every file with PyYAML's C loader. Goal ≤ 2.5×. The same command graded in one
   process (no worker processes) is shown beside it.

Every command runs once to warm up, then the commands are interleaved ``--runs`` times so
that drift on a busy machine hits them all alike; the medians are compared. Wall time is
the target; the processes' CPU time (user + system) is printed too, being steadier on a
shared machine (a parallel grading run spends more CPU than wall time).

On a busy machine even medians wander; ``--instructions`` adds, for the start-up, the
instructions each command executes, counted by valgrind (cachegrind): the same from run to
run within a percent or so, whatever else the machine is doing.

The commands run with Python's bytecode cache allowed (``PYTHONDONTWRITEBYTECODE`` removed
from their environment), as after a ``pip install``: otherwise hwcheck, unlike the
pre-compiled packages of the baseline, would be compiled from source on every start.

    .venv/bin/python bench/bench_speed.py [--runs N] [--sheets N] [--only startup|grade] [--instructions]

Figures on the shared 2-core machine (2 Dec 2026, load 2-5 from other work):

- Start-up, by instructions: 1.48× (1,038 M against 701 M) before; 1.23× (842 M against
  686 M) after frozen records replaced the dataclasses of solve's path (hwcheck.record:
  ~3 M instructions a class saved, ~115 M in all) and the graph tables were laid out
  without rich's Table when they fit and carry no colour (render/plain_table.py, ~100 M).
  ``--format json``: 1.03×. The tables that still go through rich are those that must wrap
  (the chain-rule paths of residual_relu at 80 columns).
- Start-up after the imports were made one-way (issue 9 §5, 3 Dec 2026), by instructions:
  845 M before, 842 M after (1.25× the bare imports' 671-676 M either way); ``--format
  json`` 708 M, 707 M. Solving a graph loads the same modules plus common.py and words.py.
- A class of 10,000 sheets, median of 4 interleaved runs, load 3.3: before 1.66× wall,
  2.69× CPU; after 1.60× wall, 2.37× CPU (yamldoc: 0.79 s -> 0.64 s CPU to parse the
  10,000 sheets; the summary prints its first 50 rows when a report is written). Wall
  time depends heavily on how busy the two cores are (2.83× was measured at load ~3 with
  other sessions' work beside it); the CPU ratio is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_grade import make_sheets  # this folder is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = str(ROOT / "problems" / "residual_relu.yaml")
BASE_IMPORTS = "import typer, rich.console, rich.table, numpy, yaml"
PARSE_ONLY = """\
import os, sys, yaml
for root, dirs, files in os.walk(sys.argv[1]):
    dirs.sort()
    for name in sorted(files):
        with open(os.path.join(root, name), encoding="utf-8") as handle:
            text = handle.read()
        try:
            yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass
"""
# `hwcheck grade` with the worker processes turned off, for comparison.
GRADE_IN_ONE_PROCESS = """\
import sys
from hwcheck.grade import batch
from hwcheck.cli import main
batch.PARALLEL_MIN_SHEETS = float("inf")
main(sys.argv[1:])
"""
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, of the process and its children) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # grade exits 1 when some answer is wrong: expected here
        sys.exit(f"{' '.join(argv)} failed with exit code {done.returncode}:\n{done.stderr.decode()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(commands: dict[str, list[str]], runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) of each command, run interleaved after one warm-up run each."""
    for argv in commands.values():
        run_once(argv)  # writes the bytecode cache, fills the page cache
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            samples[name].append(run_once(argv))
    return {name: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s)) for name, s in samples.items()}


def instructions(argv: list[str]) -> int:
    """Instructions one run of a command executes, counted by valgrind's cachegrind."""
    done = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null", *argv],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**ENV, "PYTHONHASHSEED": "0"}, text=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if not found:
        sys.exit(f"valgrind gave no instruction count for {' '.join(argv)}:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def report(title: str, baseline: str, results: dict[str, tuple[float, float]], goal: float, target: str) -> None:
    base_wall, base_cpu = results[baseline]
    print(title)
    for name, (wall, cpu) in results.items():
        ratio = "" if name == baseline else f"  ratio {wall / base_wall:.2f}× wall, {cpu / base_cpu:.2f}× CPU"
        mark = f"  (goal ≤ {goal}×)" if name == target else ""
        print(f"  {name:<60} {wall * 1000:7.0f} ms wall {cpu * 1000:7.0f} ms CPU{ratio}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each command (medians)")
    parser.add_argument("--sheets", type=int, default=10_000)
    parser.add_argument("--only", choices=("startup", "grade"))
    parser.add_argument("--instructions", action="store_true", help="also count the start-up's instructions with valgrind")
    args = parser.parse_args()
    python = sys.executable
    hwcheck = str(Path(python).with_name("hwcheck"))
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; medians of {args.runs} interleaved runs")

    if args.only != "grade":
        commands = {
            "bare imports (typer, rich.console, rich.table, numpy, yaml)": [python, "-c", BASE_IMPORTS],
            "hwcheck solve": [hwcheck, "solve", PROBLEM],
            "hwcheck solve --format json": [hwcheck, "solve", PROBLEM, "--format", "json"],
        }
        startup = measure(commands, args.runs)
        report("start-up, problems/residual_relu.yaml:", next(iter(startup)), startup, 1.25, "hwcheck solve")
        if args.instructions:
            if not shutil.which("valgrind"):
                sys.exit("--instructions needs valgrind (apt-get install valgrind)")
            counts = {name: instructions(argv) for name, argv in commands.items()}
            base = counts[next(iter(counts))]
            print("  instructions (valgrind): " + ", ".join(f"{name.split(' (')[0]} {n / 1e6:,.0f} M ({n / base:.2f}×)" for name, n in counts.items()))

    if args.only != "startup":
        with tempfile.TemporaryDirectory(prefix="hwcheck-bench-") as tmp:
            folder = Path(tmp) / "class"
            folder.mkdir()
            make_sheets(folder, args.sheets)
            grade = measure({
                "parse only (os.walk + yaml.load, CSafeLoader)": [python, "-c", PARSE_ONLY, str(folder)],
                "hwcheck grade --report r.json": [hwcheck, "grade", PROBLEM, str(folder), "--report", str(Path(tmp) / "r.json")],
                "the same in one process": [python, "-c", GRADE_IN_ONE_PROCESS, "grade", PROBLEM, str(folder), "--report", str(Path(tmp) / "r1.json")],
            }, max(3, args.runs // 2))
            report(f"a class of {args.sheets:,} sheets, whole commands:", next(iter(grade)), grade, 2.5, "hwcheck grade --report r.json")


if __name__ == "__main__":
    main()
