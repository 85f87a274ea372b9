"""Reading a `kind: architecture` problem (contract §1b) and checking every key.

Every fault is collected with its line and column so a teacher sees them all at once.
When the layers are well formed, the shape pass runs here too (once: the solver reuses
it), so that ``hwcheck validate`` refuses a network that cannot run.
"""

from __future__ import annotations

import re
from typing import Any

from ..common import MistakeCodes, Question, Tolerance, read_questions, refuse_partial_entries
from ..errors import FaultList, Pos, did_you_mean
from ..yamldoc import YList, YMap
from .calc import compute
from .keys import LAYERS, MAX_SIZE, KeyProblem, default_value, read_value
from .layers import LAYER_TYPES
from .model import CONVENTIONS, ArchitectureProblem, LayerFault, LayerSpec, flatten_layers, parse_ask

KIND_KEYS = ("input", "layers", "convention")
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
RESERVED_NAMES = ("params",)


def load_architecture(data: YMap, common: dict, faults: FaultList, codes: MistakeCodes) -> ArchitectureProblem:
    """Build the problem from its YAML mapping; faults go to ``faults``, nothing is raised."""
    input_shape = _read_input(data, faults)
    convention = _read_convention(data, faults)
    before = len(faults.faults)
    layers = _read_layers(data, faults)
    layers_ok = len(faults.faults) == before
    names = [layer.name for layer in flatten_layers(layers) if layer.name is not None]
    questions = read_questions(data, common["tolerance"], faults, codes)
    if questions is None:
        questions = default_questions(layers, common["tolerance"])
    else:
        _check_asks(questions, names, faults)
    network = None
    if input_shape is not None and layers_ok and layers:
        try:
            network = compute(input_shape, layers, convention)
        except LayerFault as fault:
            faults.add(fault.pos, fault.message)
    return ArchitectureProblem(**common, questions=questions, input=input_shape or (), layers=layers,
                               convention=convention, network=network)


def default_questions(layers: list[LayerSpec], tolerance: Tolerance) -> list[Question]:
    """Contract §1b: the output shape of every named layer, then `params`."""
    questions = [Question(layer.name, layer.name, 1.0, tolerance, layer.pos)
                 for layer in flatten_layers(layers) if layer.name is not None]
    return questions + [Question("params", "params", 1.0, tolerance, None)]


def _read_input(data: YMap, faults: FaultList) -> tuple[int, ...] | None:
    if "input" not in data:
        faults.add(data.pos, "missing 'input'; write the input shape without the batch dimension, channels first, "
                             "e.g. input: [3, 32, 32] or input: [30]")
        return None
    value = data["input"]
    if isinstance(value, int) and not isinstance(value, bool):
        faults.add(data.where("input"), f"input is a list of sizes; write input: [{value}]")
        return None
    if (not isinstance(value, list) or not value
            or not all(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in value)):
        faults.add(data.where("input"), f"input must be a list of positive sizes without the batch dimension, "
                                        f"e.g. [3, 32, 32], not {value!r}")
        return None
    if max(value) > MAX_SIZE:
        faults.add(data.where("input"), f"input sizes above {MAX_SIZE:,} are not a real network's; give the real shape")
        return None
    return tuple(value)


def _read_convention(data: YMap, faults: FaultList) -> str:
    value = data.get("convention", "pytorch")
    if isinstance(value, str) and value.strip().lower() in CONVENTIONS:
        return value.strip().lower()
    faults.add(data.where("convention"), f"convention '{value}' is not known{did_you_mean(str(value).lower(), CONVENTIONS)}; "
                                         "write pytorch (the default) or keras")
    return "pytorch"


def _read_layers(data: YMap, faults: FaultList) -> list[LayerSpec]:
    if "layers" not in data:
        faults.add(data.pos, "missing 'layers'; write a list such as layers: [{name: A, type: dense, units: 10}]")
        return []
    raw = data["layers"]
    if not isinstance(raw, YList) or not raw:
        faults.add(data.where("layers"), "layers is a non-empty list of mappings such as {name: A, type: dense, units: 10}")
        return []
    return _LayerReader(faults).read_list(raw, "", 0)


MAX_NESTING = 16  # blocks inside blocks; a real network nests two or three deep


