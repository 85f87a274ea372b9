"""Benchmark: what per-student variants cost when grading a class.

Grades the same class of n named sheets twice in one process: against the contract's
residual network with fixed numbers (one solve for the class), and against its variant
version (one variant drawn, checked and solved per student), and prints the time per
sheet of each and their ratio. The check of each draw (every typical mistake's value on
every question, grade/coverage.py) is most of the difference.

    .venv/bin/python bench/bench_variants.py [--n 100]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hwcheck import load_problem, solve
from hwcheck.grade.batch import grade_files
from hwcheck.grade.by_student import VariantGrader
from hwcheck.grade.grader import Grader
from hwcheck.variants import Variants

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "tests" / "contract"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for i in range(n):
            path = Path(folder) / f"s{i:04}.yaml"
            path.write_text(f"student: Student {i}\nanswers:\n  T1.z: 0.62\n  T1.w0: -0.2\n  T1.w1: 0.4\n  T1.b0: -0.2\n  T1.b1: 1\n  T1.x0: 0.94\n")
            files.append(str(path))
        start = time.perf_counter()
        grade_files(Grader(solve(load_problem(CONTRACT / "residual_relu.yaml"))), files, workers=1)
        fixed = (time.perf_counter() - start) / n
        start = time.perf_counter()
        grade_files(VariantGrader(Variants(load_problem(CONTRACT / "residual_relu_vary.yaml"), "bench secret")), files, workers=1)
        varied = (time.perf_counter() - start) / n
    print(f"{n} sheets: fixed numbers {fixed * 1000:.2f} ms/sheet, per-student variants {varied * 1000:.1f} ms/sheet, ratio {varied / fixed:.0f}")


if __name__ == "__main__":
    main()
