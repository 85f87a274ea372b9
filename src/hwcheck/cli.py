"""The `hwcheck` command line. Each command parses its arguments and calls the library;
:func:`main` turns a HwcheckError or a usage error of click (typer's parser) into one line
per fault on stderr with exit code 2 — one line always:
text from a file is shown through :func:`hwcheck.escape.visible`, so a newline in a key
cannot forge a second `error:` line, nor an ESC sequence clear the screen.

Only this module imports typer. Each command imports what it needs inside its function,
deliberately: `hwcheck solve` must not pay at start-up for grading, the schema or drawing
(and `hwcheck grade` not for rendering solutions); those imports say `# deliberate: per command`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError  # typer ships its own click

from . import __version__
from . import solve as solve_problem
from .errors import EXIT_INPUT_ERROR, HwcheckError, InputError
from .escape import visible
from .words import plural

MAX_TIMEOUT = 3600.0  # seconds per call of a student's function: --timeout inf would wait for ever

app = typer.Typer(
    name="hwcheck",
    help="Solve and grade backpropagation homework, showing the working.\n\nExample: hwcheck solve problems/residual_relu.yaml",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hwcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Solve and grade backpropagation homework, showing the working.

    Example: hwcheck solve problems/residual_relu.yaml
    """


@app.command()
def solve(
    problem: Path = typer.Argument(..., help="Problem or assignment file (.yaml).", show_default=False),
    format: str = typer.Option("terminal", "--format", "-f", help="terminal, json, markdown, latex or dot."),
    check: bool = typer.Option(False, "--check", help="Also check every gradient by central finite differences (code problems: run the reference's training)."),
    width: Optional[int] = typer.Option(None, "--width", min=20, help="Terminal width for the tables (default: the terminal's)."),
    student: Optional[str] = typer.Option(None, "--student", help="Problems with vary: this student's own numbers (needs the course secret)."),
    secret: Optional[str] = typer.Option(None, "--secret", help="The course secret for --student (default: the HWCHECK_SECRET environment variable)."),
) -> None:
    """Work a problem out: every value, local derivative, chain-rule path and gradient,
    or every layer's shape and parameter count. With --student, the key of that
    student's variant (contract §11).

    Example: hwcheck solve problems/residual_relu.yaml --format markdown
    """
    from .assignment import Assignment, load_target  # deliberate: per command (start-up time)
    from .render import FORMATS, print_solution  # deliberate: per command (start-up time)

    if format not in FORMATS:
        raise InputError.at(None, None, f"unknown --format '{format}'; choose one of {', '.join(FORMATS)}")
    if secret is not None and student is None:
        raise InputError.at("--secret", None, "is for --student (a student's variant); give --student NAME too")
    target = load_target(problem)
    if isinstance(target, Assignment):
        from .render.assignment import print_assignment  # deliberate: only assignments

        worked = [_solved(p, check, graph_only=False, student=student, secret=secret) for p in target.problems]
        print_assignment(target, [s for s, _ in worked], [c for _, c in worked], format, width=width)
        return
    solution, findings = _solved(target, check, graph_only=True, student=student, secret=secret)
    print_solution(solution, format, width=width, check=findings)


def _solved(problem, check: bool, graph_only: bool, student: str | None = None, secret: str | None = None):
    """A problem's solution (with --student, of that student's variant) and, with --check,
    its finite-difference findings (graph problems) or the reference's own training (code
    problems). In an assignment --check and --student apply to the problems they can apply to."""
    if student is not None and (graph_only or getattr(problem, "vary", ())):
        from .variants import student_solution  # deliberate: only keys of variants pay for it

        solution = student_solution(problem, student, secret)
    else:
        solution = solve_problem(problem)
    if check and solution.problem.kind == "code":  # the reference's own training runs
        from .code.solve import with_reference_runs  # deliberate: only code problems' --check

        return with_reference_runs(solution), None
    if not check or (solution.problem.kind != "graph" and not graph_only):
        return solution, None
    if solution.problem.kind != "graph":
        raise InputError.at(solution.problem.file, None, f"--check applies to graph problems, not to kind {solution.problem.kind}")
    from .graph.check import finite_difference_check  # deliberate: only --check

    return solution, finite_difference_check(solution)


