"""Benchmark: what per-student variants cost when grading a class.

Grades a class of n named sheets in one process against the contract's residual network
with fixed numbers (one solve for the class) and against its variant version (one variant
drawn, checked and solved per student), and prints the time per sheet of each and their
ratio, for two classes:

- own answers: each sheet holds the right answers to its student's own numbers (the fixed
  class: the file's). What grading a class usually is.
- file's answers: every sheet holds the right answers to the file's numbers, so for the
  variant class every answer is wrong and is diagnosed against that student's own
  variant (the work of a diagnosis is shared by the fixed class, not by the variants).

Most of the cost of a variant is the check of each draw (variants.py: a draw is accepted
only if every typical mistake the file's numbers catch is still caught, grade/coverage.py).
Times are the CPU time of this process (grading runs in it, workers=1): the machine may be
shared, and wall time would count the others' work too.

    .venv/bin/python bench/bench_variants.py [--n 200]
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
from hwcheck.numbers import fmt
from hwcheck.variants import Variants

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = ROOT / "tests" / "contract"
SECRET = "bench secret"


def right_answers(solution) -> dict[str, str]:
    return {q.id: repr(float(solution.expected(q.ask).value)) for q in solution.problem.questions}


def write_class(folder: Path, answers_of) -> list[str]:
    folder.mkdir()
    files = []
    for i, student in enumerate(answers_of):
        path = folder / f"s{i:04}.yaml"
        lines = "".join(f"  {qid}: {value}\n" for qid, value in answers_of[student].items())
        path.write_text(f"student: {student}\nanswers:\n{lines}", encoding="utf-8")
        files.append(str(path))
    return files


def per_sheet(grader, files) -> float:
    start = time.process_time()
    results = grade_files(grader, files, workers=1)
    assert not any(r.error for r in results)
    return (time.process_time() - start) / len(files)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    n = parser.parse_args().n
    students = [f"Student {i}" for i in range(n)]
    fixed_problem = load_problem(CONTRACT / "residual_relu.yaml")
    varied_problem = load_problem(CONTRACT / "residual_relu_vary.yaml")
    files_answers = right_answers(solve(fixed_problem))
    # the students' own right answers, worked out before the clock starts (a Variants of its own)
    setup = Variants(varied_problem, SECRET)
    own = {s: right_answers(setup.solution_for(s)) for s in students}
    with tempfile.TemporaryDirectory() as folder:
        fixed_files = write_class(Path(folder) / "fixed", dict.fromkeys(students, files_answers))
        classes = {"own answers": write_class(Path(folder) / "own", own), "file's answers": fixed_files}
        fixed = per_sheet(Grader(solve(fixed_problem)), fixed_files)
        for label, files in classes.items():
            varied = per_sheet(VariantGrader(Variants(varied_problem, SECRET)), files)
            print(f"{n} sheets, {label}: fixed numbers {fixed * 1000:.2f} ms/sheet, per-student variants "
                  f"{varied * 1000:.1f} ms/sheet, ratio {fmt(round(varied / fixed, 1))}")


if __name__ == "__main__":
    main()
