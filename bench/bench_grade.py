"""Benchmark: grading 10,000 answer sheets in one run.

Generates sheets for the contract's residual_relu.yaml in a temporary folder — a mix of
right answers, fractions, the skip path left out (so diagnosis runs), rounding, missing
and unreadable answers, and a few broken files — then times, in the same process:

1. merely parsing every file: ``yaml.load(text, Loader=yaml.CSafeLoader)`` after reading it;
2. grading them all in one run: collecting the folder, solving the problem once, reading,
   judging and diagnosing every sheet (no terminal output), and writing the JSON report;
   on worker processes as the command does for a big class, or with ``--workers 1`` in
   this process alone. (bench_speed.py times the whole command as a user runs it.)

Prints the ratio 2/1 (goal ≤ 2.5×) and the peak memory (tracemalloc's peak for the
grading run, and the process's maximum resident set size).

    .venv/bin/python bench/bench_grade.py [--sheets N] [--workers N]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

import hwcheck
from hwcheck.errors import InputError
from hwcheck.yamldoc import parse_yaml, read_text
from hwcheck.grade.batch import collect_sheets, grade_files, paused_gc
from hwcheck.grade.grader import Grader
from hwcheck.grade.report import write_report

PROBLEM = Path(__file__).resolve().parents[1] / "problems" / "residual_relu.yaml"

RIGHT = {"T1.z": "0.62", "T1.w0": "-0.2", "T1.w1": "2/5", "T1.b0": "-0.2", "T1.b1": "1", "T1.x0": "0.94"}
VARIANTS = {
    "T1.x0": ["0.94", "-0.06", "1", "0.9", "9.4e-1", "47/50"],
    "T1.w0": ["-0.2", "0.2", "-1/5", "-0.20"],
    "T1.z": ["0.62", "0.620", "-0.38", "about 0.6"],
}


def make_sheets(folder: Path, count: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    for i in range(count):
        sub = folder / f"section-{i % 10}"
        sub.mkdir(exist_ok=True)
        if i % 500 == 499:
            (sub / f"s{i:05d}.yaml").write_text("answers: [unclosed\n")
            continue
        lines = [f"student: student{i:05d}", "answers:"]
        for qid, right in RIGHT.items():
            if rng.random() < 0.03:
                continue  # missing
            value = rng.choice(VARIANTS[qid]) if qid in VARIANTS and rng.random() < 0.4 else right
            lines.append(f"  {qid}: {value}")
        (sub / f"s{i:05d}.yaml").write_text("\n".join(lines) + "\n")


def parse_only(files: list[str]) -> float:
    start = time.perf_counter()
    for file in files:
        with open(file, encoding="utf-8") as handle:
            text = handle.read()
        try:
            yaml.load(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass
    return time.perf_counter() - start


def safe_read_only(files: list[str]) -> float:
    """hwcheck's own safe reading (yamldoc.read_text + parse_yaml) and nothing else: the floor."""
    start = time.perf_counter()
    for file in files:
        try:
            parse_yaml(read_text(file), file)
        except InputError:
            pass
    return time.perf_counter() - start


def grade_all(folder: Path, workers: int | None) -> tuple[float, list]:
    """What `hwcheck grade PROBLEM FOLDER --report r.json --show-answers` does, minus the terminal."""
    marks = [time.perf_counter()]
    files = collect_sheets([str(folder)])
    solution = hwcheck.solve(hwcheck.load_problem(str(PROBLEM)))
    grader = Grader(solution, show_answers=True)
    marks.append(time.perf_counter())
    with paused_gc():
        results = grade_files(grader, files, workers=workers)
        marks.append(time.perf_counter())
        write_report(str(folder.parent / "report.json"), solution.problem, results)
    marks.append(time.perf_counter())
    PHASES.append([b - a for a, b in zip(marks, marks[1:])])
    return marks[-1] - marks[0], results


PHASES: list[list[float]] = []  # (collect + solve, grade, report) of each run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings")
    parser.add_argument("--workers", type=int, help="grading processes (default: as hwcheck grade chooses)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hwcheck-bench-") as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        made = time.perf_counter()
        make_sheets(folder, args.sheets)
        print(f"wrote {args.sheets:,} sheets in {time.perf_counter() - made:.1f} s to {folder}")
        files = collect_sheets([str(folder)])
        parse_only(files)  # warm the page cache so both runs read from memory
        parse_times, grade_times, floor_times = [], [], []
        for _ in range(args.repeat):
            # Nothing from an earlier run stays alive, so each timing starts from the same heap.
            parse_times.append(parse_only(files))
            floor_times.append(safe_read_only(files))
            elapsed, results = grade_all(folder, args.workers)
            grade_times.append(elapsed)
            wrong = sum(1 for s in results for r in s.results if not r.correct)
            diagnosed = sum(1 for s in results for r in s.results if r.diagnosis)
            broken = sum(1 for s in results if s.error)
            count = len(results)
            del results
        parse, grade = min(parse_times), min(grade_times)
        print(f"graded {count:,} sheets: {broken} unreadable, {wrong:,} wrong/missing answers, {diagnosed:,} diagnosed")
        print(f"parse only (yaml.load, CSafeLoader): {parse:.3f} s  ({parse / len(files) * 1e6:.0f} µs/sheet)")
        print(f"grade (collect, solve once, read, judge, diagnose, JSON report): {grade:.3f} s  ({grade / len(files) * 1e6:.0f} µs/sheet)")
        best = min(PHASES, key=sum)
        print("  of which: " + ", ".join(f"{name} {t / len(files) * 1e6:.0f} µs/sheet" for name, t in zip(("collect + solve", "read + judge + diagnose", "JSON report"), best)))
        print(f"ratio grade / parse: {grade / parse:.2f}×  (goal ≤ 2.5×)")
        print(f"  for reference: hwcheck's safe reading alone (read_text + parse_yaml) is {min(floor_times) / parse:.2f}× parse; grading without the JSON report {(grade - best[2]) / parse:.2f}×")
        tracemalloc.start()
        grade_all(folder, args.workers)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        print(f"peak memory: {peak / 2**20:.1f} MiB traced during grading; process max RSS {rss / 1024:.1f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
