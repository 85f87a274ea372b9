"""The worked solution of an architecture problem, and how a wrong answer came about.

The network was solved once when the problem loaded; :func:`solve_architecture` wraps it
in an :class:`ArchitectureSolution` (the :class:`hwcheck.solution.Solution` protocol).
Typical mistakes are found by re-running the calculator with the mistake switched on, and
an error carried forward by re-running it from the student's own wrong shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import UnknownAsk, did_you_mean
from ..solution import Expected, Mistake
from .calc import compute, try_compute
from .layers import LAYER_TYPES, LAYOUT_MISTAKES, MISTAKES, Context
from .model import ArchitectureProblem, LayerFault, LayerSpec, Network, parse_ask, shape_text

# Mistakes that change shapes (and so every count after them) and mistakes that change
# only the count of the layer where they are made.
SHAPE_MISTAKES = ("forgot-padding", "forgot-plus-one", "forgot-stride", "wrong-rounding")

CARRIED_FORWARD = "carried-forward"


@dataclass
class ArchitectureSolution:
    """A solved architecture problem: ``network`` holds every row and its working."""

    problem: ArchitectureProblem
    network: Network
    mistake: str | None = None  # the mistake this solution makes on purpose, if any
    _variants: dict[str, tuple[Network | None, dict[int, str]]] = field(default_factory=dict, repr=False, compare=False)

    # -- the Solution protocol ---------------------------------------------------------
    def expected(self, ask: str) -> Expected:
        what, name = self._parse(ask)
        return Expected(ask, _value(self.network, what, name), exact=True)

    def mistakes(self, ask: str, answers: Mapping[str, Any] | None = None) -> list[Mistake]:
        what, name = self._parse(ask)
        right = _value(self.network, what, name)
        target = self.network.row(name) if name is not None else None
        found = []
        for code in MISTAKES:
            if code in LAYOUT_MISTAKES:
                found += self._other_layout(what, name, right)
                continue
            network, touched = self._variant(code)
            if network is None:
                continue
            value = _value(network, what, name)
            if value != right:
                found.append(Mistake(code, _describe(code, _where(code, touched, what, self.network, target)), value))
        return found + self._carried_forward(what, name, right, self._by_ask(answers or {}))

    def _other_layout(self, what: str, name: str | None, right: Any) -> list[Mistake]:
        """channels-last: the asked shape of an image or signal (the output of a layer type
        that invites it: convolutions, pooling) with its channel axis at the other end."""
        if what != "shape" or name is None or "channels-last" not in LAYER_TYPES[self._layer(name).type].mistakes or len(right) < 2:
            return []
        first, last = ("[C, L]", "[L, C]") if len(right) == 2 else ("[C, H, W]", "[H, W, C]")
        if self.problem.convention == "keras":
            moved, said = [right[-1], *right[:-1]], f"channels first {first}, PyTorch's layout; this problem follows Keras, channels last {last}"
        else:
            moved, said = [*right[1:], right[0]], f"channels last {last}, Keras' layout; this problem follows PyTorch, channels first {first}"
        if moved == right:
            return []  # as many channels as each size: the layouts read the same
        return [Mistake("channels-last", f"you wrote the shape of {name} {said}", moved)]

    def mistake_runs(self, code: str) -> bool:
        """Whether the network can be worked out with this mistake switched on (after some
        mistakes the shapes no longer fit, and there is no value to compare)."""
        return code in LAYOUT_MISTAKES or self._variant(code)[0] is not None

    def hint(self, ask: str) -> str:
        what, name = self._parse(ask)
        convention = self.problem.convention
        if what == "shape":
            layers = self.problem.all_layers
            layer = self._layer(name)
            upto = layers[:layers.index(layer) + 1]
            rules = _unique(LAYER_TYPES[spec.type].shape_rule for spec in upto)
            return (f"Start from the input {shape_text(self.problem.input)} ({self.network.layout_text}) and carry "
                    f"the shape through layers 1 to {layer.number or layer.index}, "
                    "one at a time:\n" + "\n".join(f"- {r}" for r in rules))
        if name is not None:
            layer = self._layer(name)
            return (LAYER_TYPES[layer.type].param_rule(convention)
                    + ".\nTake the sizes from the shape that goes into this layer (the output of the layer before).")
        rules = _unique(LAYER_TYPES[spec.type].param_rule(convention) for spec in self.problem.all_layers
                        if LAYER_TYPES[spec.type].learnable)
        return ("Add up the learnable parameters of every layer, weights and biases (don't forget the bias terms); "
                "activations, pooling, flatten and dropout have none:\n" + "\n".join(f"- {r}" for r in rules))

    def to_json(self) -> dict:
        """Contract §6, plus the extras documented in docs/architecture.md; formulas typeset in Unicode."""
        from ..render.typeset import unicode  # deliberate: only the JSON and the renderers typeset

        net = self.network
        data = {
            "id": self.problem.id,
            "kind": "architecture",
            "input": list(net.input_shape),
            "layers": [_row_json(row, unicode) for row in net.rows],
            "total_params": net.total,
            "trainable_params": net.trainable,
            "formula": unicode(net.formula),
            "non_trainable_params": net.non_trainable,
            "convention": net.convention,
            "mult_adds": net.mult_adds,
            "param_bytes": net.param_bytes,
        }
        if self.mistake is not None:
            data["mistake"] = self.mistake
        return data

    # -- helpers -----------------------------------------------------------------------
    def _parse(self, ask: str) -> tuple[str, str | None]:
        names = self.problem.layer_names
        parsed = parse_ask(ask, names)
        if parsed is None:
            choices = names + ["params"] + [f"params({n})" for n in names]
            raise UnknownAsk(f"'{ask}' is not a question about this network{did_you_mean(ask.strip(), choices)}; "
                           "ask NAME, params(NAME) or params")
        return parsed

    def _layer(self, name: str) -> LayerSpec:
        return next(layer for layer in self.problem.all_layers if layer.name == name)

    def _variant(self, code: str) -> tuple[Network | None, dict[int, str]]:
        """The network worked out with one mistake switched on (None if it then cannot run)."""
        if code not in self._variants:
            ctx = Context(self.problem.convention, code)
            network = try_compute(self.problem.input, self.problem.layers, ctx=ctx)
            self._variants[code] = (network, dict(ctx.touched))
        return self._variants[code]

    def _by_ask(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Answers keyed by ask; a sheet keyed by question id is accepted too."""
        by_ask = dict(answers)
        for question in self.problem.questions:
            if question.id in answers and question.ask not in by_ask:
                by_ask[question.ask] = answers[question.id]
        return by_ask

    def _carried_forward(self, what: str, name: str | None, right: Any, answers: Mapping[str, Any]) -> list[Mistake]:
        """Answers that follow, by correct working, from the student's own wrong shape earlier on."""
        layers = self.problem.all_layers
        before = layers[:layers.index(self._layer(name))] if name is not None else layers
        found: list[Mistake] = []
        shapes = {row.index: row.output_shape for row in self.network.walk()}
        for layer in reversed(before):  # the nearest earlier layer first
            if layer.name is None or layer.name == name:
                continue
            given = as_shape(answers.get(layer.name))
            if given is None or given == shapes[layer.index]:
                continue
            network = try_compute(self.problem.input, self.problem.layers, self.problem.convention,
                                  override={layer.index: given})
            if network is None:
                continue
            value = _value(network, what, name)
            if value != right and all(value != m.value for m in found):
                found.append(Mistake(CARRIED_FORWARD, f"this follows from your answer {shape_text(given)} for the output of "
                                                      f"layer {layer.name}, which was wrong; the working from there on is right",
                                     value))
        return found


