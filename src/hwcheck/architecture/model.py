"""The plain data of an architecture problem and of its worked solution.

A problem is a list of :class:`LayerSpec` (what the teacher wrote, checked and with
defaults filled in). The calculator turns it into a :class:`Network`: one
:class:`LayerRow` per layer holding the numbers *and* their working as typed terms
(:mod:`hwcheck.graph.terms`), so renderers only typeset (:mod:`hwcheck.render.typeset`)
and never compute or parse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any, Mapping

from ..common import Problem
from ..errors import HwcheckError, Pos
from ..graph import terms as T

CONVENTIONS = ("pytorch", "keras")


@dataclass(frozen=True)
class LayerSpec:
    """One layer as written in the problem file, keys checked and defaults filled in."""

    index: int  # 1-based, unique: the position in reading order (for a chain, the position in `layers`)
    type: str
    name: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)  # a block's branches are tuples of LayerSpec
    pos: Pos | None = None
    key_pos: Mapping[str, Pos] = field(default_factory=dict, compare=False, repr=False)
    number: str = ""  # where it sits: "3"; inside block 3, "3.1" (main branch) or "3.s1" (shortcut)

    @property
    def label(self) -> str:
        """The name, or the position (``3``, ``3.1``, ``3.s1``) for an unnamed layer."""
        return self.name if self.name is not None else (self.number or str(self.index))

    @property
    def title(self) -> str:
        """How messages name the layer: ``layer A (conv2d)``, ``layer 3 (relu)``."""
        return f"layer {self.label} ({self.type})"

    def where(self, key: str) -> Pos | None:
        """Position of a key's value, or of the layer when the key was not written."""
        return self.key_pos.get(key, self.pos)


@dataclass(frozen=True)
class ShapeStep:
    """One line of shape working: ``H, W: ⌊(32 + 2·2 − 1·(5 − 1) − 1)/1⌋ + 1 = 32``.

    ``working`` is maths (a term; Markdown puts it in ``$…$``); ``label`` and ``note`` are words.
    """

    label: str
    working: T.Term
    note: str = ""


@dataclass(frozen=True)
class Term:
    """One product in a parameter count, e.g. the weights 16·3·5·5 or the biases 16.

    ``role`` is ``weight``, ``bias``, ``scale`` (γ), ``shift`` (β) or ``running``
    (batch-norm statistics).
    """

    factors: tuple[int, ...]
    role: str

    @property
    def value(self) -> int:
        return prod(self.factors)

    def product(self) -> T.Term:
        """``16·3·5·5`` in a layer's working; one factor is the number alone."""
        return T.Prod(tuple(T.Int(f) for f in self.factors)) if len(self.factors) > 1 else T.Int(self.factors[0])

    def times(self) -> T.Term:
        """``16×3×5×5`` in the written-out total."""
        return T.Times(tuple(T.Int(f) for f in self.factors)) if len(self.factors) > 1 else T.Int(self.factors[0])


def flatten_layers(layers) -> list[LayerSpec]:
    """Every layer in reading order (LayerSpec.index): a block, then the layers of its branches."""
    flat: list[LayerSpec] = []
    stack = list(layers)
    while stack:  # iterative: nesting depth never reaches the recursion limit
        layer = stack.pop()
        flat.append(layer)
        stack.extend(inner for value in layer.options.values() if isinstance(value, tuple)
                     for inner in value if isinstance(inner, LayerSpec))
    return sorted(flat, key=lambda layer: layer.index)


