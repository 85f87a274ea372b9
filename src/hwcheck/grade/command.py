"""What ``hwcheck grade`` and ``hwcheck template`` do, as library functions the CLI calls.

Each returns the exit code (contract §7). A fault in the problem file or in the options is
an :class:`InputError` (exit 2); a fault in a sheet is that sheet's ``error``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..files import check_writable, write_atomic
from .report import REPORT_SUFFIXES

NO_SHEETS_HELP = (
    "no answer sheets given, and no terminal to ask the questions on: give sheets "
    "(hwcheck grade PROBLEM.yaml SHEET.yaml... or a folder), run 'hwcheck grade PROBLEM.yaml' "
    "in a terminal to be asked, or make a blank sheet with 'hwcheck template PROBLEM.yaml -o SHEET.yaml'"
)


@dataclass
class GradeOptions:
    problem: str
    sheets: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    gradescope: str | None = None
    show_answers: bool = False
    summary: bool = False
    width: int | None = None
    # the interactive checker
    tries: int = 3
    save: str | None = None
    student: str | None = None
    # code problems
    jobs: int | None = None
    sandbox: str = "auto"
    timeout: float = 10.0


def _check_options(options: GradeOptions) -> None:
    if options.tries < 1:
        raise InputError.at("--tries", None, f"must be at least 1, not {options.tries}")
    for report in options.reports:
        if Path(report).suffix.lower() not in REPORT_SUFFIXES:
            raise InputError.at(report, None, "--report writes .json (the contract's JSON) or .csv (a gradebook); name the file so")
        check_writable(report)
    if options.gradescope:
        check_writable(options.gradescope, "Gradescope results")
    if options.sheets and (options.save or options.student):
        raise InputError.at("--save" if options.save else "--student", None, "is for the interactive checker, which runs when no sheets are given")
    if not options.sheets and (options.reports or options.gradescope):
        raise InputError.at("--report" if options.reports else "--gradescope", None, "needs answer sheets to grade")
    if options.save:
        check_writable(options.save, "answer sheet")


def run_grade(options: GradeOptions) -> int:
    """Grade sheets (or run the interactive checker when there are none); the exit code."""
    _check_options(options)
    from .. import load_problem, solve

    problem = load_problem(options.problem)
    if problem.kind == "code":
        from ..code.command import grade_code

        return grade_code(options, problem)
    if not options.sheets:
        if not sys.stdin.isatty():  # nobody to answer: say how to call it rather than wait
            raise InputError.at(None, None, NO_SHEETS_HELP)
        return _interactive(solve(problem), options)

    from .batch import collect_sheets, exit_code, grade_files
    from .grader import Grader

    files = collect_sheets(options.sheets, exclude=[options.problem])
    if not files:
        raise InputError.at(" ".join(options.sheets), None, "no answer sheets (*.yaml, *.yml) found there")
    if options.gradescope and len(files) != 1:
        raise InputError.at("--gradescope", None, f"grades one submission at a time, and {len(files)} sheets were found; give one sheet")
    grader = Grader(solve(problem), show_answers=options.show_answers)  # solved once for the whole run

    from ..render.grade_terminal import print_grades, progress_bar

    with progress_bar(len(files)) as on_progress:
        results = grade_files(grader, files, on_progress)  # pauses the cyclic GC itself
    _write_reports(options, problem, results)
    print_grades(results, options.show_answers, options.summary, options.width)
    return exit_code(results)


def _write_reports(options: GradeOptions, problem, results) -> None:
    from .report import write_gradescope, write_report

    for report in options.reports:
        write_report(report, problem, results)
    if options.gradescope:
        write_gradescope(options.gradescope, problem, results[0])


def _interactive(solution, options: GradeOptions) -> int:
    from ..render.grade_terminal import CheckerScreen
    from .grader import Grader
    from .interactive import run_checker
    from .template import sheet_text

    grader = Grader(solution, show_answers=False)  # answers are revealed only when tries run out
    screen = CheckerScreen()
    result = run_checker(grader, screen, options.tries, reveal=options.show_answers)
    if options.save:
        write_atomic(options.save, sheet_text(solution.problem, options.student, result.typed))
        screen.saved(options.save, f"hwcheck grade {options.problem} {options.save}")
    return 0 if result.all_correct else 1


def run_template(problem_path: str, output: str | None = None) -> int:
    """Write a blank answer sheet to ``output`` (or stdout)."""
    from .. import load_problem
    from .template import template_text

    if output:
        check_writable(output, "answer sheet")
    problem = load_problem(problem_path)
    if problem.kind == "code":
        from ..code.template import starter_text

        if output and Path(output).exists():  # it may be a student's work: never overwritten
            raise InputError.at(output, None, "exists; the starter file is written only where nothing is (remove it or choose another name)")
        text = starter_text(problem, problem_path)
    else:
        text = template_text(problem, problem_path)
    if output:
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0
