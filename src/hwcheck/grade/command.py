"""What ``hwcheck grade`` and ``hwcheck template`` do, as library functions the CLI calls.

Each returns the exit code (contract §7). A fault in the problem file or in the options is
an :class:`InputError` (exit 2); a fault in a sheet is that sheet's ``error``.

Each path imports its own pieces inside its function, deliberately: `hwcheck template`
does without the grader, the batch runner and rich; the interactive checker without the
batch runner; sheets without the sandbox of code problems.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

from .. import load_problem, solve
from ..assignment import Assignment, load_target
from ..errors import InputError
from ..files import check_outputs, check_writable, write_atomic, write_output
from .batch import collect, exit_code, flag_duplicate_students, grade_files, set_aside
from .grader import Grader
from .options import GradeOptions, write_reports
from .report import REPORT_SUFFIXES, write_gradescope
from .template import assignment_template_text, sheet_text, template_text
from .terminal import CheckerScreen, print_grades, progress_bar

NO_SHEETS_HELP = (
    "no answer sheets given, and no terminal to ask the questions on: give sheets "
    "(hwcheck grade PROBLEM.yaml SHEET.yaml... or a folder), run 'hwcheck grade PROBLEM.yaml' "
    "in a terminal to be asked, or make a blank sheet with 'hwcheck template PROBLEM.yaml -o SHEET.yaml'"
)


def _check_options(options: GradeOptions) -> None:
    if options.tries < 1:
        raise InputError.at("--tries", None, f"must be at least 1, not {options.tries}")
    for report in options.reports:
        if Path(report).suffix.lower() not in REPORT_SUFFIXES:
            raise InputError.at(report, None, "--report writes .json (the contract's JSON) or .csv (a gradebook); name the file so")
        check_writable(report)
    if options.gradescope:
        check_writable(options.gradescope, "Gradescope results")
    if options.canvas:
        if not options.canvas.lower().endswith(".csv"):
            raise InputError.at(options.canvas, None, "--canvas writes a CSV gradebook; name the file .csv")
        check_writable(options.canvas, "Canvas gradebook")
    if options.roster and not options.canvas:
        raise InputError.at("--roster", None, "gives the ids for the Canvas gradebook; add --canvas FILE.csv")
    if options.sheets and (options.save or options.student):
        raise InputError.at("--save" if options.save else "--student", None, "is for the interactive checker, which runs when no sheets are given")
    if not options.sheets and (options.reports or options.gradescope or options.canvas):
        option = "--report" if options.reports else "--gradescope" if options.gradescope else "--canvas"
        raise InputError.at(option, None, "needs answer sheets to grade")
    if options.save:
        check_writable(options.save, "answer sheet")
    # The sheets, named or found in folders, are checked against the outputs as they are
    # collected (one stat each, however many), still before any grading.
    inputs = [("problem file", options.problem)] + ([("roster", options.roster)] if options.roster else [])
    check_outputs(options.outputs(), inputs)


def run_grade(options: GradeOptions) -> int:
    """Grade sheets (or run the interactive checker when there are none); the exit code."""
    _check_options(options)
    problem = load_target(options.problem)
    if options.roster:
        from .canvas import read_roster  # deliberate: only --roster needs it

        read_roster(options.roster)  # a bad roster is refused before any grading (read again to write)
    if isinstance(problem, Assignment):
        return _grade_assignment(options, problem)
    if problem.kind == "code":
        from ..code.command import grade_code  # deliberate: only code problems load the sandbox

        return grade_code(options, problem)
    from .by_student import variants_for  # deliberate: only problems with vary need it

    variants = variants_for(problem, options.secret)
    if not options.sheets:
        if not sys.stdin.isatty():  # nobody to answer: say how to call it rather than wait
            raise InputError.at(None, None, NO_SHEETS_HELP)
        if variants is not None:
            if not options.student:
                raise InputError.at("--student", None, "this problem gives each student their own numbers: give --student NAME to be asked that student's questions")
            return _interactive(variants.solution_for(options.student), options)
        return _interactive(solve(problem), options)

    collected = collect(options.sheets, problem=options.problem, outputs=options.outputs())
    files = collected.files
    if not files and not options.gradescope:
        raise InputError.at(" ".join(options.sheets), None, _nothing_to_grade(collected.skipped))
    if variants is not None:  # each sheet against its own student's variant
        from .by_student import VariantGrader  # deliberate: only problems with vary need it

        grader = VariantGrader(variants, show_answers=options.show_answers)
    else:
        grader = Grader(solve(problem), show_answers=options.show_answers)  # solved once for the whole run

    with progress_bar(len(files)) as on_progress:
        results = grade_files(grader, files, on_progress)  # pauses the cyclic GC itself
    sheets, skipped = set_aside(results, collected.skipped)
    if options.gradescope and len(sheets) > 1:  # counted once read: a copy of the problem beside the sheet is set aside
        # The student's to fix (exit 1, a results.json saying so), not "autograder failed".
        write_gradescope(options.gradescope, problem, None, skipped, several=[s.file for s in sheets])
        print(f"error: --gradescope grades one submission at a time, and {len(sheets)} sheets were found; "
              f"{options.gradescope} tells the student to hand in one", file=sys.stderr)
        return 1
    if not sheets and not options.gradescope:  # every file given was, once read, a problem file
        raise InputError.at(" ".join(options.sheets), None, _nothing_to_grade(skipped))
    flag_duplicate_students(sheets)
    write_reports(options, problem, sheets, skipped)
    print_grades(sheets, options.show_answers, options.summary, options.width, skipped, options.reports)
    # A Gradescope submission without a sheet is the student's to fix (exit 1, with a
    # results.json saying so), not a failure of the autograder (exit 2, no results).
    return exit_code(sheets) if sheets else 1


def _nothing_to_grade(skipped) -> str:
    if not skipped:
        return "no answer sheets (*.yaml, *.yml) found there"
    shown = "; ".join(f"{s.file}: {s.reason}" for s in skipped[:5])
    more = f"; and {len(skipped) - 5} more" if len(skipped) > 5 else ""
    return f"no answer sheets (*.yaml, *.yml) found there, only other files: {shown}{more}"


def _grade_assignment(options: GradeOptions, assignment) -> int:
    """Grade submissions (sheets, folders of sheet and code, class folders) against an
    assignment: one score per student, with a subtotal per problem."""
    from .assignment import AssignmentGrader, collect_submissions  # deliberate: only assignments

    if not options.sheets:
        if not sys.stdin.isatty():  # nobody to answer: say how to call it rather than wait
            raise InputError.at(None, None, NO_SHEETS_HELP)
        return _interactive_assignment(assignment, options)
    submissions, skipped = collect_submissions(options.sheets, assignment, [path for _, path in options.outputs()])
    # No report may overwrite what this run reads: the assignment's problems, a sheet, a student's
    # code. The listing above leaves this run's own reports out, so where one exists already,
    # list again with it in to see what it would overwrite.
    existing = [(option, path) for option, path in options.outputs() if os.path.isfile(path)]
    inputs = [("problem file", p.file) for p in assignment.problems]
    for submission in collect_submissions(options.sheets, assignment)[0] if existing else []:
        inputs += [("answer sheet", submission.sheet)] if submission.sheet else []
        inputs += [("code file", os.path.join(submission.path, f"{module}.py")) for module in sorted(submission.modules)]
    check_outputs(existing, inputs)
    if not submissions:
        raise InputError.at(" ".join(options.sheets), None, "no submissions there (an answer sheet, or a folder holding answers.yaml and the code)")
    if options.gradescope and len(submissions) > 1:
        write_gradescope(options.gradescope, assignment, None, skipped, several=[s.path for s in submissions])
        print(f"error: --gradescope grades one submission at a time, and {len(submissions)} were found; "
              f"{options.gradescope} tells the student to hand in one", file=sys.stderr)
        return 1
    limits = bwrap = None
    codes = [p for p in assignment.problems if p.kind == "code"]
    if codes:
        from ..code.sandbox import Limits, sandbox_program  # deliberate: only code problems load the sandbox

        bwrap = sandbox_program(options.sandbox)
        limits = Limits(timeout=options.timeout)
    grader = AssignmentGrader(assignment, options.show_answers, limits, bwrap, secret=options.secret)
    runs = sum(c.module in s.modules for c in codes for s in submissions)
    with progress_bar(runs) as on_progress:
        sheets, more = grader.grade_all(submissions, options.jobs or os.cpu_count() or 1, on_progress)
    skipped += more
    flag_duplicate_students(sheets)
    write_reports(options, assignment, sheets, skipped)
    print_grades(sheets, options.show_answers, options.summary, options.width, skipped, options.reports)
    return exit_code(sheets) if sheets else 1


def _interactive(solution, options: GradeOptions) -> int:
    from .interactive import run_checker  # deliberate: only the interactive checker

    grader = Grader(solution, show_answers=False)  # answers are revealed only when tries run out
    screen = CheckerScreen()
    result = run_checker(grader, screen, options.tries, reveal=options.show_answers)
    if options.save:  # checked against the problem file before the first question
        write_atomic(options.save, sheet_text(solution.problem, options.student, result.typed))
        screen.saved(options.save, f"hwcheck grade {options.problem} {options.save}")
    return 0 if result.all_correct else 1


def _interactive_assignment(assignment, options: GradeOptions) -> int:
    """The interactive checker over an assignment: each sheet problem in turn (a problem
    with vary asks the --student's own numbers); a code problem's tasks are graded from its
    module, so the command that grades it is shown. --save writes one sheet for them all."""
    from .by_student import variants_for  # deliberate: only problems with vary need it
    from .interactive import run_checker  # deliberate: only the interactive checker

    check_outputs(options.outputs(), [("problem file", p.file) for p in assignment.problems])
    screen = CheckerScreen()
    typed: dict[str, str] = {}
    all_correct = True
    for problem in assignment.problems:
        if problem.kind == "code":
            print(f"{problem.title or problem.id}: code tasks; check your {problem.module}.py with "
                  f"hwcheck grade {problem.file} {problem.module}.py")
            continue
        variants = variants_for(problem, options.secret)
        if variants is not None and not options.student:
            raise InputError.at("--student", None, f"{problem.file} gives each student their own numbers: give --student NAME")
        solution = variants.solution_for(options.student) if variants is not None else solve(problem)
        result = run_checker(Grader(solution, show_answers=False), screen, options.tries, reveal=options.show_answers)
        typed.update(result.typed)
        all_correct = all_correct and result.all_correct
        if result.quit:
            all_correct = False
            break
    if options.save:  # checked against the problem files before the first question
        questions = [q for p in assignment.problems if p.kind != "code" for q in p.questions]
        write_atomic(options.save, sheet_text(SimpleNamespace(id=assignment.id, questions=questions), options.student, typed))
        screen.saved(options.save, f"hwcheck grade {options.problem} {options.save}")
    return 0 if all_correct else 1


def run_template(problem_path: str, output: str | None = None, force: bool = False) -> int:
    """Write a blank answer sheet to ``output`` (or stdout). For an assignment with a code
    problem, ``-o FOLDER/answers.yaml`` also writes the starter ``FOLDER/MODULE.py``.
    Nothing is written over an existing file (a filled-in sheet, a student's module) unless
    ``force``; over an input, never."""
    if output:
        check_writable(output, "answer sheet")
        check_outputs([("-o", output)], [("problem file", problem_path)])
    problem = load_target(problem_path)
    starters: list[tuple[str, str]] = []  # (path, text) of code starters written beside the sheet
    if isinstance(problem, Assignment):
        if output:
            check_outputs([("-o", output)], [("problem file", p.file) for p in problem.problems])
        text = assignment_template_text(problem, problem_path)
        codes = [p for p in problem.problems if p.kind == "code"]
        if codes and output:
            from ..code.template import starter_text  # deliberate: only code problems

            for code in codes:
                path = str(Path(output).parent / f"{code.module}.py")
                check_outputs([("-o", path)], [("problem file", code.file)])
                starters.append((path, starter_text(code, code.file)))
    elif problem.kind == "code":
        from ..code.template import starter_text  # deliberate: only code problems

        text = starter_text(problem, problem_path)
        if output:
            starters, text = [(output, text)], None
    else:
        text = template_text(problem, problem_path)
    # Every file the template writes, checked before any is: a blank over a filled-in sheet
    # or a starter over a student's module destroys work, so only an explicit --force may.
    for path in [p for p, _ in starters] + ([output] if output and text is not None else []):
        if not force and Path(path).exists():
            raise InputError.at(path, None, "exists (it may hold someone's work); choose another name or delete it first, or give --force to replace it")
    for path, code_text in starters:
        write_atomic(path, code_text)
    if text is None:
        return 0
    write_output(output, text)
    return 0
