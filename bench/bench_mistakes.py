"""Benchmark: how well and how cheaply wrong answers are diagnosed (issue 10).

Grades the labelled corpus in tests/mistake_corpus/ (see its make.py: every wrong answer
labelled with the mistake it was made with, or `none`) in this process with the grading
API, and prints:

1. recall and precision per family, for the dev part, the held-out part and all —
   recall: labelled answers whose diagnosis names the label ("wrong-entry": the feedback
   names that entry's index); precision: diagnoses naming the label (alone or in an
   "either ... or ..."); any code named on a `none` answer is a false diagnosis;
2. the cost of diagnosis per sheet, per problem: grading its sheets with a fresh grader
   (the problem solved anew, so no work is reused from an earlier round) with diagnosis,
   and the same with the solver's mistakes switched off, in the same run; the ratio.
   (Both include judging formulas, whose typical wrong formulas are tried as part of
   judging them, and the transposed check, which needs no solver.)

    .venv/bin/python bench/bench_mistakes.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path

import hwcheck
from hwcheck.grade.grader import Grader
from hwcheck.grade.sheets import read_sheet

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "mistake_corpus"


class _NoDiagnosis:
    """Stands in for the grader's mistake cache: the solver names no mistake."""

    def mistakes(self, ask, answers=None):
        return []


def grade_all(cases, diagnose: bool = True):
    """{(sheet, question): result} for every case, each problem solved and graded afresh."""
    results = {}
    for problem in sorted({c["problem"] for c in cases}):
        grader = Grader(hwcheck.solve(str(CORPUS / problem)))
        if not diagnose:
            grader.mistakes = _NoDiagnosis()
        for sheet in sorted({c["sheet"] for c in cases if c["problem"] == problem}):
            for r in grader.grade(read_sheet(str(CORPUS / sheet))).results:
                results[(sheet, r.id)] = r
    return results


def named(case, r) -> bool:
    if case["label"] == "wrong-entry":
        return r.feedback.endswith(f"wrong entry: {r.ask}" + "".join(f"[{i}]" for i in case["entry"]))
    return case["label"] in r.mistakes


def true(case, r) -> bool:
    """Names the label, or a code true of this answer too (`also`: y − p is the sign flipped)."""
    return case["label"] != "none" and bool({case["label"], *case.get("also", ())} & set(r.mistakes))


def measure(cases, results):
    """family → [named, labelled, true diagnoses, diagnoses]."""
    table = defaultdict(lambda: [0, 0, 0, 0])
    for case in cases:
        r = results[(case["sheet"], case["question"])]
        row = table[case["label"] + (" (formula)" if case.get("formula") else "")]
        if case["label"] != "none":
            row[0] += named(case, r)
            row[1] += 1
        if r.mistakes:
            row[2] += true(case, r)
            row[3] += 1
    return table


def share(a: int, b: int) -> str:
    return f"{a / b:6.1%} ({a}/{b})" if b else "     —"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="timing rounds (the best is kept)")
    args = parser.parse_args()
    cases = json.loads((CORPUS / "cases.json").read_text(encoding="utf-8"))
    results = grade_all(cases)

    parts = {"dev": [c for c in cases if c["split"] == "dev"], "held-out": [c for c in cases if c["split"] == "heldout"], "all": cases}
    tables = {name: measure(part, results) for name, part in parts.items()}
    families = sorted(f for f in tables["all"] if not f.startswith("none"))
    print(f"{len(cases)} labelled answers on {len({c['sheet'] for c in cases})} sheets, {len({c['problem'] for c in cases})} problems\n")
    print(f"{'family':34}" + "".join(f"{'recall ' + n:>22}{'precision ' + n:>22}" for n in parts))
    for family in families:
        print(f"{family:34}" + "".join(f"{share(*tables[n][family][:2]):>22}{share(*tables[n][family][2:]):>22}" for n in parts))
    print(f"{'overall':34}" + "".join(
        f"{share(sum(r[0] for r in tables[n].values()), sum(r[1] for r in tables[n].values())):>22}"
        f"{share(sum(r[2] for r in tables[n].values()), sum(r[3] for r in tables[n].values())):>22}" for n in parts))
    nones = [c for c in cases if c["label"] == "none"]
    print(f"none: {len(nones)} wrong answers that are no known mistake, "
          f"{sum(bool(results[(c['sheet'], c['question'])].mistakes) for c in nones)} of them given a (false) diagnosis")
    print("\n(recall: labelled answers whose diagnosis names the label; precision: diagnoses naming the label;"
          " a diagnosis of a 'none' answer is false)")

    print(f"\ngrading each problem's sheets, with and without diagnosis (problem solved anew each round, best of {args.rounds}):")
    print(f"{'problem':28}{'sheets':>7}{'without':>14}{'with':>14}{'diagnosis':>14}{'ratio':>8}")
    total = {False: 0.0, True: 0.0}
    for problem in sorted({c["problem"] for c in cases}):
        mine = [c for c in cases if c["problem"] == problem]
        count = len({c["sheet"] for c in mine})
        best = {}
        for diagnose in (False, True):
            times = []
            for _ in range(args.rounds):
                start = time.perf_counter()
                grade_all(mine, diagnose)
                times.append(time.perf_counter() - start)
            best[diagnose] = min(times)
            total[diagnose] += best[diagnose]
        per = {d: best[d] / count * 1e3 for d in best}
        print(f"{problem:28}{count:>7}{per[False]:>11.2f} ms{per[True]:>11.2f} ms{per[True] - per[False]:>11.2f} ms{best[True] / best[False]:>7.2f}×")
    sheets = len({c["sheet"] for c in cases})
    print(f"{'all':28}{sheets:>7}{total[False] / sheets * 1e3:>11.2f} ms{total[True] / sheets * 1e3:>11.2f} ms"
          f"{(total[True] - total[False]) / sheets * 1e3:>11.2f} ms{total[True] / total[False]:>7.2f}×")
    print("(per sheet; a problem with formula questions spends most of its time judging formulas, with or without diagnosis)")


if __name__ == "__main__":
    main()
