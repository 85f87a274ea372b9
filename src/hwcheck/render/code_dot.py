"""A code problem as a Graphviz picture: the training recipe's data flow (values as
ellipses, the student's functions as boxes), or each task's call when there is no
training. Node ids are generated; every label goes through :func:`.dot.html`."""

from __future__ import annotations

from .dot import html


def code_dot(solution) -> str:
    return problem_dot(solution.problem)


def problem_dot(problem) -> str:
    """The picture from the problem alone: it shows names only, never a value (handouts too)."""
    lines = ["digraph code {", f'  graph [rankdir=LR, fontname="Helvetica", label=<<B>{html(problem.title or problem.id)}</B>>, labelloc=t];',
             '  node [fontname="Helvetica", fontsize=11];']
    ids: dict[str, str] = {}

    def value(name: str) -> str:
        if name not in ids:
            ids[name] = f"v{len(ids)}"
            lines.append(f'  {ids[name]} [shape=ellipse, label=<{html(name)}>];')
        return ids[name]

    calls = 0
    trainings = [task for task in problem.tasks if task.train]
    for task in trainings:
        recipe = task.train
        update = [(name, recipe.update, (name, f"d{name}", "lr")) for name in recipe.params]
        for targets, function, args in [(l.targets, l.function, l.args) for l in (*recipe.forward, *recipe.backward)] + [((n,), f, a) for n, f, a in update]:
            call = f"c{calls}"
            calls += 1
            lines.append(f'  {call} [shape=box, style="rounded,filled", fillcolor="#e1ecf8", label=<{html(function)}>];')
            for arg in args:
                lines.append(f"  {value(arg)} -> {call};")
            for target in targets:
                target_id = value(target + "′" if function == recipe.update else target)
                lines.append(f"  {call} -> {target_id};")
    if not trainings:
        for task in problem.tasks:
            call = f"c{calls}"
            calls += 1
            lines.append(f'  {call} [shape=box, style="rounded,filled", fillcolor="#e1ecf8", label=<{html(task.id + ": " + task.function)}>];')
            for arg in task.call:
                lines.append(f"  {value(task.id + '.' + arg)} -> {call};")
    lines.append("}")
    return "\n".join(lines) + "\n"
