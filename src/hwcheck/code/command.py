"""``hwcheck grade`` on a code problem: collect the submissions, grade them in parallel in
sandboxes, write the reports and print the tables (the same writers and tables as sheets)."""

from __future__ import annotations

import os

from ..errors import InputError
from ..files import check_outputs
from ..grade.batch import exit_code
from ..grade.options import GradeOptions, write_reports
from ..grade.terminal import print_grades, progress_bar
from .grade import CodeGrader, collect_submissions
from .sandbox import Limits, sandbox_program


def grade_code(options: GradeOptions, problem) -> int:
    if not options.sheets:
        raise InputError.at(None, None, f"give the student's {problem.module}.py (or a folder of submissions): hwcheck grade {options.problem} {problem.module}.py")
    bwrap = sandbox_program(options.sandbox)
    paths, skipped = collect_submissions(options.sheets, problem.module, exclude=[options.problem])
    if not paths:
        raise InputError.at(" ".join(options.sheets), None, f"no submissions there (a .py file, or a folder holding {problem.module}.py, per student)")
    codes = [os.path.join(path, f"{problem.module}.py") if os.path.isdir(path) else path for path in paths]
    check_outputs(options.outputs(), [("code file", code) for code in codes])  # a report must not overwrite a student's code
    if options.gradescope and len(paths) != 1:
        raise InputError.at("--gradescope", None, f"grades one submission at a time, and {len(paths)} were found; give one")
    limits = Limits(timeout=options.timeout)
    grader = CodeGrader(problem, limits, bwrap, show_answers=options.show_answers)
    jobs = options.jobs or os.cpu_count() or 1
    with progress_bar(len(paths)) as on_progress:
        results = grader.grade_all(paths, jobs, on_progress)
    write_reports(options, problem, results, skipped)
    print_grades(results, options.show_answers, options.summary, options.width, skipped)
    return exit_code(results)
