"""`hwcheck handout`: the handout written to a file or stdout, with the graph's picture.

With ``-o FILE`` and a graph problem, the blank picture (``hwcheck draw --blank``) is drawn
beside the handout as ``STEM-graph.pdf`` (LaTeX) or ``STEM-graph.svg`` (Markdown) and
referenced by that name, so the folder compiles or renders as it is. Without Graphviz the
handout is still written, without the picture, and a warning says why. On stdout there is
no folder to put a picture in: the steps and given values alone describe the graph.
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from pathlib import Path

from .assignment import Assignment, load_target
from .draw import INSTALL_HINT, find_dot, run_dot
from .errors import InputError
from .escape import visible
from .files import check_outputs, check_writable, write_atomic, write_output
from .handout import handout
from .render import blank_dot

HANDOUT_FORMATS = {"latex": "pdf", "markdown": "svg"}  # each format and the picture it includes


def picture_path(output: Path, format: str, problem_id: str | None = None) -> Path:
    """STEM-graph.pdf beside the handout (STEM-ID-graph.pdf for a problem of an assignment);
    the name kept to characters every TeX reads in a file name."""
    stem = output.stem + (f"-{problem_id}" if problem_id else "")
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", stem) or "handout"  # no dots: old graphicx takes the first for the extension
    return output.with_name(f"{stem}-graph.{HANDOUT_FORMATS[format]}")


def render_handout(data, format: str, picture: str | None = None) -> str:
    if format == "latex":
        from .render.latex_handout import render_handout_latex  # deliberate: only the chosen format's renderer loads (start-up time)

        return render_handout_latex(data, picture)
    from .render.handout_markdown import render_handout_markdown  # deliberate: only the chosen format's renderer loads (start-up time)

    return render_handout_markdown(data, picture)


def render_assignment_handout(title: str, handouts: list, pictures: list, format: str) -> str:
    if format == "latex":
        from .render.latex_handout import render_assignment_handout_latex  # deliberate: only the chosen format's renderer loads (start-up time)

        return render_assignment_handout_latex(title, handouts, pictures)
    from .render.handout_markdown import render_assignment_handout_markdown  # deliberate: only the chosen format's renderer loads (start-up time)

    return render_assignment_handout_markdown(title, handouts, pictures)


def _for_student(problem, student: str, secret_option: str | None, single: bool):
    """``student``'s own numbers for a problem with vary (a problem without vary is the
    same for everyone, so in an assignment it is handed out as it is)."""
    if not getattr(problem, "vary", ()):
        if single:
            raise InputError.at(problem.file, None, "has no vary: section, so every student has the file's own numbers; leave out --student")
        return problem
    from .variants import SECRET_VARIABLE, course_secret, variant_of  # deliberate: only variants pay for it

    secret = course_secret(secret_option)
    if secret is None:
        raise InputError.at("--student", None, f"a student's variant is drawn with the course secret: set {SECRET_VARIABLE} or give --secret")
    variant = variant_of(problem, student, secret)
    return replace(variant, title=f"{problem.title or problem.id} — {visible(' '.join(student.split()))} (variant {variant.variant})")


def run_handout(problem_path: str, format: str, output: str | None = None, student: str | None = None, secret: str | None = None) -> int:
    if format not in HANDOUT_FORMATS:
        raise InputError.at(None, None, f"unknown --format '{format}'; choose one of {', '.join(HANDOUT_FORMATS)}")
    if secret is not None and student is None:
        raise InputError.at("--secret", None, "is for --student (a student's variant); give --student NAME too")
    if output:
        check_writable(output, "handout")
        check_outputs([("-o", output)], [("problem file", problem_path)])
    target = load_target(problem_path)
    single = not isinstance(target, Assignment)
    problems = [target] if single else list(target.problems)
    if student is not None:
        problems = [_for_student(p, student, secret, single) for p in problems]
    pictures: list[str | None] = [None] * len(problems)
    if output:
        paths = {i: picture_path(Path(output), format, None if single else p.id) for i, p in enumerate(problems) if p.kind == "graph"}
        inputs = [("problem file", problem_path)] + ([] if single else [("problem file", p.file) for p in problems])
        check_outputs([("-o", output)] + [("the picture", str(path)) for path in paths.values()], inputs)
        for i, path in paths.items():
            pictures[i] = _draw(problems[i], path)
    if single:
        text = render_handout(handout(problems[0]), format, pictures[0])
    else:
        text = render_assignment_handout(target.title or target.id, [handout(p) for p in problems], pictures, format)
    write_output(output, text)
    return 0


def _draw(problem, path: Path) -> str | None:
    """The blank picture's file name, or None (with a warning) when Graphviz is missing."""
    try:
        dot = find_dot()
    except InputError:
        print("warning: the handout has no picture of the graph: " + INSTALL_HINT, file=sys.stderr)
        return None
    write_atomic(path, run_dot(dot, blank_dot(problem), path.suffix[1:]))
    return path.name

