"""`hwcheck draw`: a problem's picture, rendered by Graphviz's ``dot`` program.

The DOT text comes from :mod:`hwcheck.render.dot`; this module only runs ``dot`` (an argv
list, never a shell, with a timeout) and writes the picture atomically: into a temporary
file in the destination folder, then ``os.replace``, so a reader never sees half a file
and a failed run leaves an earlier picture in place. Every refusal is an InputError.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from . import load_problem, solve
from .assignment import Assignment, load_target
from .errors import InputError
from .files import check_outputs, check_writable, write_atomic
from .render import blank_dot, render_dot

PICTURE_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
DOT_TIMEOUT = 60.0  # seconds; dot is quick on homework-sized graphs, this only stops a runaway
INSTALL_HINT = ("hwcheck draw needs Graphviz's 'dot' program, which was not found on PATH; install Graphviz "
                "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
                "others: https://graphviz.org/download/)")


def picture_format(output: Path) -> str:
    """svg, png or pdf from the file's extension; anything else is refused."""
    suffix = output.suffix.lower()
    if suffix not in PICTURE_FORMATS:
        given = f"'{output.suffix}'" if output.suffix else "no extension"
        raise InputError.at(str(output), None, f"cannot tell the picture format from {given}; name the file .svg, .png or .pdf")
    return PICTURE_FORMATS[suffix]


def find_dot(program: str = "dot") -> str:
    path = shutil.which(program)
    if path is None:
        raise InputError.at(program, None, INSTALL_HINT)
    return path


def run_dot(dot: str, text: str, format: str, timeout: float = DOT_TIMEOUT) -> bytes:
    """The picture ``dot -T<format>`` makes of ``text``."""
    try:
        done = subprocess.run([dot, f"-T{format}"], input=text.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise InputError.at("dot", None, f"did not finish within {timeout:g} s; the graph is too large to draw") from None
    except OSError as error:
        raise InputError.at("dot", None, f"could not be run: {error.strerror or error}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError.at("dot", None, f"failed (exit {done.returncode}): {message[0] if message else 'no message'}")
    return done.stdout


def draw_problem(problem: str | Path, output: str | Path, timeout: float = DOT_TIMEOUT, dot_program: str = "dot",
                 blank: bool = False) -> list[Path]:
    """Solve ``problem`` and write its picture to ``output`` (.svg, .png or .pdf); ``blank``:
    names and operations only, from the problem alone (nothing solved, nothing to leak). For
    an assignment, each of its problems is drawn, to ``output`` with the problem's id added
    to the name (``hw4.svg`` → ``hw4-residual-relu.svg``, ...). Returns the files written."""
    def picture(p) -> str:
        return blank_dot(p) if blank else render_dot(solve(p))

    output = Path(output)
    format = picture_format(output)
    check_writable(output, "picture")
    check_outputs([("-o", str(output))], [("problem file", str(problem))])
    target = load_target(problem)
    if isinstance(target, Assignment):
        pictures = [(output.with_name(f"{output.stem}-{p.id}{output.suffix}"), p) for p in target.problems]
        check_outputs([("the picture", str(path)) for path, _ in pictures], [("problem file", str(p.file)) for p in target.problems])
    dot = find_dot(dot_program)
    if not isinstance(target, Assignment):
        write_atomic(output, run_dot(dot, picture(target), format, timeout))
        return [output]
    drawn = [(path, run_dot(dot, picture(p), format, timeout)) for path, p in pictures]  # all drawn before any is written
    for path, picture_bytes in drawn:
        write_atomic(path, picture_bytes)
    return [path for path, _ in drawn]


__all__ = ["draw_problem", "picture_format", "run_dot", "PICTURE_FORMATS", "INSTALL_HINT"]
