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
from pathlib import Path

from .errors import InputError
from .files import check_outputs, check_writable, write_atomic

HANDOUT_FORMATS = {"latex": "pdf", "markdown": "svg"}  # each format and the picture it includes


def picture_path(output: Path, format: str) -> Path:
    """STEM-graph.pdf beside the handout; the stem kept to characters every TeX reads in a file name."""
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", output.stem) or "handout"  # no dots: old graphicx takes the first for the extension
    return output.with_name(f"{stem}-graph.{HANDOUT_FORMATS[format]}")


def render_handout(data, format: str, picture: str | None = None) -> str:
    if format == "latex":
        from .render.latex_handout import render_handout_latex

        return render_handout_latex(data, picture)
    from .render.handout_markdown import render_handout_markdown

    return render_handout_markdown(data, picture)


def run_handout(problem_path: str, format: str, output: str | None = None) -> int:
    from . import load_problem
    from .handout import handout

    if format not in HANDOUT_FORMATS:
        raise InputError.at(None, None, f"unknown --format '{format}'; choose one of {', '.join(HANDOUT_FORMATS)}")
    if output:
        check_writable(output, "handout")
        check_outputs([("-o", output)], [("problem file", problem_path)])
    problem = load_problem(problem_path)
    picture = None
    if output and problem.kind == "graph":
        path = picture_path(Path(output), format)
        check_outputs([("-o", output), ("the picture", str(path))], [("problem file", problem_path)])
        picture = _draw(problem, path)
    text = render_handout(handout(problem), format, picture)
    if output:
        write_atomic(output, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0


def _draw(problem, path: Path) -> str | None:
    """The blank picture's file name, or None (with a warning) when Graphviz is missing."""
    from .draw import INSTALL_HINT, find_dot, run_dot
    from .render.dot import blank_dot

    try:
        dot = find_dot()
    except InputError:
        print("warning: the handout has no picture of the graph: " + INSTALL_HINT, file=sys.stderr)
        return None
    write_atomic(path, run_dot(dot, blank_dot(problem), path.suffix[1:]))
    return path.name

