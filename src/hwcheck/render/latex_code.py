"""The body of a code problem's LaTeX key: each task's formula and first trial, the
derivation of each gradient (the graph key's body), and the reference training run."""

from __future__ import annotations

from ..code.solve import first_values
from ..numbers import fmt
from .latex import table
from .latex_graph import graph_body
from .tex import tex_text


def code_body(solution) -> list[str]:
    problem = solution.problem
    lines = [rf"Problem \texttt{{{tex_text(problem.id)}}}: students write \texttt{{{tex_text(problem.module)}.py}}; "
             rf"each function is called on {problem.trials} random input sets (seed {problem.seed}) and the fixed cases."]
    for solved in solution.tasks:
        task = solved.task
        lines.append(r"\subsection*{" + tex_text(f"{task.id}: {task.ask} ({fmt(task.points)} points)") + "}")
        rows = [["input", r"\texttt{" + tex_text(n) + "}", tex_text(first_values(v))] for n, v in solved.first.values.items()]
        rows += [["returns", r"\texttt{" + tex_text(r.text) + "}", tex_text(first_values(v))] for r, v in zip(task.returns, solved.first.expected)]
        lines.append(table("lll", ["", "name / formula", "value (first trial)"], rows))
        for derivation in solved.derivations:
            lines.append(r"\subsubsection*{" + tex_text(derivation.problem.title) + "}")
            lines += [line for line in graph_body(derivation) if not line.startswith(r"\subsection*{Answers}")]
    for training in solution.trainings:
        task, recipe, result = training.task, training.task.train, training.result
        lines.append(r"\subsection*{" + tex_text(f"{task.id}: training ({fmt(task.points)} points)") + "}")
        lines += [r"\texttt{" + tex_text(line.text) + r"}\\" for line in (*recipe.forward, *recipe.backward)]
        if result is None:
            summary = "every value keeps the reference's shape: " + ", ".join(f"{n} {list(s)}" for n, s in training.shapes.items() if n != "lr")
        elif result.accuracy is not None:
            summary = f"reference run: accuracy {result.accuracy:.3f}, final loss {result.final_loss:.4g}"
        else:
            summary = f"reference run failed: {result.failure.message}"
        lines.append(tex_text(summary))
    return lines
