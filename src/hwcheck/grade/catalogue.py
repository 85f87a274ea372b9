"""The catalogue of mistake codes (`hwcheck mistakes`), generated from the registries.

Each code a diagnosis can name, with what the student did and where it applies: the
kinds of question that can be diagnosed with it (graph questions, formula answers,
architecture questions, code tasks), the graph operations and the layer types that
invite it. Nothing is listed here: the codes come from the catalogues kept beside the
code that produces them — ``MISTAKES`` in graph/mistakes.py (and tensor_mistakes.py),
``FORMULA_MISTAKES`` in graph/formula.py, ``MISTAKES`` in architecture/layers.py,
``CATALOGUE`` in code/mistakes.py, the grader's own (:func:`diagnose.catalogue`) — and
the operations and layer types from ``Op.mistakes`` and ``LayerType.mistakes``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..architecture.layers import LAYER_TYPES, MISTAKES as LAYER_MISTAKES
from ..code.mistakes import CATALOGUE as CODE_MISTAKES
from ..graph.formula import FORMULA_MISTAKES
from ..graph.mistakes import INVITING_OPS
from ..graph.ops import OPS
from .diagnose import catalogue

KINDS = ("graph", "formula", "architecture", "code")


@dataclass(frozen=True, slots=True)
class Entry:
    code: str
    meaning: str  # what the student did, from the first catalogue that lists the code
    kinds: tuple[str, ...]  # the kinds of question it can be named on (KINDS)
    ops: tuple[str, ...] = ()  # graph operations that invite it
    layers: tuple[str, ...] = ()  # layer types that invite it

    def to_json(self) -> dict:
        return {"code": self.code, "meaning": self.meaning, "kinds": list(self.kinds),
                "ops": list(self.ops), "layers": list(self.layers)}


def sources() -> dict[str, dict[str, str]]:
    """Each kind's catalogue, code → meaning."""
    return {
        "graph": catalogue("graph"),
        "formula": FORMULA_MISTAKES,
        "architecture": {**LAYER_MISTAKES, **catalogue("architecture")},
        "code": CODE_MISTAKES,
    }


def entries() -> list[Entry]:
    """Every code, in the order the catalogues list them (graph's first)."""
    meanings: dict[str, str] = {}
    kinds: dict[str, list[str]] = {}
    for kind, codes in sources().items():
        for code, meaning in codes.items():
            meanings.setdefault(code, meaning)
            kinds.setdefault(code, []).append(kind)
    ops = {code: [op.name for op in OPS.values() if code in op.mistakes or op.name in INVITING_OPS.get(code, ())]
           for code in meanings}
    layers = {code: list(dict.fromkeys(t.name for t in LAYER_TYPES.values() if code in t.mistakes)) for code in meanings}
    return [Entry(code, meanings[code], tuple(kinds[code]), tuple(ops[code]), tuple(layers[code])) for code in meanings]


def meaning(code: str) -> str:
    """What a code means, as the catalogue says it."""
    for codes in sources().values():
        if code in codes:
            return codes[code]
    raise KeyError(code)
