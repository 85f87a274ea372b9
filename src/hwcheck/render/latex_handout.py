"""A handout (:mod:`hwcheck.handout`) as a standalone LaTeX document: the questions, no answer.

The same shell as the answer keys (:func:`.latex.document`: texlive-latex-base only, pure
ASCII), so a handout compiles wherever its key does. Given values are written exactly;
the graph's picture, when one was drawn, is included by file name (a PDF beside the
.tex). Nothing here computes.
"""

from __future__ import annotations

import numpy as np

from ..numbers import exact, fmt
from .latex import document, table, wline
from .tex import tex_name, tex_text
from .typeset import tex


def tex_exact(value) -> str:
    """A given value exactly, in math: 0.3, 2.5 \\times 10^{-7}, a bmatrix of every entry."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        text = exact(float(array))
        mantissa, e, exponent = text.partition("e")
        return rf"{mantissa} \times 10^{{{exponent}}}" if e else text
    matrix = array.reshape(1, -1) if array.ndim == 1 else array.reshape(array.shape[0], -1)
    return r"\begin{bmatrix}" + r" \\ ".join(" & ".join(tex_exact(x) for x in row) for row in matrix) + r"\end{bmatrix}"


MAX_TYPESET_ENTRIES = 1000  # a given tensor beyond this is not set as a matrix (TeX's memory; unreadable anyway)


def _given(g) -> list[str]:
    """One given value: a scalar as a line of working; a tensor as a matrix shrunk to the
    page width when wider, with amsmath's limit of 10 columns raised to its width."""
    role = rf"\quad\text{{({g.role})}}"
    array = np.asarray(g.value, dtype=float)
    if array.ndim == 0:
        return [wline(rf"{tex_name(g.name)} = {tex_exact(array)}{role}")]
    if array.size > MAX_TYPESET_ENTRIES:
        shape = r" \times ".join(map(str, array.shape))
        return [wline(rf"{tex_name(g.name)}\colon\ {shape}{role}") + " too many entries to typeset; the Markdown handout lists them."]
    columns = array.shape[-1] if array.ndim == 1 else int(np.prod(array.shape[1:]))
    lines = [rf"\setcounter{{MaxMatrixCols}}{{{columns}}}"] if columns > 10 else []
    return lines + [r"\par\noindent\fitwidth{$\displaystyle " + rf"{tex_name(g.name)} = {tex_exact(array)}{role}$}}\par"]


def _tt(text: str) -> str:
    return r"\texttt{" + tex_text(text) + "}"


def _points(value: float) -> str:
    return f"{fmt(value)} point{'s' if value != 1 else ''}"


def _returned(r) -> str:
    return f"the gradient of {_tt(r.expression)} with respect to {_tt(r.wrt)}" if r.wrt else _tt(r.expression)


def _questions(handout) -> list[str]:
    rows = [[tex_text(q.id), _tt(q.ask), tex_text(q.words), fmt(q.points)] for q in handout.questions]
    total = sum(q.points for q in handout.questions)
    return [r"\subsection*{Questions}", table("lllr", ["question", "asks", "that is", "points"], rows),
            f"In all: {_points(total)}."]


def _graph(h, picture: str | None) -> list[str]:
    lines = [rf"Problem {_tt(h.id)}: a computation graph; every gradient asked is of ${tex_name(h.output)}$.",
             r"\subsection*{Given}"]
    for g in h.given:
        lines += _given(g)
    lines += [r"\subsection*{Steps}", f"Each step in order, as defined; the output is ${tex_name(h.output)}$."]
    lines += [wline(f"{tex_name(s.name)} = {tex(s.term)}") for s in h.steps]
    if picture:
        lines += [r"\subsection*{The graph}", r"\begin{center}",
                  r"\includegraphics[width=\linewidth,height=.8\textheight,keepaspectratio]{" + picture + "}", r"\end{center}"]
    return lines


def _architecture(h, picture: str | None) -> list[str]:
    shape = "[" + ", ".join(map(str, h.input)) + "]"
    lines = [rf"Problem {_tt(h.id)}: a network's layers. Input shape ${shape}$ (without the batch dimension); "
             f"conventions of {tex_text(h.convention)}."]
    rows = [[_tt(layer.name) if layer.name else "", tex_text(layer.type),
             tex_text(", ".join(f"{k} {v}" for k, v in layer.settings)), tex_text(layer.within or "")] for layer in h.layers]
    return lines + [r"\subsection*{Layers}", table("llll", ["layer", "type", "settings", "in"], rows)]


def _code(h, picture: str | None) -> list[str]:
    lines = [rf"Problem {_tt(h.id)}: write {_tt(h.module + '.py')} with the functions below, using numpy; batches are rows. "
             "Each function is called on random inputs of the shapes given, and on the fixed cases listed."]
    for f in h.functions:
        signature = f"{f.function}({', '.join(a.name for a in f.arguments)})"
        lines += [r"\subsection*{" + tex_text(f.id) + ": " + _tt(signature) + f" ({_points(f.points)})" + "}", r"\begin{itemize}"]
        for a in f.arguments:
            lines.append(rf"\item {_tt(a.name)}: {tex_text(a.shape)}" + (" (you may change it in place)" if a.mutable else ""))
        if f.tuple_return:
            lines.append(rf"\item returns a tuple of {len(f.returns)}: "
                         + "; ".join(f"{_returned(r)}, {tex_text(r.shape)}" for r in f.returns))
        else:
            lines.append(rf"\item returns {_returned(f.returns[0])}: {tex_text(f.returns[0].shape)}")
        for case in f.cases:
            lines.append(r"\item also called with " + ", ".join(f"{_tt(n)} $= {tex_exact(v)}$" for n, v in case.values))
        lines.append(r"\end{itemize}")
    for t in h.trainings:
        lines += [r"\subsection*{" + tex_text(f"{t.id}: training ({_points(t.points)})") + "}",
                  tex_text(f"hwcheck trains a network with your functions on {t.data}: {t.steps} steps of ")
                  + _tt(f"{t.update}(param, dparam, lr)") + f" with lr = {tex_text(fmt(t.lr))}, each step", ""]
        lines += [_tt(line) + r"\\" for line in t.lines]
        lines += ["", "It passes when it reaches " + tex_text(", ".join(f"{k} {fmt(v)}" for k, v in t.reach)) + "."]
    return lines + [f"In all: {_points(h.points)}."]


def handout_body(handout, picture: str | None = None) -> list[str]:
    """The handout's lines of LaTeX, without the document around them."""
    body = {"graph": _graph, "architecture": _architecture, "code": _code}[handout.kind](handout, picture)
    if handout.kind != "code":
        body += _questions(handout)
    return body


def render_handout_latex(handout, picture: str | None = None) -> str:
    """The handout as a LaTeX document; ``picture`` is the graph's PDF file name, if one was drawn."""
    return document(handout.title, handout_body(handout, picture))


def render_assignment_handout_latex(title: str, handouts: list, pictures: list) -> str:
    """An assignment's handouts as one document: a section per problem."""
    body: list[str] = []
    for handout, picture in zip(handouts, pictures):
        body += [r"\clearpage" if body else "", r"\section*{" + tex_text(handout.title) + "}", *handout_body(handout, picture)]
    return document(title, body)