@dataclass(frozen=True)
class Branch:
    """One branch of a block (``main`` or ``shortcut``): its rows and what comes out of it."""

    name: str
    rows: tuple["LayerRow", ...]
    output_shape: tuple[int, ...]

    @property
    def identity(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class LayerRow:
    """A solved layer: shapes, parameters and mult-adds, each with its working.

    A block (``residual``) holds its ``branches``; its parameters, mult-adds and
    statistics are those of the layers inside it, and it has no terms of its own.
    """

    index: int
    name: str | None
    type: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    steps: tuple[ShapeStep, ...]
    terms: tuple[Term, ...]  # learnable (trainable) parameters
    params: int
    params_formula: T.Term  # 16·3·5·5 + 16 = 1216
    non_trainable: int  # Keras: batch-norm moving statistics
    non_trainable_formula: T.Term  # Noted: 64 + 64 = 128 (moving mean, variance)
    buffers: int  # PyTorch: batch-norm running statistics (not parameters)
    buffers_formula: T.Term  # Noted: 64 + 64 = 128 (running mean, variance)
    mult_adds: int
    mult_adds_formula: T.Term  # 1216·32·32 = 1,245,184
    running_total: int
    notes: tuple[str, ...] = ()
    number: str = ""  # "3", "3.1", "3.s1": see LayerSpec.number
    branches: tuple[Branch, ...] = ()
    block: str | None = None  # the label of the enclosing block, if any
    branch: str | None = None  # which of its branches: "main" or "shortcut"

    @property
    def label(self) -> str:
        return self.name if self.name is not None else (self.number or str(self.index))

    def walk(self):
        """This row after the rows inside it, in the order they are worked out."""
        for branch in self.branches:
            for row in branch.rows:
                yield from row.walk()
        yield self

    @property
    def shapes(self) -> T.Term:
        """``[3, 32, 32] → [16, 32, 32]``"""
        return T.Chain((T.ShapeList(self.input_shape), T.ShapeList(self.output_shape)), ("→",))


@dataclass(frozen=True)
class Network:
    """Everything the calculator found: numbers, and the terms that show how they come out."""

    convention: str
    input_shape: tuple[int, ...]
    rows: tuple[LayerRow, ...]
    trainable: int
    non_trainable: int
    total: int  # trainable + non-trainable (PyTorch: parameters only, buffers apart)
    buffers: int
    mult_adds: int
    formula: T.Term  # the Sum 30×1024 + 1024 + 1024×512 + 512 + 512×1 + 1
    formula_total: T.Term  # the formula = 557,057
    param_bytes: int
    memory: T.Term  # the Phrase 557,057 × 4 B = 2,228,228 B ≈ 2.23 MB
    convention_note: str
    layout_text: str  # words: "no batch axis, channels first" (PyTorch) or "..., channels last" (Keras)
    counts: T.Term  # the Phrase trainable 557,057 · non-trainable 0 · total 557,057

    def walk(self):
        """Every row, those inside a block before the block's own (post-order)."""
        for row in self.rows:
            yield from row.walk()

    def row(self, name: str) -> LayerRow:
        for row in self.walk():
            if row.name == name:
                return row
        raise KeyError(name)


@dataclass(frozen=True, eq=False)
class ArchitectureProblem(Problem):
    """A `kind: architecture` problem; ``network`` is the shape pass done at load time."""

    input: tuple[int, ...] = ()
    layers: list[LayerSpec] = field(default_factory=list)
    convention: str = "pytorch"
    network: Network | None = field(default=None, repr=False, compare=False)

    @property
    def all_layers(self) -> list[LayerSpec]:
        """Every layer, those inside blocks too, in reading order."""
        return flatten_layers(self.layers)

    @property
    def layer_names(self) -> list[str]:
        return [layer.name for layer in self.all_layers if layer.name is not None]


class LayerFault(HwcheckError):
    """A layer that cannot run; the message names the layer and shows the arithmetic,
    ``pos`` is the line of the layer (or of its faulty key)."""

    def __init__(self, layer: LayerSpec, message: str, key: str | None = None):
        super().__init__(f"{layer.title}: {message}", None, layer.where(key) if key else layer.pos)
        self.layer = layer


def shape_text(shape: tuple[int, ...] | list[int]) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


def parse_ask(ask: str, names: list[str] | tuple[str, ...]) -> tuple[str, str | None] | None:
    """What an architecture `ask` wants (contract §2), or None when it names no layer.

    ``("shape", NAME)`` for ``NAME``; ``("params", NAME)`` for ``params(NAME)``;
    ``("params", None)`` for ``params``, the whole network.
    """
    ask = ask.strip()
    if ask == "params":
        return "params", None
    # `params(NAME)`, read by splitting: the regex params\s*\(\s*(.*?)\s*\) took minutes
    # on 5,000 spaces (three runs of spaces backtracking against each other).
    head, opening, rest = ask.partition("(")
    if opening and head.rstrip() == "params" and rest.endswith(")"):
        name = rest[:-1].strip()
        return ("params", name) if name in names else None
    return ("shape", ask) if ask in names else None
