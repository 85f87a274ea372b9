"""The starter module of a code problem (``hwcheck template``): each function's signature,
a docstring with the shapes hwcheck calls it with and what it returns, and
``raise NotImplementedError``. Text from the problem file is put in docstrings and
comments only, made safe for them (no quotes that could close a docstring)."""

from __future__ import annotations

import numpy as np

from ..graph import expr as E
from ..numbers import fmt
from .model import CodeProblem, Task


def _safe(text: str) -> str:
    return " ".join(str(text).replace("\\", "/").replace('"""', "'''").split())


def shape_words(value) -> str:
    shape = np.shape(value)
    return "a number" if not shape else "an array of shape (" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def starter_text(problem: CodeProblem, problem_path: str | None = None) -> str:
    lines = ['"""' + _safe(f"{problem.title or problem.id} ({problem.id}): starter code.")]
    lines.append("")
    lines.append("Write each function with numpy; batches are rows. Check your work with")
    lines.append(f"    hwcheck grade {_safe(problem_path or problem.file)} {problem.module}.py")
    lines += ['"""', "import numpy as np", ""]
    written: set[str] = set()
    for task in problem.tasks:
        if task.function and task.function not in written:
            written.add(task.function)
            lines += ["", *_function(problem, task), ""]
    for task in problem.tasks:
        if task.train:
            lines += ["", *_training_comment(task)]
    return "\n".join(lines).rstrip() + "\n"


def _function(problem: CodeProblem, task: Task) -> list[str]:
    first = problem.reference.tasks[task.id].sets[0]
    points = f"{fmt(task.points)} point{'s' if task.points != 1 else ''}"
    lines = [f"def {task.function}({', '.join(task.call)}):", f'    """{_safe(f"Task {task.id} ({points}).")}', ""]
    for name in task.call:
        lines.append(f"    {name}: {shape_words(first.values[name])}" + (" (you may change it in place)" if name in task.mutates else ""))
    if task.tuple_return:
        lines.append(f"    Returns a tuple of {len(task.returns)}:")
        for returned, value in zip(task.returns, first.expected):
            lines.append(f"        {_safe(_meaning(returned))}: {shape_words(value)}")
    else:
        lines.append(f"    Returns {_safe(_meaning(task.returns[0]))}: {shape_words(first.expected[0])}")
    if not task.mutates:
        lines.append("    Do not change the inputs in place.")
    lines += ['    """', "    raise NotImplementedError"]
    return lines


def _meaning(returned) -> str:
    if returned.wrt:
        return f"the gradient of {E.to_text(returned.tree)} with respect to {returned.wrt}"
    return returned.text


def _training_comment(task: Task) -> list[str]:
    recipe = task.train
    lines = [f"# Task {_safe(task.id)}: hwcheck trains a network with your functions, {recipe.steps} steps of",
             f"# {recipe.update}(param, dparam, lr) with lr = {fmt(recipe.lr)}, on CS231n's spiral data:"]
    lines += [f"#     {line.text}" for line in (*recipe.forward, *recipe.backward)]
    lines.append("# and passes when it reaches " + ", ".join(f"{k} {fmt(v)}" for k, v in recipe.reach.items()) + ".")
    return lines