def solve_architecture(problem: ArchitectureProblem, mistake: str | None = None) -> ArchitectureSolution:
    """The worked solution; with ``mistake`` (one of MISTAKES), the one that mistake gives."""
    if mistake is not None and mistake not in MISTAKES:
        raise ValueError(f"unknown mistake '{mistake}'{did_you_mean(mistake, MISTAKES)}; known: {', '.join(MISTAKES)}")
    if mistake in LAYOUT_MISTAKES:
        raise ValueError(f"{mistake} is a way of writing the right shapes, not a different network; "
                         f"choose one of {', '.join(c for c in MISTAKES if c not in LAYOUT_MISTAKES)}")
    network = problem.network
    if network is None or mistake is not None:
        try:
            network = compute(problem.input, problem.layers, ctx=Context(problem.convention, mistake))
        except LayerFault as fault:
            raise fault.placed(problem.file, fault.pos) from None
    return ArchitectureSolution(problem, network, mistake)


def _row_json(row, unicode) -> dict:
    """One layer for the JSON; a block also lists the layers of each branch (``main``, ``shortcut``)."""
    data = {
        "name": row.name, "type": row.type, "output_shape": list(row.output_shape), "params": row.params,
        "input_shape": list(row.input_shape), "params_formula": unicode(row.params_formula),
        "non_trainable_params": row.non_trainable, "mult_adds": row.mult_adds,
    }
    for branch in row.branches:
        data[branch.name] = [_row_json(inner, unicode) for inner in branch.rows]
    return data


def _value(network: Network, what: str, name: str | None) -> Any:
    if what == "shape":
        return list(network.row(name).output_shape)
    return network.trainable if name is None else network.row(name).params


def _where(code: str, touched: dict[int, str], what: str, network: Network, target) -> list[str]:
    """The layers where a mistake made a difference to this ask (``target``: the asked layer's row)."""
    if target is None:
        return list(touched.values())
    order = {row.index: position for position, row in enumerate(network.walk())}  # the order of the working
    inside = {row.index for row in target.walk()}  # the layer, and a block's layers
    if what == "params" and code not in SHAPE_MISTAKES:
        return [label for index, label in touched.items() if index in inside]
    # a shape depends on every layer worked out before it; a count on the shapes going into it
    last = order[target.index] - (1 if what == "params" and not target.branches else 0)
    return [label for index, label in touched.items() if order[index] <= last]


def _describe(code: str, labels: list[str]) -> str:
    where = f" (layer{'s' if len(labels) > 1 else ''} {', '.join(labels)})" if labels else ""
    return f"you {MISTAKES[code]}{where}"


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))


_SHAPE_TEXT = re.compile(r"[\s\[\(]*\d+(?:\s*[,x×*]\s*\d+)*[\s\]\)]*")


def as_shape(value: Any) -> tuple[int, ...] | None:
    """A student's shape answer as a tuple of positive ints, or None when it is not one."""
    if value is None or isinstance(value, bool):
        return None
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, str):
        if not _SHAPE_TEXT.fullmatch(value):
            return None
        value = [int(n) for n in re.findall(r"\d+", value)]
    if not isinstance(value, (list, tuple)):
        value = [value]
    sizes = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            return None
        if isinstance(item, float) and not item.is_integer() or item < 1:
            return None
        sizes.append(int(item))
    return tuple(sizes) or None
