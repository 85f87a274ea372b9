"""A solution as a Graphviz DOT picture (``hwcheck draw``, ``--format dot``).

Graph problems: one node per leaf and per operation, left to right as the data flows
(``rankdir=LR``), showing name, operation, value and gradient; inputs, parameters, steps
and the operations inside a step each styled apart; every edge labelled with its local
derivative. Architectures: one box per layer, top to bottom, with type, output shape and
parameter count.

Every label is an HTML-like label; everything a user wrote is escaped for HTML (``& < >
"``) and its backslashes doubled, because Graphviz still expands escString sequences such
as ``\\N`` (the node's id) inside HTML-like labels, even when written ``&#92;N``. Node ids
are generated (``n0``, ``l1``), never user text.
Long tensors and long texts are cut short *before* they are formatted, so the picture
is linear in the size of the graph. Nothing here computes.
"""

from __future__ import annotations

import numpy as np

from ..numbers import fmt
from ..architecture.model import shape_text
from ..graph.terms import Tally
from .formulas import local_formula, partial, unshown_note
from .typeset import unicode

MAX_ITEMS = 4  # tensor entries shown in a label before eliding
MAX_TEXT = 48  # characters of an expression or formula shown in a label
DIGITS = 6
TENSOR_DIGITS = 4  # a tensor's entries in a picture: enough to recognise, short enough to fit
TERMS_PER_LINE = 6
GRADIENT_COLOR = "#a33a2a"  # gradients in red, values in black  # of the total parameter formula under an architecture

_FONT = 'fontname="Helvetica"'
# (shape, style, fill, border) per role
_STYLES = {
    "input": ("ellipse", "filled", "#e3f2e1", "#3d7a3a"),
    "param": ("box", "filled", "#fdf0d5", "#a8741a"),
    "step": ("box", "rounded,filled", "#e1ecf8", "#2f5d8a"),
    "sub": ("box", "rounded,filled,dashed", "#f4f7fb", "#6b86a3"),
}
_LAYER_STYLES = {True: ("#e1ecf8", "#2f5d8a"), False: ("#f0f0f0", "#7a7a7a")}


def html(text: str) -> str:
    """User text for an HTML-like label: \\ doubled, & < > " escaped, line breaks flattened."""
    text = " ".join(str(text).split()).replace("\\", "\\\\")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def short_value(value) -> str:
    """0.3; [0.5, -0.4]; [0.1, 0.2, 0.3, 0.4, … (12)]; 3×2 [[0.2, -0.5], [0.7, 0.1], …];
    8×5 [[0.13, -0.13, 0.64, 0.1, …], …].

    A tensor is its shape and at most MAX_ITEMS entries (as many whole leading rows as fit,
    at least a part of one), with TENSOR_DIGITS significant digits: a batch of 32 rows drawn
    in full made a picture thousands of points wide. The key holds every number."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return fmt(float(array), DIGITS)
    shape = "×".join(map(str, array.shape))
    if array.ndim == 1:
        items = ", ".join(fmt(x, TENSOR_DIGITS) for x in array[:MAX_ITEMS])
        more = f", … ({shape})" if array.shape[0] > MAX_ITEMS else ""
        return f"[{items}{more}]"
    matrix = array.reshape(array.shape[0], -1)
    columns = min(matrix.shape[1], MAX_ITEMS)
    rows = []
    for row in matrix[: max(1, MAX_ITEMS // columns)]:
        tail = ", …" if row.shape[0] > columns else ""
        rows.append("[" + ", ".join(fmt(x, TENSOR_DIGITS) for x in row[:columns]) + tail + "]")
    more = ", …" if matrix.shape[0] > len(rows) else ""
    return f"{shape} [{', '.join(rows)}{more}]"


def _label(lines: list[str]) -> str:
    """An HTML-like label; the first line (already escaped) is bold."""
    head, *rest = lines
    return "<<B>" + head + "</B>" + "".join("<BR/>" + line for line in rest) + ">"


def _header(kind: str, title: str, rankdir: str, ranksep: float) -> list[str]:
    return [
        f"digraph {kind} {{",
        f'  graph [rankdir={rankdir}, {_FONT}, fontsize=14, labelloc=t, label=<<B>{html(title)}</B>>, nodesep=0.35, ranksep={ranksep}];',
        f"  node [{_FONT}, fontsize=11, penwidth=1.2];",
        f'  edge [{_FONT}, fontsize=9, color="#555555", fontcolor="#333333", arrowsize=0.7];',
    ]


# -- graph problems ---------------------------------------------------------------------


def _local_text(local) -> str:
    """∂xw0/∂x0 = w0 = 0.3 (escaped); a tensor's value on a second line to keep edges narrow."""
    head = partial(_clip(local.node, 24), _clip(local.operand, 24))
    if local.kind == "vjp" and not local.vjp:
        return html(f"{head} = {_clip(unicode(local.formula))}") + f"<BR/>({html(unshown_note(local))})"
    if local.kind == "vjp" or local.value is None:
        return html(f"{head}: G ↦ {_clip(unicode(local.formula))}")
    if local.vjp:  # a VJP formula is not the Jacobian: say which is which
        return f"{html(head + ': ' + _clip(local_formula(local)))}<BR/>Jacobian = {html(short_value(local.value))}"
    formula = _clip(unicode(local.formula))
    value = short_value(local.value)
    first = html(f"{head} = {formula}" if formula != value else head)
    if np.ndim(local.value) == 0:
        return f"{first} = {html(value)}"
    tail = " (element-wise)" if local.kind == "diagonal" else ""
    return f"{first}<BR/>= {html(value + tail)}"


