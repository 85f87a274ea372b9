"""The `hwcheck` command line. Each command parses its arguments, calls the library, and
turns an InputError into one line per fault on stderr with exit code 2 — one line always:
text from a file is shown through :func:`hwcheck.escape.visible`, so a newline in a key
cannot forge a second `error:` line, nor an ESC sequence clear the screen.

Only this module imports typer.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import __version__
from .errors import EXIT_INPUT_ERROR, InputError
from .escape import visible

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
    problem: Path = typer.Argument(..., help="Problem file (.yaml).", show_default=False),
    format: str = typer.Option("terminal", "--format", "-f", help="terminal, json, markdown, latex or dot."),
    check: bool = typer.Option(False, "--check", help="Also check every gradient by central finite differences (code problems: run the reference's training)."),
    width: Optional[int] = typer.Option(None, "--width", min=20, help="Terminal width for the tables (default: the terminal's)."),
) -> None:
    """Work a problem out: every value, local derivative, chain-rule path and gradient,
    or every layer's shape and parameter count.

    Example: hwcheck solve problems/residual_relu.yaml --format markdown
    """
    from . import load_problem, solve as solve_problem
    from .render import FORMATS, print_solution

    if format not in FORMATS:
        raise InputError.at(None, None, f"unknown --format '{format}'; choose one of {', '.join(FORMATS)}")
    solution = solve_problem(load_problem(problem))
    findings = None
    if check and solution.problem.kind == "code":  # the reference's own training runs
        from .code.solve import with_reference_runs

        solution, check = with_reference_runs(solution), False
    if check:
        if solution.problem.kind != "graph":
            raise InputError.at(str(problem), None, f"--check applies to graph problems, not to kind {solution.problem.kind}")
        from .graph.check import finite_difference_check

        findings = finite_difference_check(solution)
    print_solution(solution, format, width=width, check=findings)


@app.command()
def validate(
    problems: List[Path] = typer.Argument(..., help="Problem files to check.", show_default=False),
) -> None:
    """Check problem files without solving them; every fault is listed with its line.

    Example: hwcheck validate problems/*.yaml
    """
    from . import load_problem
    from .words import plural

    failed = []
    for path in problems:
        try:
            problem = load_problem(path)
        except InputError as error:
            failed.extend(error.faults)
            continue
        typer.echo(visible(f"{path}: ok ({problem.kind}, {plural(len(problem.questions), 'question')})"))
    if failed:
        raise InputError(failed)


@app.command()
def schema() -> None:
    """Print a JSON Schema of the problem format, for editors that complete and check YAML.

    Example: hwcheck schema > hwcheck-problem.schema.json
    """
    import json

    from .schema import problem_schema

    typer.echo(json.dumps(problem_schema(), indent=2, ensure_ascii=False))


@app.command()
def grade(
    problem: Path = typer.Argument(..., help="Problem file (.yaml).", show_default=False),
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
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Code problems: seconds per function call and for the module's import."),
) -> None:
    """Grade answer sheets against a problem, or, with no sheets, check answers one
    question at a time in the terminal. Exit 0 when every answer is correct, 1 when
    some answer is wrong or missing or some sheet unreadable, 2 on bad usage.

    For a code problem (kind: code) each submission is a .py file or a folder holding the
    module, run sandboxed; a class folder holds one subfolder (or .py file) per student.

    Example: hwcheck grade problems/residual_relu.yaml submissions/ --report grades.csv
    """
    from .grade.command import GradeOptions, run_grade

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
    )
    raise typer.Exit(run_grade(options))


@app.command()
def template(
    problem: Path = typer.Argument(..., help="Problem file (.yaml).", show_default=False),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the sheet to FILE instead of stdout."),
) -> None:
    """Write a blank answer sheet for a problem: every question's id, with its ask and
    points as comments, ready to fill in and grade. For a code problem: the starter
    module (each function's signature, a docstring with the shapes, NotImplementedError).

    Example: hwcheck template problems/residual_relu.yaml -o alice.yaml
    """
    from .grade.command import run_template

    raise typer.Exit(run_template(str(problem), str(output) if output else None))


@app.command()
def draw(
    problem: Path = typer.Argument(..., help="Problem file (.yaml).", show_default=False),
    output: Path = typer.Option(..., "--output", "-o", help="Picture to write: .svg, .png or .pdf.", show_default=False),
    blank: bool = typer.Option(False, "--blank", help="Names and operations only: no value, gradient, shape or count (for handouts)."),
) -> None:
    """Draw a problem with Graphviz's dot: the computation graph (each node's value and
    gradient, each edge's local derivative) or the network's layers (shapes, parameters);
    with --blank, only the names and operations (the layers and their settings).

    Example: hwcheck draw problems/residual_relu.yaml -o graph.svg
    """
    from .draw import draw_problem

    draw_problem(problem, output, blank=blank)


@app.command()
def handout(
    problem: Path = typer.Argument(..., help="Problem file (.yaml).", show_default=False),
    format: str = typer.Option("markdown", "--format", "-f", help="latex or markdown."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the handout to FILE (and the graph's picture beside it) instead of stdout."),
) -> None:
    """Write the questions without any answer, to hand out: the given values and the
    steps (with a picture of the graph, names and operations only), the layers and their
    settings, or the functions to write with their shapes; then each question and its points.

    Example: hwcheck handout problems/residual_relu.yaml --format latex -o handout.tex
    """
    from .handout_command import run_handout

    raise typer.Exit(run_handout(str(problem), format, str(output) if output else None))


EXIT_INTERNAL_ERROR = 3


def _internal_error(error: Exception) -> None:
    """A bug in hwcheck, not in the input: one line (the traceback with HWCHECK_DEBUG=1),
    and an exit code that no script can take for "some answer wrong" (1)."""
    import os

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
    except InputError as error:
        for fault in error.faults:
            print(visible(f"error: {fault}"), file=sys.stderr)
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
    except Exception as error:  # typer's (click's) usage errors carry format_message and exit_code
        if not hasattr(error, "format_message") or not hasattr(error, "exit_code"):
            _internal_error(error)
        if type(error).__name__.startswith("NoArgsIsHelp"):
            sys.exit(0)  # the help was already printed
        command = getattr(getattr(error, "ctx", None), "command_path", None) or "hwcheck"
        print(visible(f"error: {error.format_message()} (try '{command} --help')"), file=sys.stderr)
        sys.exit(EXIT_INPUT_ERROR)