@app.command()
def validate(
    problems: List[Path] = typer.Argument(..., help="Problem files to check.", show_default=False),
) -> None:
    """Check problem files; every fault is listed with its line. A valid problem's
    typical mistakes that no question can detect (they give the right value on every
    question) are listed as warnings, and do not change the exit code. A problem with
    per-student variants (vary:) draws those of a few sample students.

    Example: hwcheck validate problems/*.yaml
    """
    from .assignment import Assignment, load_target  # deliberate: per command (start-up time)

    failed = []
    for path in problems:
        try:
            problem = load_target(path)
        except InputError as error:
            failed.extend(error.faults)
            continue
        parts = [(part, part.file) for part in problem.problems] if isinstance(problem, Assignment) else [(problem, str(path))]
        checked = [_detection(part, where) for part, where in parts]
        faults = [fault for _, part_faults in checked for fault in part_faults]
        if not faults:  # "ok" only when the variants can be drawn too
            if isinstance(problem, Assignment):
                typer.echo(visible(f"{path}: ok (assignment, {plural(len(problem.problems), 'problem')}, "
                                   f"{plural(len(problem.questions), 'question')} and tasks, {problem.max_score:g} points)"))
            else:
                typer.echo(visible(f"{path}: ok ({problem.kind}, {plural(len(problem.questions), 'question')})"))
        for lines, _ in checked:
            for line in lines:
                typer.echo(visible(line))
        failed += faults
    if failed:
        raise InputError(failed)


def _detection(problem, path: str) -> tuple[list[str], list]:
    """The warnings of a valid problem: what it cannot detect and, with vary, whether
    variants can be drawn; and the faults of a vary that cannot be satisfied."""
    own = "the file's own numbers cannot detect" if getattr(problem, "vary", ()) else "cannot detect"  # variants may (§11)
    lines = [f"{path}: {line.replace('cannot detect', own, 1)}" for line in _cannot_detect(problem)]
    if not getattr(problem, "vary", ()):
        return lines, []
    from .variants import check_variants  # deliberate: only problems with variants pay for it

    try:
        lines.append(f"{path}: {check_variants(problem)}")
    except InputError as error:
        return lines, error.faults
    return lines, []


def _cannot_detect(problem) -> list[str]:
    """A warning for each typical mistake that applies to the problem but no question
    catches (contract §11): the problem is valid as it stands, so the exit code stays."""
    if problem.kind == "code":
        return []  # a code task is judged on random inputs, not on the problem's numbers
    from .grade.catalogue import meaning  # deliberate: per command (start-up time)
    from .grade.coverage import too_large, undetected  # deliberate: per command (start-up time)

    reason = too_large(problem)
    if reason is not None:
        return [f"note: not checked for mistakes it cannot detect: {reason}"]
    try:
        solution = solve_problem(problem)
    except InputError:
        return []  # `hwcheck solve` reports what keeps the problem from being solved
    return [f"warning: cannot detect {code} — {meaning(code)}: it gives the right value on every question"
            for code in undetected(solution)]


def _coverage(problem, format: str):
    """`hwcheck mistakes PROBLEM`'s table for one problem (JSON text, or a rich renderable)."""
    from .grade import catalogue_view as render  # deliberate: per command (start-up time)
    from .grade.coverage import mistake_table, too_large, undetected  # deliberate: per command (start-up time)

    reason = too_large(problem)
    if reason is not None:
        raise InputError.at(problem.file, None, f"{reason}; use a smaller problem")
    solution = solve_problem(problem)
    rows = mistake_table(solution)
    missed = undetected(solution, rows)
    return render.coverage_json(solution, rows, missed) if format == "json" else render.coverage_terminal(solution, rows, missed)


@app.command()
def mistakes(
    problem: Optional[Path] = typer.Argument(None, help="Problem or assignment file (.yaml); none: the whole catalogue.", show_default=False),
    format: str = typer.Option("terminal", "--format", "-f", help="terminal or json."),
    width: Optional[int] = typer.Option(None, "--width", min=20, help="Terminal width for the tables (default: the terminal's)."),
) -> None:
    """List the mistake codes a diagnosis can name, with what each means and where it
    applies; with a problem, the typical mistakes that apply to each of its questions,
    the value each gives and whether the question's tolerance catches it.

    Example: hwcheck mistakes problems/residual_relu.yaml
    """
    from .grade import catalogue_view as render  # deliberate: per command (start-up time)

    if format not in ("terminal", "json"):
        raise InputError.at(None, None, f"unknown --format '{format}'; choose one of terminal, json")
    if problem is None:
        rendered = render.catalogue_json() if format == "json" else render.catalogue_terminal()
    else:
        from .assignment import Assignment, load_target  # deliberate: per command (start-up time)

        target = load_target(problem)
        if isinstance(target, Assignment):  # each problem's table in turn
            parts = [_coverage(p, format) for p in target.problems]
            if format == "json":
                import json  # deliberate: only this output needs it

                rendered = json.dumps({"id": target.id, "kind": "assignment", "problems": [json.loads(p) for p in parts]},
                                      indent=2, ensure_ascii=False) + "\n"
            else:
                from rich.console import Group  # deliberate: per command (start-up time)

                rendered = Group(*parts)
        else:
            rendered = _coverage(target, format)
    if isinstance(rendered, str):
        sys.stdout.write(rendered)
        return
    from rich.console import Console  # deliberate: per command (start-up time)

    Console(width=width, soft_wrap=False, emoji=False).print(rendered)