def _node_lines(solution, node, row) -> list[str]:
    out = solution.problem.output
    grad = solution.grads[node.index]
    # A tensor's gradient on a line of its own: the node is as wide as its longest line.
    head = html(partial(out, _clip(node.name, 24) if node.role == "sub" else node.name, "d"))
    gradient = head + (" =<BR/>" if np.ndim(grad) else " = ") + html(short_value(grad))
    value = f"= {short_value(row.value)}"
    if node.is_leaf:
        lines = [node.name, node.role, value]
    elif node.role == "sub":
        lines = [_clip(node.name), f"{node.op.name}, in step {node.step}", value]
    else:
        lines = [node.name, _clip(row.expression or node.op.name), value]
    return [html(line) for line in lines] + [f'<FONT COLOR="{GRADIENT_COLOR}">{gradient}</FONT>']


def graph_dot(solution) -> str:
    problem = solution.problem
    graph = problem.graph
    kinked = {kink.node for kink in solution.kinks}
    lines = _header("computation", problem.title or problem.id, "LR", 0.7)
    for node, row in zip(graph.nodes, solution.rows):
        shape, style, fill, color = _STYLES[node.role]
        extra = ", peripheries=2" if node.name == problem.output else ""
        if node.name in kinked:
            extra += f', xlabel=<<FONT COLOR="{GRADIENT_COLOR}">kink</FONT>>'
        lines.append(f'  n{node.index} [shape={shape}, style="{style}", fillcolor="{fill}", color="{color}"{extra}, '
                     f"label={_label(_node_lines(solution, node, row))}];")
    for (consumer, k), local in solution.local_of.items():  # the solver's edges, in order
        lines.append(f"  n{graph.nodes[consumer].operands[k]} -> n{consumer} [label=<{_local_text(local)}>];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- architectures ----------------------------------------------------------------------


def _layer_node(row) -> str:
    """A layer's box; a block's is the addition its branches meet at."""
    fill, color = _LAYER_STYLES[row.params > 0 and not row.branches]
    head = f"{row.name}: {row.type}" if row.name else f"layer {row.number}: {row.type}"
    body = [html(head), html(f"output {shape_text(row.output_shape)}"), html(f"params {unicode(row.params_formula)}")]
    if row.branches:
        body[1:1] = [html(" + ".join(branch.name for branch in row.branches))]
    if row.non_trainable:
        body.append(html(f"non-trainable {unicode(row.non_trainable_formula)}"))
    if row.buffers:
        body.append(html(f"buffers {unicode(row.buffers_formula)}"))
    shape = "ellipse" if row.branches else "box"
    return f'  l{row.index} [shape={shape}, style="rounded,filled", fillcolor="{fill}", color="{color}", label={_label(body)}];'


def _edges(rows, previous: int, lines: list[str], into: str = "") -> int:
    """Edges down a chain of layers from node ``l{previous}``; a block's branches fork there and
    meet at the block's node (an empty shortcut is one edge labelled identity)."""
    for row in rows:
        for branch in row.branches:
            if branch.identity:
                lines.append(f'  l{previous} -> l{row.index} [label=<{html(branch.name)}: identity>, style=dashed];')
            else:
                last = _edges(branch.rows, previous, lines, f" [label=<{html(branch.name)}>]")
                lines.append(f"  l{last} -> l{row.index};")
        if not row.branches:
            lines.append(f"  l{previous} -> l{row.index}{into};")
        previous, into = row.index, ""
    return previous


def architecture_dot(solution) -> str:
    problem = solution.problem
    network = solution.network
    lines = _header("network", problem.title or problem.id, "TB", 0.3)
    fill, color = _LAYER_STYLES[False]
    lines.append(f'  l0 [shape=box, style="rounded,filled", fillcolor="{fill}", color="{color}", '
                 f"label={_label([html('input'), html(shape_text(network.input_shape))])}];")
    for row in network.walk():
        lines.append(_layer_node(row))
    previous = _edges(network.rows, 0, lines)
    # a long sum, a few terms to a line, the total after the last
    terms = [unicode(term) for term in network.formula.terms]
    terms[-1] += f" = {unicode(Tally(network.trainable))}"
    written = "<BR/>+ ".join(html(" + ".join(terms[i : i + TERMS_PER_LINE])) for i in range(0, len(terms), TERMS_PER_LINE))
    lines.append(f"  total [shape=plaintext, label=<<B>learnable parameters</B><BR/>{written}>];")
    lines.append(f"  l{previous} -> total [style=invis];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- blank pictures: names and operations only (handouts) -------------------------------


def graph_blank_dot(problem) -> str:
    """The computation graph with each node's name and operation, and unlabelled edges:
    no value, no gradient, no local derivative (``hwcheck draw --blank``, handouts)."""
    graph = problem.graph
    lines = _header("computation", problem.title or problem.id, "LR", 0.5)
    for node in graph.nodes:
        shape, style, fill, color = _STYLES[node.role]
        extra = ", peripheries=2" if node.name == problem.output else ""
        if node.is_leaf:
            text = [node.name, node.role]
        elif node.role == "sub":
            text = [_clip(node.name), f"{node.op.name}, in step {node.step}"]
        else:
            text = [node.name, _clip(" ".join(problem.steps[node.name].split()))]
        lines.append(f'  n{node.index} [shape={shape}, style="{style}", fillcolor="{fill}", color="{color}"{extra}, '
                     f"label={_label([html(line) for line in text])}];")
    for node in graph.nodes:
        for operand in node.operands:
            if isinstance(operand, int):  # a constant operand is part of the expression, not a node
                lines.append(f"  n{operand} -> n{node.index};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _blank_layer(spec, settings: str) -> str:
    fill, color = _LAYER_STYLES[False]
    head = f"{spec.name}: {spec.type}" if spec.name else spec.type
    body = [html(head)] + ([html(settings)] if settings else [])
    return f'  l{spec.index} [shape=box, style="rounded,filled", fillcolor="{fill}", color="{color}", label={_label(body)}];'


def _blank_edges(specs, previous: int, lines: list[str], settings, into: str = "") -> int:
    """As :func:`_edges`, over the layers as written: a block's branches fork and meet at a +."""
    from ..handout import branches  # deliberate: handout.py loads every kind's modules; only blank architecture pictures need it

    for spec in specs:
        forks = branches(spec)
        if forks:
            lines.append(f'  l{spec.index} [shape=ellipse, label=<<B>{html(spec.label)}</B><BR/>+>];')
            for name, inner in forks:
                if not inner:
                    lines.append(f'  l{previous} -> l{spec.index} [label=<{html(name)}: identity>, style=dashed];')
                    continue
                last = _blank_edges(inner, previous, lines, settings, f" [label=<{html(name)}>]")
                lines.append(f"  l{last} -> l{spec.index};")
        else:
            lines.append(_blank_layer(spec, settings(spec)))
            lines.append(f"  l{previous} -> l{spec.index}{into};")
        previous, into = spec.index, ""
    return previous


def architecture_blank_dot(problem) -> str:
    """The layers with their names, types and written settings: no shape, no count."""
    from ..handout import layer_settings  # deliberate: handout.py loads every kind's modules; only blank architecture pictures need it

    lines = _header("network", problem.title or problem.id, "TB", 0.3)
    fill, color = _LAYER_STYLES[False]
    lines.append(f'  l0 [shape=box, style="rounded,filled", fillcolor="{fill}", color="{color}", '
                 f"label={_label([html('input'), html(shape_text(problem.input))])}];")
    _blank_edges(problem.layers, 0, lines, lambda spec: ", ".join(f"{k} {v}" for k, v in layer_settings(spec)))
    lines.append("}")
    return "\n".join(lines) + "\n"

