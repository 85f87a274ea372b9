"""The body of a graph problem's answer key, in the seed homework's style.

Given values; each step with its value and, beside it, its local derivatives written as
differentials (``d xw_0 = w_0 dx_0``); the backward pass; each asked gradient as the
chain-rule product of its path's factors, with numbers, paths summed; the softmax +
cross-entropy derivation of T4 with the problem's numbers; kinks. The content is that of
:mod:`.graph_markdown`, typeset as a document. Nothing here computes: every number comes
from the :class:`~hwcheck.graph.solve.GraphSolution`.
"""

from __future__ import annotations

import numpy as np

from ..graph import terms as T
from ..graph.solve import SCALAR, local_product
from ..numbers import count_parts
from .latex import answers, table, wline
from .tex import tex_name, tex_number, tex_tensor, tex_tensor_factor, tex_text
from .typeset import TEX, formula_body, tex

MAX_LISTED_CLASSES = 10  # T4 with numbers, one line per class, up to this many classes


# -- small pieces of notation -----------------------------------------------------------


def _n(term: T.Term) -> str:
    """A node in math as written after ∂, parenthesised when it is an expression: (x_0 \\cdot w_0)."""
    return tex(term)


def _d(term: T.Term) -> str:
    """The differential of a node: dx_{0}, d(x_{0} \\cdot w_{0})."""
    return "d" + _n(term)


def _frac(top: T.Term, bottom: T.Term, d: str = "∂") -> str:
    return tex(T.Partial(top, bottom, d))


def _is_scalar(value) -> bool:
    return value is not None and np.ndim(value) == 0


def _heading(d: str, top: T.Term, bottom: T.Term) -> str:
    """dz/dw_0 for section headings, where a tall fraction would look out of place."""
    return f"${d}{_n(top)}/{d}{_n(bottom)}$"


def _formula(local) -> tuple[str, str]:
    """A local derivative's formula as TeX, and its remark in words such as (½ at a tie)."""
    body, words = formula_body(local.formula)
    return tex(body), (r"\ \text{(" + TEX.words(words) + ")}" if words else "")


# -- local derivatives ------------------------------------------------------------------


def _differential(local) -> str:
    """d(node) = formula · d(operand) for a scalar of a scalar, with the number."""
    formula, note = _formula(local)
    operand = _d(local.operand_term)
    if formula in ("1", "-1"):
        written = ("-" if formula == "-1" else "") + operand
    elif _has_sum(local.formula):  # 1 - y^2 times dx needs its parentheses
        written = rf"\bigl({formula}\bigr)\,{operand}"
    else:
        written = rf"{formula}\,{operand}"
    value = tex_number(float(local.value))
    if value != formula:
        written += " = 0" if value == "0" else rf" = {value}\,{operand}"
    return f"{_d(local.node_term)} = {written}{note}"


def _has_sum(term) -> bool:
    """Whether a formula adds or subtracts anywhere (in its own terms or an operand's)."""
    return any(isinstance(t, T.Sum) or (isinstance(t, T.Infix) and t.op in "+-") for t in T.walk(term))


def _tensor_local(local) -> str:
    """∂node/∂operand = formula = value, for tensors (element-wise, gradient or Jacobian)."""
    formula, note = _formula(local)
    head = _frac(local.node_term, local.operand_term)
    if local.kind == "vjp" and not local.vjp:
        rows, columns = int(np.prod(local.node_shape)), int(np.prod(local.operand_shape))
        return rf"{head} = {formula}{note}\ \text{{(the Jacobian, }}{rows} \times {columns}\text{{, is too large to show)}}"
    if local.kind == "vjp" or local.value is None:
        return rf"{head}\colon\ G \mapsto {formula}{note}"
    if local.vjp:  # the formula is a VJP, the value the Jacobian: each said for what it is
        shape = rf"\ ({tex(T.Shape(local.operand_shape))})" if local.operand_shape else ""
        return rf"{head}\colon\ G \mapsto {formula}{note}{shape};\allowbreak\quad \text{{Jacobian}} = {tex_tensor(local.value)}"
    value = tex_tensor(local.value)
    tail = r"\ \text{(element-wise)}" if local.kind == "diagonal" and np.ndim(local.value) > 0 else ""
    shown = f" = {formula}" if formula != value else ""
    return f"{head}{shown} = {value}{tail}{note}"


