"""A handout (:mod:`hwcheck.handout`) as GitHub-flavoured Markdown: the questions, no answer.

Names, steps and values are code spans, as a student types them into a sheet; given
values are written exactly (the shortest text that reads back as the file's number). The
picture of the graph, when one was drawn, is referenced by its file name beside the
handout. Nothing here computes.
"""

from __future__ import annotations

import numpy as np

from ..numbers import exact, fmt
from .architecture_markdown import escape


def code(text: str) -> str:
    """A code span for a table cell: backticks cannot end it, pipes cannot split the row."""
    return "`" + str(text).replace("`", "'").replace("|", "\\|") + "`"


def exact_value(value) -> str:
    """A given value exactly: 0.3, [1, -1], [[0.1, 0.2], [0.3, -0.4]]."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return exact(float(array))
    return "[" + ", ".join(exact_value(item) for item in array) + "]"


def points(value: float) -> str:
    return f"{fmt(value)} point{'s' if value != 1 else ''}"


def returned(r) -> str:
    """`x @ w + b`, or the gradient of `sum(dout * relu(x))` with respect to `x`."""
    return f"the gradient of {code(r.expression)} with respect to {code(r.wrt)}" if r.wrt else code(r.expression)


def _questions(handout) -> list[str]:
    lines = ["## Questions", "", "| question | asks | points |", "| --- | --- | --- |"]
    for q in handout.questions:
        lines.append(f"| {escape(q.id)} | {code(q.ask)}: {escape(q.words)} | {fmt(q.points)} |")
    total = sum(q.points for q in handout.questions)
    return lines + ["", f"In all: {points(total)}.", ""]


def _graph(h, picture: str | None) -> list[str]:
    lines = [f"Problem `{h.id}`: a computation graph; every gradient asked is of {code(h.output)}.", ""]
    lines += ["## Given", "", "| name | kind | value |", "| --- | --- | --- |"]
    lines += [f"| {code(g.name)} | {g.role} | {code(exact_value(g.value))} |" for g in h.given]
    lines += ["", "## Steps", "", f"Each step in order, as defined; the output is {code(h.output)}.", "",
              "| step | definition |", "| --- | --- |"]
    lines += [f"| {code(s.name)} | {code(s.expression)} |" for s in h.steps]
    lines.append("")
    if picture:
        lines += ["## The graph", "", f"![The computation graph: names and operations]({picture})", ""]
    return lines


def _architecture(h, picture: str | None) -> list[str]:
    lines = [f"Problem `{h.id}`: a network's layers. Input shape {code(list(h.input))} (without the batch dimension); "
             f"conventions of {escape(h.convention)}.", ""]
    lines += ["## Layers", "", "| layer | type | settings | in |", "| --- | --- | --- | --- |"]
    for layer in h.layers:
        settings = ", ".join(f"{escape(k)} {v}" for k, v in layer.settings)  # numbers, true/false, [a, b]: plain
        lines.append(f"| {code(layer.name) if layer.name else ''} | {escape(layer.type)} | {settings} | {escape(layer.within or '')} |")
    return lines + [""]


def _code(h, picture: str | None) -> list[str]:
    lines = [f"Problem `{h.id}`: write `{escape(h.module)}.py` with the functions below, using numpy; batches are rows. "
             "Each function is called on random inputs of the shapes given, and on the fixed cases listed.", ""]
    for f in h.functions:
        lines += [f"## {escape(f.id)}: `{f.function}({', '.join(a.name for a in f.arguments)})` ({points(f.points)})", ""]
        for a in f.arguments:
            lines.append(f"- {code(a.name)}: {a.shape}" + (" (you may change it in place)" if a.mutable else ""))
        if f.tuple_return:
            lines.append(f"- returns a tuple of {len(f.returns)}:")
            lines += [f"  - {returned(r)}: {r.shape}" for r in f.returns]
        else:
            lines.append(f"- returns {returned(f.returns[0])}: {f.returns[0].shape}")
        for case in f.cases:
            lines.append("- also called with " + ", ".join(f"{code(n)} = {code(exact_value(v))}" for n, v in case.values))
        lines.append("")
    for t in h.trainings:
        lines += [f"## {escape(t.id)}: training ({points(t.points)})", "",
                  f"hwcheck trains a network with your functions on {escape(t.data)}: {t.steps} steps of "
                  f"`{t.update}(param, dparam, lr)` with lr = {fmt(t.lr)}, each step", "", "```", *t.lines, "```", "",
                  "It passes when it reaches " + ", ".join(f"{escape(k)} {fmt(v)}" for k, v in t.reach) + ".", ""]
    return lines + [f"In all: {points(h.points)}.", ""]


def render_handout_markdown(handout, picture: str | None = None) -> str:
    """The handout as Markdown; ``picture`` is the file name of the graph's drawing, if one was made."""
    body = {"graph": _graph, "architecture": _architecture, "code": _code}[handout.kind](handout, picture)
    lines = [f"# {escape(' '.join(handout.title.split()))}", "", *body]
    if handout.kind != "code":
        lines += _questions(handout)
    return "\n".join(lines).rstrip() + "\n"


def render_assignment_handout_markdown(title: str, handouts: list, pictures: list) -> str:
    """An assignment's handouts as one page: each problem's headings one level down."""
    parts = [f"# {escape(' '.join(title.split()))}\n"]
    for handout, picture in zip(handouts, pictures):
        text = render_handout_markdown(handout, picture)
        # every line starting with # is a heading written above (cells start with |)
        parts.append("\n".join("#" + line if line.startswith("#") else line for line in text.splitlines()) + "\n")
    return "\n".join(parts)
