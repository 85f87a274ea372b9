"""Turning solutions into something to read. Renderers format; they never compute.

``FORMATS`` maps each ``--format`` name to a function ``(solution, check) -> str`` or,
for the terminal, to rich renderables printed by :func:`print_solution`.
"""

from __future__ import annotations

import json
import sys


def _terminal(solution, check=None):
    if solution.problem.kind == "code":
        from .code_terminal import render_code_terminal

        return render_code_terminal(solution)
    if solution.problem.kind == "graph":
        from .graph_terminal import render_graph_terminal

        return render_graph_terminal(solution, check)
    from .architecture_terminal import render_architecture_terminal

    return render_architecture_terminal(solution)


def _json(solution, check=None) -> str:
    data = solution.to_json()
    if check is not None:
        data["check"] = [finding.to_json() for finding in check]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _markdown(solution, check=None) -> str:
    if solution.problem.kind == "code":
        from .code_markdown import render_code_markdown

        return render_code_markdown(solution)
    if solution.problem.kind == "graph":
        from .graph_markdown import render_graph_markdown

        return render_graph_markdown(solution, check)
    from .architecture_markdown import render_architecture_markdown

    return render_architecture_markdown(solution)


def _latex(solution, check=None) -> str:
    from .latex import render_latex

    return render_latex(solution, check)


def _dot(solution, check=None) -> str:
    from .dot import render_dot

    return render_dot(solution)


FORMATS = {"terminal": _terminal, "json": _json, "markdown": _markdown, "latex": _latex, "dot": _dot}


def print_solution(solution, format: str = "terminal", width: int | None = None, check=None) -> None:
    """Write a solution to stdout in one of FORMATS."""
    rendered = FORMATS[format](solution, check)
    if isinstance(rendered, str):
        sys.stdout.write(rendered)
        sys.stdout.flush()
        return
    from rich.console import Console

    Console(width=width, soft_wrap=False).print(rendered)