def _jacobian_note(local) -> str:
    rows, columns = int(np.prod(local.node_shape)), int(np.prod(local.operand_shape))
    return (rf"\qquad The Jacobian's rows are the {rows} elements of ${_n(local.node_term)}$, its columns the {columns} "
            rf"of ${_n(local.operand_term)}$, both in row-major order.")


def _local(local) -> str:
    if local_product(local) == SCALAR:
        return _differential(local)
    return _tensor_local(local)


# -- sections ---------------------------------------------------------------------------


def _given(solution) -> list[str]:
    lines = [r"\subsection*{Given}"]
    for row in solution.rows:
        if row.expression is None:
            lines.append(wline(rf"{tex(row.term)} = {tex_tensor(row.value)} \quad\text{{({row.role})}}"))
    return lines


def _forward(solution) -> list[str]:
    kinked = {kink.node for kink in solution.kinks}
    any_vjp = any(local.vjp for row in solution.rows for local in row.locals)
    lines = [
        r"\subsection*{Forward pass and local derivatives}",
        "Each step with its value; beside it, its local derivatives as differentials "
        r"($d\,a = f\,d\,b$ means $\partial a/\partial b = f$); for tensors the derivative itself.",
    ]
    if any_vjp:
        lines.append(r"$G$ stands for the upstream gradient: $G \mapsto \ldots$ is the vector--Jacobian product.")
    for row in solution.rows:
        if row.expression is None:
            continue
        expression = tex(row.expression)
        if row.role == "sub":  # an operation inside a step: its name is its expression
            left = expression
        else:
            left = f"{tex(row.term)} = {expression}"
        value = tex_tensor(row.value)
        scalar = _is_scalar(row.value)
        # Numbers substituted only when they are all scalars (a tensor's are shown above), and
        # only when they say something: not for a step of constants, nor a copy of a number.
        if scalar and not _has_tensor(row.substituted):
            substituted = tex(row.substituted)
            if substituted not in (expression, tex(T.Num(float(row.value)))):
                left += f" = {substituted}"
        left += f" = {value}"
        if row.name in kinked:
            left += r"\quad\text{(at a kink: see below)}"
        if row.product == SCALAR:  # the step and its derivatives are numbers: differentials inline
            locals_text = r",\allowbreak\quad ".join(_local(local) for local in row.locals)
            lines.append(wline(left + (r"\allowbreak\qquad " + locals_text if locals_text else "")))
        else:
            lines.append(wline(left))
            for local in row.locals:
                lines.append(wline(r"\qquad " + _local(local)))
                if local.vjp and local.kind == "jacobian":  # prose, so that it wraps
                    lines.append(_jacobian_note(local))
    return lines


def _has_tensor(term: T.Term) -> bool:
    return any(isinstance(t, T.Tensor) for t in T.walk(term))


def _backward(solution) -> list[str]:
    out = solution.row(solution.problem.output).differential
    lines = [
        r"\subsection*{Backward pass}",
        f"The gradient of ${_n(out)}$ at every node, from the output down: the sum, over the node's "
        "consumers, of the consumer's gradient times the local derivative.",
    ]
    for row in solution.backward:
        head = _frac(out, solution.row(row.name).differential, "d")
        if not row.contributions:
            lines.append(wline(f"{head} = {tex_tensor(row.gradient)}"))
            continue
        terms = " + ".join(rf"{_frac(out, c.local.node_term, 'd')} \cdot {_frac(c.local.node_term, c.local.operand_term)}" for c in row.contributions)
        text = f"{head} = {terms}"
        if row.product == SCALAR:
            text += " = " + " + ".join(rf"{tex_tensor_factor(c.upstream)} \cdot {tex_tensor_factor(c.local.value)}" for c in row.contributions)
        elif len(row.contributions) > 1:
            text += " = " + " + ".join(tex_tensor_factor(c.value) for c in row.contributions)
        lines.append(wline(f"{text} = {tex_tensor(row.gradient)}"))
    return lines


def _count(paths: int) -> str:
    """"2 paths", "about 1.15 \times 10^{18} paths" in text mode."""
    mantissa, exponent = count_parts(paths)
    count = mantissa if exponent is None else rf"about {mantissa} \ensuremath{{\times}} \ensuremath{{10^{{{exponent}}}}}"
    return count + " path" + ("" if paths == 1 else "s")


