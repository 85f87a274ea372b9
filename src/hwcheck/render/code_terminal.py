"""A code problem's reference in the terminal: each task's formula, first trial and
expected outputs, the derivation of each gradient it asks (the graph renderer's tables),
and the reference's training run. Everything a teacher wrote goes in as ``Text``."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..code.solve import first_values
from ..numbers import fmt
from .graph_terminal import render_graph_terminal


def _points(points: float) -> str:
    return f"{fmt(points)} point{'s' if points != 1 else ''}"


def render_code_terminal(solution, check=None):
    problem = solution.problem
    parts = [Text(problem.title or problem.id, style="bold underline"),
             Text(f"Students write {problem.module}.py; each function is called on {problem.trials} random input set(s) plus the fixed cases (seed {problem.seed}).")]
    for solved in solution.tasks:
        task = solved.task
        parts.append(Text(""))
        parts.append(Text.assemble((f"{task.id}  ", "bold"), (task.ask, "bold cyan"), f"  ({_points(task.points)})"))
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, title=Text("first trial", style="dim"), title_justify="left")
        table.add_column("")
        table.add_column("name / formula", overflow="fold")
        table.add_column("value (shape: first elements)", overflow="fold")
        for name, value in solved.first.values.items():
            table.add_row("input", Text(name), Text(first_values(value)))
        for returned, value in zip(task.returns, solved.first.expected):
            table.add_row("returns", Text(returned.text), Text(first_values(value)))
        parts.append(table)
        extra = [f"{len(task.cases)} fixed case(s)"] if task.cases else []
        if task.mutates:
            extra.append(f"may change {', '.join(task.mutates)} in place")
        if extra:
            parts.append(Text("; ".join(extra), style="dim"))
        parts += [render_graph_terminal(derivation) for derivation in solved.derivations]  # each under its own title
    for training in solution.trainings:
        parts += _training(training)
    return Group(*parts)


def _training(training) -> list:
    task, recipe, result = training.task, training.task.train, training.result
    parts = [Text(""), Text.assemble((f"{task.id}  ", "bold"), ("training", "bold cyan"), f"  ({_points(task.points)})")]
    lines = [f"data: CS231n's spiral, {recipe.classes} classes × {recipe.points_per_class} points (seed {recipe.data_seed})",
             f"params: " + ", ".join(f"{n} {list(s)}" for n, s in recipe.params.items()) + f"; weights N(0, {fmt(recipe.init_scale)}²) (seed {recipe.init_seed}), biases 0",
             *[f"forward:  {line.text}" for line in recipe.forward],
             *[f"backward: {line.text}" for line in recipe.backward],
             f"update:   each param = {recipe.update}(param, dparam, lr), lr = {fmt(recipe.lr)}; {recipe.steps} steps",
             "reach:    " + ", ".join(f"{k} {'≥' if k == 'accuracy' else '≤'} {fmt(v)}" for k, v in recipe.reach.items())]
    parts += [Text(line) for line in lines]
    parts.append(Text("shapes:   " + ", ".join(f"{n} {list(s)}" for n, s in training.shapes.items() if n not in ("lr",)), style="dim"))
    if result is None:
        parts.append(Text("(hwcheck solve --check runs the reference's own training)", style="dim"))
    elif result.failure is None or result.accuracy is not None:
        parts.append(Text(f"reference run: accuracy {result.accuracy:.3f}, final loss {result.final_loss:.4g}" + ("" if result.reached else " — does NOT reach the target"),
                          style="green" if result.reached else "red"))
    else:
        parts.append(Text(f"reference run failed: {result.failure.message}", style="red"))
    return parts
