"""An assignment's solutions, one problem after another, in every ``--format``. Each
problem is rendered by its own renderer from :data:`hwcheck.render.FORMATS`; this module
only puts them together. DOT is each problem's graph, one after another in one file, as
DOT allows (``hwcheck draw`` writes a picture per problem)."""

from __future__ import annotations

import sys

from ..escape import visible
from . import FORMATS

ASSIGNMENT_FORMATS = ("terminal", "json", "markdown", "latex", "dot")


def _heading(assignment) -> str:
    return assignment.title or assignment.id


def assignment_json(assignment, solutions, checks) -> str:
    """``{"id", "kind": "assignment", "title", "problems": [each problem's §6 object]}``."""
    import json  # deliberate: the default terminal format does without it (start-up time)

    problems = [json.loads(FORMATS["json"](s, c)) for s, c in zip(solutions, checks)]
    data = {"id": assignment.id, "kind": "assignment", "title": assignment.title, "problems": problems}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def assignment_markdown(assignment, solutions, checks) -> str:
    from .architecture_markdown import escape  # deliberate: only the chosen format's renderer loads (start-up time)

    parts = [f"# {escape(_heading(assignment))}\n\nAssignment `{assignment.id}`: "
             + ", ".join(f"`{s.problem.id}`" for s in solutions) + ".\n"]
    parts += [FORMATS["markdown"](s, c) for s, c in zip(solutions, checks)]
    return "\n---\n\n".join(parts)


def assignment_latex(assignment, solutions, checks) -> str:
    """One document: a section per problem, each with the body its own renderer gives."""
    from .latex import document  # deliberate: only the chosen format's renderer loads (start-up time)
    from .latex_architecture import architecture_body  # deliberate: only the chosen format's renderer loads (start-up time)
    from .latex_code import code_body  # deliberate: only the chosen format's renderer loads (start-up time)
    from .latex_graph import graph_body  # deliberate: only the chosen format's renderer loads (start-up time)
    from .tex import tex_text  # deliberate: only the chosen format's renderer loads (start-up time)

    body: list[str] = []
    for solution, check in zip(solutions, checks):
        kind = solution.problem.kind
        part = graph_body(solution, check) if kind == "graph" else code_body(solution) if kind == "code" else architecture_body(solution)
        body += [r"\clearpage" if body else "", r"\section*{" + tex_text(solution.problem.title or solution.problem.id) + "}", *part]
    return document(_heading(assignment), body)


def print_assignment(assignment, solutions, checks, format: str, width: int | None = None) -> None:
    if format == "json":
        text = assignment_json(assignment, solutions, checks)
    elif format == "markdown":
        text = assignment_markdown(assignment, solutions, checks)
    elif format == "latex":
        text = assignment_latex(assignment, solutions, checks)
    elif format == "dot":
        text = "".join(FORMATS["dot"](s, c) for s, c in zip(solutions, checks))
    else:
        from rich.console import Console  # deliberate: only the chosen format's renderer loads (start-up time)
        from rich.rule import Rule  # deliberate: only the chosen format's renderer loads (start-up time)
        from rich.text import Text  # deliberate: only the chosen format's renderer loads (start-up time)

        console = Console(width=width, soft_wrap=False, emoji=False)
        console.print(Text(visible(f"{_heading(assignment)} ({assignment.id}): {len(solutions)} problems"), style="bold"))
        for solution, check in zip(solutions, checks):
            console.print(Rule(Text(visible(solution.problem.title or solution.problem.id))))
            console.print(FORMATS["terminal"](solution, check))
        return
    sys.stdout.write(text)
    sys.stdout.flush()