def _path_product(path) -> str:
    return r" \cdot ".join(_frac(f.node_term, f.operand_term) for f in path.factors)


def _path_numbers(path) -> str | None:
    if path.product != SCALAR:
        return None
    return r" \cdot ".join(tex_tensor_factor(f.value) for f in path.factors)


def _derivation(d) -> list[str]:
    head = _frac(d.output_term, d.name_term, "d")
    pad = rf"\hphantom{{{head}}}"
    lines = [r"\subsubsection*{" + _heading("d", d.output_term, d.name_term) + f" ({_count(d.path_count)})" + "}"]
    if d.path_count == 0:
        return lines + [f"${_n(d.output_term)}$ does not depend on ${_n(d.name_term)}$: the gradient is 0."]
    if len(d.paths) == 1:
        path = d.paths[0]
        lines.append(wline(f"{head} = {_path_product(path)}"))
        numbers = _path_numbers(path)
        if numbers is not None and len(path.factors) > 1:
            lines.append(wline(f"{pad} = {numbers}"))
        lines.append(wline(f"{pad} = {tex_tensor(d.value)}"))
        return lines
    if d.paths:
        lines.append(f"The chain rule sums the products along the {len(d.paths)} paths from "
                     f"${_n(d.output_term)}$ to ${_n(d.name_term)}$:")
        for i, path in enumerate(d.paths, 1):
            text = rf"\text{{path {i}:}}\quad {_path_product(path)}"
            numbers = _path_numbers(path)
            if numbers is not None and len(path.factors) > 1:
                text += f" = {numbers}"
            lines.append(wline(f"{text} = {tex_tensor(path.value)}"))
        total = " + ".join(tex_tensor_factor(p.value) for p in d.paths)
        lines.append(wline(f"{head} = {total} = {tex_tensor(d.value)}"))
        return lines
    terms = " + ".join(rf"{_frac(d.output_term, c.local.node_term, 'd')} \cdot {_frac(c.local.node_term, c.local.operand_term)}" for c in d.contributions)
    lines.append("Too many paths to list one by one; the backward pass accumulates their sum over the consumers:")
    lines.append(wline(f"{head} = {terms} = {tex_tensor(d.value)}"))
    return lines


def _gradients(solution) -> list[str]:
    lines = [r"\subsection*{Gradients by the chain rule, path by path}"]
    for derivation in solution.gradients:
        lines += _derivation(derivation)
    return lines