@app.command()
def schema() -> None:
    """Print a JSON Schema of the problem format, for editors that complete and check YAML.

    Example: hwcheck schema > hwcheck-problem.schema.json
    """
    import json  # deliberate: per command (start-up time)

    from .schema import problem_schema  # deliberate: per command (start-up time)

    typer.echo(json.dumps(problem_schema(), indent=2, ensure_ascii=False))


@app.command()
def grade(
    problem: Path = typer.Argument(..., help="Problem or assignment file (.yaml).", show_default=False),
    sheets: Optional[List[Path]] = typer.Argument(None, help="Answer sheets and/or folders of sheets (searched for *.yaml, *.yml). None: check answers interactively.", show_default=False),
    report: Optional[List[Path]] = typer.Option(None, "--report", help="Write a report: FILE.json (the contract's JSON) or FILE.csv (a gradebook). Repeatable."),
    gradescope: Optional[Path] = typer.Option(None, "--gradescope", help="Write Gradescope's results.json for the one sheet graded."),
    show_answers: bool = typer.Option(False, "--show-answers", help="Show expected values (for staff); hidden by default."),
    summary: bool = typer.Option(False, "--summary", help="Print only the one-row-per-sheet summary, not a table per sheet."),
    tries: int = typer.Option(3, "--tries", help="Interactive: tries per question."),
    save: Optional[Path] = typer.Option(None, "--save", help="Interactive: write the answers given as a sheet to hand in."),
    student: Optional[str] = typer.Option(None, "--student", help="Interactive: the name written into the --save sheet."),
    width: Optional[int] = typer.Option(None, "--width", min=20, help="Terminal width for the tables (default: the terminal's)."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Code problems: submissions graded at once (default: the machine's cores)."),
    sandbox: str = typer.Option("auto", "--sandbox", help="Code problems: auto (bubblewrap when installed, else limits alone, with a warning) or require (refuse without bubblewrap)."),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, max=MAX_TIMEOUT, help="Code problems: seconds per function call and for the module's import."),
    secret: Optional[str] = typer.Option(None, "--secret", help="Problems with vary: the course secret; each sheet is graded against its student's variant (default: the HWCHECK_SECRET environment variable)."),
    canvas: Optional[Path] = typer.Option(None, "--canvas", help="Write a gradebook Canvas imports (FILE.csv): Student, ID, SIS User ID, SIS Login ID, Section, score."),
    roster: Optional[Path] = typer.Option(None, "--roster", help="With --canvas: a CSV of the students' ids (a Canvas gradebook export will do)."),
) -> None:
    """Grade answer sheets against a problem, or, with no sheets, check answers one
    question at a time in the terminal. Exit 0 when every answer is correct, 1 when
    some answer is wrong or missing or some sheet unreadable, 2 on bad usage.

    For a code problem (kind: code) each submission is a .py file or a folder holding the
    module, run sandboxed; a class folder holds one subfolder (or .py file) per student.
    For an assignment (kind: assignment) a submission is a sheet or a folder holding
    answers.yaml and the code; a class folder holds one subfolder (or sheet) per student.

    For a problem with per-student variants (vary:), each sheet is graded against the
    variant of the student it names, drawn with the course secret.

    Example: hwcheck grade problems/residual_relu.yaml submissions/ --report grades.csv
    """
    from .grade.command import GradeOptions, run_grade  # deliberate: per command (start-up time)

    if timeout != timeout:  # NaN passes the option's range: it fails every comparison
        raise InputError.at("--timeout", None, f"is seconds per call, from 0.1 to {MAX_TIMEOUT:g}, not nan")
    options = GradeOptions(
        problem=str(problem),
        sheets=[str(s) for s in sheets or []],
        reports=[str(r) for r in report or []],
        gradescope=str(gradescope) if gradescope else None,
        show_answers=show_answers,
        summary=summary,
        width=width,
        tries=tries,
        save=str(save) if save else None,
        student=student,
        jobs=jobs,
        sandbox=sandbox,
        timeout=timeout,
        secret=secret,
        canvas=str(canvas) if canvas else None,
        roster=str(roster) if roster else None,
    )
    raise typer.Exit(run_grade(options))


@app.command()
def template(
    problem: Path = typer.Argument(..., help="Problem or assignment file (.yaml).", show_default=False),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the sheet to FILE instead of stdout."),
    force: bool = typer.Option(False, "--force", help="Replace files that exist already (never the problem files)."),
) -> None:
    """Write a blank answer sheet for a problem: every question's id, with its ask and
    points as comments, ready to fill in and grade. For a code problem: the starter
    module (each function's signature, a docstring with the shapes, NotImplementedError).

    Example: hwcheck template problems/residual_relu.yaml -o alice.yaml
    """
    from .grade.command import run_template  # deliberate: per command (start-up time)

    raise typer.Exit(run_template(str(problem), str(output) if output else None, force))


@app.command()
def draw(
    problem: Path = typer.Argument(..., help="Problem or assignment file (.yaml).", show_default=False),
    output: Path = typer.Option(..., "--output", "-o", help="Picture to write: .svg, .png or .pdf.", show_default=False),
    blank: bool = typer.Option(False, "--blank", help="Names and operations only: no value, gradient, shape or count (for handouts)."),
) -> None:
    """Draw a problem with Graphviz's dot: the computation graph (each node's value and
    gradient, each edge's local derivative) or the network's layers (shapes, parameters);
    with --blank, only the names and operations (the layers and their settings).
    For an assignment, each problem is drawn to OUTPUT with the problem's id added to the name.

    Example: hwcheck draw problems/residual_relu.yaml -o graph.svg
    """
    from .draw import draw_problem  # deliberate: per command (start-up time)

    written = draw_problem(problem, output, blank=blank)
    if len(written) > 1 or written[0] != output:  # an assignment: say where each picture went
        for path in written:
            typer.echo(visible(f"wrote {path}"))


@app.command()
def handout(
    problem: Path = typer.Argument(..., help="Problem or assignment file (.yaml).", show_default=False),
    format: str = typer.Option("markdown", "--format", "-f", help="latex or markdown."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the handout to FILE (and the graph's picture beside it) instead of stdout."),
    student: Optional[str] = typer.Option(None, "--student", help="Problems with vary: this student's own numbers (needs the course secret)."),
    secret: Optional[str] = typer.Option(None, "--secret", help="The course secret for --student (default: the HWCHECK_SECRET environment variable)."),
) -> None:
    """Write the questions without any answer, to hand out: the given values and the
    steps (with a picture of the graph, names and operations only), the layers and their
    settings, or the functions to write with their shapes; then each question and its points.
    With --student, that student's own numbers (contract §11).

    Example: hwcheck handout problems/residual_relu.yaml --format latex -o handout.tex
    """
    from .handout_command import run_handout  # deliberate: per command (start-up time)

    raise typer.Exit(run_handout(str(problem), format, str(output) if output else None, student=student, secret=secret))


EXIT_INTERNAL_ERROR = 3


def _internal_error(error: Exception) -> None:
    """A bug in hwcheck, not in the input: one line (the traceback with HWCHECK_DEBUG=1),
    and an exit code that no script can take for "some answer wrong" (1)."""
    if os.environ.get("HWCHECK_DEBUG"):
        raise error
    print(visible(f"error: internal error in hwcheck ({type(error).__name__}: {error}); please report it, "
                  "with the files involved (HWCHECK_DEBUG=1 shows the traceback)"), file=sys.stderr)
    sys.exit(EXIT_INTERNAL_ERROR)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and turn every refusal into one line per fault, exit 2."""
    try:
        # Without standalone mode, click hands typer.Exit(code) back as the return value.
        code = app(args=argv, standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except HwcheckError as error:
        for fault in error.faults:
            print(visible(f"error: {fault}"), file=sys.stderr)
        sys.exit(error.exit_code)
    except NoArgsIsHelpError as error:  # `hwcheck` alone: the help (click leaves it unprinted without standalone mode)
        typer.echo(error.format_message())
        sys.exit(0)
    except ClickException as error:  # a usage error: unknown option, missing argument...
        command = getattr(getattr(error, "ctx", None), "command_path", None) or "hwcheck"
        print(visible(f"error: {error.format_message()} (try '{command} --help')"), file=sys.stderr)
        sys.exit(EXIT_INPUT_ERROR)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        print("error: aborted", file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:  # e.g. `hwcheck solve ... | head`
        sys.exit(0)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # anything else is a bug in hwcheck
        _internal_error(error)
