"""A code problem's reference as Markdown: the same content as the terminal renderer,
with each gradient's derivation from the graph renderer (one heading level down)."""

from __future__ import annotations

from ..code.solve import first_values
from ..numbers import fmt
from .architecture_markdown import escape
from .graph_markdown import render_graph_markdown


def _cell(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def render_code_markdown(solution, check=None) -> str:
    problem = solution.problem
    lines = [f"# {escape(problem.title or problem.id)}", "",
             f"Problem `{problem.id}`: students write `{problem.module}.py`; each function is called on {problem.trials} random input set(s) "
             f"(seed {problem.seed}) plus the fixed cases, and compared with the values below.", ""]
    for solved in solution.tasks:
        task = solved.task
        lines += [f"## {escape(task.id)}: {_cell(task.ask)} ({fmt(task.points)} point{'s' if task.points != 1 else ''})", "",
                  "| | name / formula | value (first trial) |", "| --- | --- | --- |"]
        lines += [f"| input | {_cell(name)} | {_cell(first_values(value))} |" for name, value in solved.first.values.items()]
        lines += [f"| returns | {_cell(r.text)} | {_cell(first_values(v))} |" for r, v in zip(task.returns, solved.first.expected)]
        lines.append("")
        for derivation in solved.derivations:
            body = render_graph_markdown(derivation)
            lines += ["#" + line if line.startswith("#") else line for line in body.splitlines()]
            lines.append("")
    for training in solution.trainings:
        task, recipe, result = training.task, training.task.train, training.result
        lines += [f"## {escape(task.id)}: training ({fmt(task.points)} points)", "", "```"]
        lines += [line.text for line in recipe.forward] + [line.text for line in recipe.backward]
        lines += [f"each param = {recipe.update}(param, dparam, lr)   # lr = {fmt(recipe.lr)}, {recipe.steps} steps", "```", ""]
        if result is None:
            lines.append("Every value keeps the reference's shape: " + ", ".join(f"`{n}` {list(s)}" for n, s in training.shapes.items() if n != "lr") + ".")
        elif result.accuracy is not None:
            lines.append(f"Reference run: accuracy {result.accuracy:.3f}, final loss {result.final_loss:.4g}; target: "
                         + ", ".join(f"{k} {fmt(v)}" for k, v in recipe.reach.items()) + ".")
        else:
            lines.append(f"Reference run failed: {escape(result.failure.message)}")
        lines.append("")
    return "\n".join(lines)