def _softmax(s) -> list[str]:
    """T4: dL/dh_i = P(y = i) − y_i, derived, then with the problem's numbers."""
    h, p = tex(s.logits_term), tex(s.probabilities_term)
    # A loss written inline (cross_entropy(softmax(...), y)) is called L, as in the seed.
    inline = not isinstance(s.loss_term, T.Symbol)
    loss = "L" if inline else tex(s.loss_term)
    named = f"$L = {tex(s.loss_term)}$ for the loss, " if inline else ""
    P = lambda j: f"P(y = {j})"  # noqa: E731 - notation, not logic
    sigma = r"\sum_k e^{h_k}"
    lines = [
        r"\subsection*{Softmax and cross-entropy: $\partial " + loss + r"/\partial h_i = P(y = i) - y_i$}",
        f"Write {named}$h = {h}$ for the logits and $P(y = j) = p_j$ for the probabilities $p = {p}$:",
        wline(rf"{P('j')} = \frac{{e^{{h_j}}}}{{{sigma}}}, \qquad {loss} = -\sum_j y_j \log {P('j')}."),
        r"First the derivative of the softmax. For $j = i$ (quotient rule):",
        wline(rf"\frac{{\partial {P('i')}}}{{\partial h_i}} = \frac{{e^{{h_i}} {sigma} - e^{{h_i}} e^{{h_i}}}}{{\bigl({sigma}\bigr)^2}}"
              rf" = {P('i')}\bigl(1 - {P('i')}\bigr)"),
        r"and for $j \ne i$:",
        wline(rf"\frac{{\partial {P('j')}}}{{\partial h_i}} = \frac{{-e^{{h_j}} e^{{h_i}}}}{{\bigl({sigma}\bigr)^2}}"
              rf" = -{P('j')}\,{P('i')},"),
        "so, with Kronecker's delta,",
        wline(rf"\frac{{\partial {P('j')}}}{{\partial h_i}} = {P('j')}\bigl(\delta_{{ij}} - {P('i')}\bigr)."),
        "Then the chain rule through the loss:",
        wline(rf"\frac{{\partial {loss}}}{{\partial h_i}} = -\sum_j \frac{{y_j}}{{{P('j')}}} \frac{{\partial {P('j')}}}{{\partial h_i}}"
              rf" = -\sum_j y_j \bigl(\delta_{{ij}} - {P('i')}\bigr) = -y_i + {P('i')} \sum_j y_j"),
    ]
    sums_to_one = s.sums_to_one  # the shortcut p·Σy − y is p − y exactly when y sums to 1
    if sums_to_one:
        lines.append(wline(rf"\hphantom{{\frac{{\partial {loss}}}{{\partial h_i}}}} = {P('i')} - y_i"
                           r"\qquad\text{since } \sum\nolimits_j y_j = 1."))
    lines.append(f"With this problem's numbers, $p = {tex_tensor(s.p)}$ and $y = {tex_tensor(s.y)}$:")
    p_values, y_values, g_values = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (s.p, s.y, s.shortcut))
    if sums_to_one and np.ndim(s.p) == 1 and p_values.size <= MAX_LISTED_CLASSES:
        for i in range(p_values.size):
            lines.append(wline(rf"\frac{{\partial {loss}}}{{\partial h_{{{i}}}}} = {tex_number(p_values[i], 6)} - {tex_tensor_factor(y_values[i])}"
                               f" = {tex_number(g_values[i], 6)}"))
    else:
        shortcut = "p - y" if sums_to_one else r"p \sum\nolimits_j y_j - y"
        lines.append(wline(rf"\frac{{\partial {loss}}}{{\partial h}} = {shortcut} = {tex_tensor(s.shortcut)}"))
    if s.agree:
        lines.append(r"The same vector through the full softmax Jacobian $J = \operatorname{diag}(p) - p p^\top$; they agree:")
        lines.append(wline(rf"J^\top\Bigl(-\frac{{y}}{{p}}\Bigr) = {tex_tensor(s.through_jacobian)}"))
    else:
        lines.append(r"Through the full softmax Jacobian, $J^\top(-y/p)$, the result is not finite here "
                     "(some probability underflowed to 0); the shortcut is exact.")
    return lines


def _kinks(solution) -> list[str]:
    lines = [r"\subsection*{Kinks}"]
    if not solution.kinks:
        return lines + ["None: every derivative used is defined at these values."]
    lines.append(r"\begin{itemize}")
    for kink in solution.kinks:
        count = f" (at {kink.count[0]} of {kink.count[1]} elements)" if kink.count else ""
        rule = "".join(tex_text(piece) if isinstance(piece, str) else f"${tex(piece)}$" for piece in kink.rule)
        lines.append(rf"\item ${_n(solution.row(kink.node).differential)}$ at ${tex(kink.point)}${count}: {rule}.")
    lines.append(r"\end{itemize}")
    return lines


def _check(findings) -> list[str]:
    rows = []
    for f in findings:
        note = ("ok" if f.ok else "MISMATCH") + (f"; {f.note}" if f.note else "")
        rows.append([f"${tex_name(f.name)}$", f"${tex_tensor(f.backprop, 8, scalar_digits=8)}$", f"${tex_tensor(f.numeric, 8, scalar_digits=8)}$",
                     f"${tex_number(f.relative_error, 2)}$", tex_text(note)])
    return [r"\subsection*{Finite-difference check (central, float64)}",
            table("lllll", ["name", "backprop", "finite difference", "relative error", "note"], rows)]


def graph_body(solution, check=None) -> list[str]:
    problem = solution.problem
    variant = rf" (variant \texttt{{{problem.variant}}})" if getattr(problem, "variant", None) else ""  # a student's own numbers (§11)
    lines = [rf"Problem \texttt{{{tex_text(problem.id)}}}{variant}: a computation graph; every gradient is of ${_n(solution.row(problem.output).differential)}$."]
    lines += _given(solution)
    lines += _forward(solution)
    lines += _backward(solution)
    lines += _gradients(solution)
    for shortcut in solution.softmax:
        lines += _softmax(shortcut)
    lines += _kinks(solution)
    lines += answers(solution, lambda value: f"${tex_tensor(value)}$")
    if check is not None:
        lines += _check(check)
    return lines