class _LayerReader:
    """Reads a list of layers, and the lists inside blocks, numbering them in reading order."""

    def __init__(self, faults: FaultList):
        self.faults = faults
        self.seen: dict[str, Pos] = {}
        self.count = 0  # LayerSpec.index of the last layer read

    def read_list(self, raw: YList, prefix: str, depth: int) -> list[LayerSpec] | None:
        """The layers of ``raw``; None when one of them is faulty (the faults are recorded)."""
        layers: list[LayerSpec] = []
        ok = True
        for offset, item in enumerate(raw):
            layer = self._read_layer(f"{prefix}{offset + 1}", item, raw.where(offset), depth)
            ok = ok and layer is not None
            if layer is not None:
                layers.append(layer)
        return layers if depth == 0 or ok else None

    def _read_layer(self, number: str, item: Any, pos: Pos, depth: int) -> LayerSpec | None:
        self.count += 1
        index, faults = self.count, self.faults
        if not isinstance(item, YMap):
            faults.add(pos, f"layer {number}: each layer is a mapping such as {{type: relu}} or {{name: A, type: dense, units: 10}}")
            return None
        name = _read_name(number, item, self.seen, faults)
        label = name if name is not None else number
        kind_name = item.get("type")
        if not isinstance(kind_name, str) or kind_name not in LAYER_TYPES:
            known = ", ".join(LAYER_TYPES)
            if kind_name is None:
                faults.add(item.pos, f"layer {label}: missing 'type'; write one of {known}")
            else:
                faults.add(item.where("type"), f"layer {label}: unknown type '{kind_name}'"
                                               f"{did_you_mean(str(kind_name), LAYER_TYPES)}; known types: {known}")
            return None
        kind = LAYER_TYPES[kind_name]
        title = f"layer {label} ({kind_name})"
        options: dict[str, Any] = {}
        ok = True
        for key, value in item.items():
            if key in ("type", "name"):
                continue
            if key not in kind.keys:
                takes = f"{kind_name} takes {', '.join(kind.keys)} (and name)" if kind.keys else f"{kind_name} takes no keys but name"
                faults.add(item.key_pos[key], f"{title}: unknown key '{key}'{did_you_mean(str(key), kind.keys)}; {takes}")
                ok = False
                continue
            if kind.keys[key].kind == LAYERS:
                inner = self._read_branch(title, key, item, number, depth)
                ok = ok and inner is not None
                options[key] = inner
                continue
            try:
                options[key] = read_value(key, value, kind.keys[key], kind.ndim)
            except KeyProblem as problem:
                faults.add(item.where(key), f"{title}: {problem}")
                ok = False
        for key, spec in kind.keys.items():
            if key in options or key in item:
                continue
            if spec.required:
                faults.add(item.pos, f"{title}: missing '{key}'; add e.g. {spec.example or key + ': 1'}")
                ok = False
            else:
                options[key] = default_value(spec, kind.ndim)
        if not ok:
            return None
        return LayerSpec(index, kind_name, name, options, item.pos, dict(item.value_pos), number)

    def _read_branch(self, title: str, key: str, item: YMap, number: str, depth: int) -> tuple[LayerSpec, ...] | None:
        """A block's branch: a list of layers, numbered 3.1, 3.2 (main) or 3.s1 (shortcut)."""
        raw = item[key]
        spec = LAYER_TYPES[item["type"]].keys[key]
        if not isinstance(raw, YList) or (spec.required and not raw):
            empty = "" if spec.required else " (or [] for the identity)"
            self.faults.add(item.where(key), f"{title}: {key} is a{' non-empty' if spec.required else ''} list of layers"
                                             f"{empty}, e.g. {spec.example}")
            return None
        if depth + 1 > MAX_NESTING:
            self.faults.add(item.where(key), f"{title}: blocks are nested more than {MAX_NESTING} deep; flatten the network")
            return None
        inner = self.read_list(raw, f"{number}.{'s' if key == 'shortcut' else ''}", depth + 1)
        return tuple(inner) if inner is not None else None


def _read_name(index: str, item: YMap, seen: dict[str, Pos], faults: FaultList) -> str | None:
    if "name" not in item:
        return None
    name = item["name"]
    where = item.where("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        faults.add(where, f"layer {index}: name {name!r} must start with a letter or '_' and hold only letters, digits, "
                          "'_', '.' or '-' (e.g. A, conv1)")
        return None
    if name in RESERVED_NAMES:
        faults.add(where, f"layer {index}: the name '{name}' is reserved (ask: params means the whole network); choose another")
        return None
    if name in seen:
        faults.add(where, f"layer {index}: the name '{name}' is used twice (first at line {seen[name].line}); names are unique")
        return None
    seen[name] = where
    return name


def _check_asks(questions: list[Question], names: list[str], faults: FaultList) -> None:
    choices = names + ["params"] + [f"params({name})" for name in names]
    known = set(names)  # a set: thousands of questions against thousands of layers stay linear
    for question in questions:
        if (ask := parse_ask(question.ask, known)) is not None:  # never a tensor: a shape or a count
            refuse_partial_entries(question, "a shape" if ask[0] == "shape" else "a parameter count", faults)
            continue
        if faults.full:  # beyond the faults shown only the count is kept: skip building the message
            faults.add(question.pos, "")
            continue
        named = (f"named layers: {', '.join(names)}" if names
                 else "no layer has a name yet: add name: A to the layers you ask about")
        faults.add(question.pos, f"question {question.id}: ask '{question.ask}' names no layer"
                                 f"{faults.suggest(question.ask, choices)}; ask NAME (its output shape), params(NAME) "
                                 f"or params; {named}")
