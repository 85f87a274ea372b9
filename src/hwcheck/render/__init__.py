"""Turning solutions into something to read. Renderers format; they never compute.

``FORMATS`` maps each ``--format`` name to a function ``(solution, check) -> str`` or,
for the terminal, to rich renderables printed by :func:`print_solution`. Each format's
renderer is imported inside its function, deliberately: `hwcheck solve` loads only the one
it prints (rich alone costs a tenth of a second of start-up).
"""

from __future__ import annotations

import sys


def _terminal(solution, check=None):
    if solution.problem.kind == "code":
        from .code_terminal import render_code_terminal  # deliberate: only the chosen format's renderer loads (start-up time)

        return render_code_terminal(solution)
    if solution.problem.kind == "graph":
        from .graph_terminal import render_graph_terminal  # deliberate: only the chosen format's renderer loads (start-up time)

        return render_graph_terminal(solution, check)
    from .architecture_terminal import render_architecture_terminal  # deliberate: only the chosen format's renderer loads (start-up time)

    return render_architecture_terminal(solution)


def _json(solution, check=None) -> str:
    import json  # deliberate: the default terminal format does without it (start-up time)

    data = solution.to_json()
    if solution.problem.kind == "graph":
        data["local_derivatives"] = _local_derivatives(solution)
    if check is not None:
        data["check"] = [finding.to_json() for finding in check]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _local_derivatives(solution) -> list[dict]:
    """An extension the contract allows: every local derivative's formula, typeset by the
    same two typesetters as the other outputs (Unicode, and TeX for a page)."""
    from .formulas import local_formula, partial  # deliberate: only the chosen format's renderer loads (start-up time)
    from .typeset import tex_local  # deliberate: only the chosen format's renderer loads (start-up time)

    return [
        {"node": local.node, "operand": local.operand, "derivative": partial(local.node, local.operand),
         "formula": local_formula(local), "tex": tex_local(local)}
        for row in solution.rows for local in row.locals
    ]


def _markdown(solution, check=None) -> str:
    if solution.problem.kind == "code":
        from .code_markdown import render_code_markdown  # deliberate: only the chosen format's renderer loads (start-up time)

        return render_code_markdown(solution)
    if solution.problem.kind == "graph":
        from .graph_markdown import render_graph_markdown  # deliberate: only the chosen format's renderer loads (start-up time)

        return render_graph_markdown(solution, check)
    from .architecture_markdown import render_architecture_markdown  # deliberate: only the chosen format's renderer loads (start-up time)

    return render_architecture_markdown(solution)


def render_latex(solution, check=None) -> str:
    """The ``--format latex`` document for either kind of problem."""
    from .latex import document  # deliberate: only the chosen format's renderer loads (start-up time)

    if solution.problem.kind == "graph":
        from .latex_graph import graph_body  # deliberate: only the chosen format's renderer loads (start-up time)

        body = graph_body(solution, check)
    elif solution.problem.kind == "code":
        from .latex_code import code_body  # deliberate: only the chosen format's renderer loads (start-up time)

        body = code_body(solution)
    else:
        from .latex_architecture import architecture_body  # deliberate: only the chosen format's renderer loads (start-up time)

        body = architecture_body(solution)
    return document(solution.problem.title or solution.problem.id, body)


_latex = render_latex


def render_dot(solution) -> str:
    """DOT text for any kind of problem (code_dot draws each task's graph with dot.py's parts)."""
    if solution.problem.kind == "code":
        from .code_dot import code_dot  # deliberate: only the chosen format's renderer loads (start-up time)

        return code_dot(solution)
    from .dot import architecture_dot, graph_dot  # deliberate: only the chosen format's renderer loads (start-up time)

    return graph_dot(solution) if solution.problem.kind == "graph" else architecture_dot(solution)


def blank_dot(problem) -> str:
    """A picture of the problem without any answer in it, from the problem alone (no solving)."""
    if problem.kind == "code":
        from .code_dot import problem_dot  # deliberate: only the problem's kind's picture loads; names only already

        return problem_dot(problem)
    from .dot import architecture_blank_dot, graph_blank_dot  # deliberate: as above

    return graph_blank_dot(problem) if problem.kind == "graph" else architecture_blank_dot(problem)


def _dot(solution, check=None) -> str:
    return render_dot(solution)


FORMATS = {"terminal": _terminal, "json": _json, "markdown": _markdown, "latex": _latex, "dot": _dot}


def print_solution(solution, format: str = "terminal", width: int | None = None, check=None) -> None:
    """Write a solution to stdout in one of FORMATS."""
    rendered = FORMATS[format](solution, check)
    if isinstance(rendered, str):
        sys.stdout.write(rendered)
        sys.stdout.flush()
        return
    from rich.console import Console  # deliberate: rich loads only for the terminal format (start-up time)

    # Every cell a user wrote is Text; the plain strings left (headers, roles, numbers) hold
    # no ':name:' codes, so emoji replacement could change nothing, and turning it off spares
    # loading rich's table of 4,000 emoji on every start.
    Console(width=width, soft_wrap=False, emoji=False).print(rendered)
