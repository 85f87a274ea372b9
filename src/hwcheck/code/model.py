"""The records of a `kind: code` problem (contract §9): its tasks, their inputs and
returned values, and the training recipe; read by :mod:`.load`, used by the reference,
the training loop, the grader and the templates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..common import Problem, Tolerance
from ..errors import Pos
from ..graph import expr as E


@dataclass(frozen=True)
class InputSpec:
    """How one input is made: drawn (``shape`` + ``draw``) or fixed (``value``)."""

    name: str
    shape: tuple[int, ...] | None = None
    draw: str = "normal"
    scale: float = 1.0
    value: Any = None  # a float (passed as a Python number) or a float64 array

    @property
    def fixed(self) -> bool:
        return self.shape is None


@dataclass(frozen=True)
class Returned:
    """One item of ``returns``: an expression, or ``grad(SCALAR, NAME)``."""

    text: str
    tree: E.Expr  # the whole expression, or the scalar inside grad(...)
    wrt: str | None = None  # NAME of grad(SCALAR, NAME)

    @property
    def label(self) -> str:
        return f"d/d{self.wrt}" if self.wrt else self.text


@dataclass(frozen=True)
class Line:
    """One line of a training recipe: ``targets = function(args)``."""

    targets: tuple[str, ...]
    function: str
    args: tuple[str, ...]
    text: str
    pos: Pos | None = None


@dataclass(frozen=True)
class Training:
    classes: int
    points_per_class: int
    data_seed: int
    params: dict[str, tuple[int, ...]]
    init_scale: float
    init_seed: int
    forward: tuple[Line, ...]
    backward: tuple[Line, ...]
    update: str
    steps: int
    lr: float
    reach: dict[str, float]  # accuracy (≥) and/or loss (≤)
    predict: str  # the forward value whose row-wise argmax is the predicted class
    loss: str  # the forward value that is the loss


@dataclass
class Task:
    id: str
    points: float
    tolerance: Tolerance
    pos: Pos | None
    function: str | None = None
    inputs: dict[str, InputSpec] = field(default_factory=dict)
    call: tuple[str, ...] = ()  # argument names, in order
    returns: tuple[Returned, ...] = ()
    tuple_return: bool = False  # `returns` was a list: the function returns a tuple
    cases: list[dict[str, Any]] = field(default_factory=list)  # fixed input sets (name → value)
    mutates: tuple[str, ...] = ()
    train: Training | None = None

    @property
    def ask(self) -> str:
        return "training" if self.train else f"{self.function}({', '.join(self.call)})"


@dataclass(frozen=True, eq=False)
class CodeProblem(Problem):
    module: str = ""
    seed: int = 0
    trials: int = 3
    tasks: list[Task] = field(default_factory=list)
    reference: Any = None  # the .reference.Reference, computed at load

    def task(self, function: str) -> Task | None:
        """The task that asks for ``function`` (training lines call functions by name)."""
        return next((t for t in self.tasks if t.function == function), None)
