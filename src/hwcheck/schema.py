"""A JSON Schema of the problem format, for editors that complete and check YAML files.

It is generated from the same tables the loaders use (the graph functions and the layer
types with their keys), so it cannot drift from what hwcheck accepts. The schema checks
structure; hwcheck itself checks the rest (expressions, shapes, names used before they
are defined) with messages that point at the line.
"""

from __future__ import annotations

from typing import Any

from .architecture import keys as K
from .architecture.layers import LAYER_TYPES
from .assignment import ASSIGNMENT_KEYS
from .code.load import DRAWS, TASK_KEYS, TRAIN_KEYS
from .common import ANSWER_FORMS
from .grade.diagnose import catalogue
from .graph.ops import SIGNATURES
from .graph.vary import MAX_VALUES

NUMBER = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^\s*[+-]?[\d.]+(?:[eE][+-]?\d+)?(?:\s*/\s*[+-]?[\d.]+)?\s*$"}]}
VALUE = {
    "description": "a number, a vector (list) or a matrix (list of equal-length lists)",
    "anyOf": [NUMBER, {"type": "array", "items": NUMBER, "minItems": 1}, {"type": "array", "items": {"type": "array", "items": NUMBER, "minItems": 1}, "minItems": 1}],
}
NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
TOLERANCE = {
    "type": "object",
    "properties": {"rel": {**NUMBER, "description": "relative tolerance (default 0.01)"}, "abs": {**NUMBER, "description": "absolute tolerance (default 1e-6)"}},
    "additionalProperties": False,
}


FRACTION = {"type": "number", "minimum": 0, "maximum": 1}


def _credit(kind: str) -> dict:
    """The partial-credit keys (contract §12), per question or under `grading:`."""
    codes = catalogue(kind)
    return {
        "partial": {"enum": ["entries"], "description": "a tensor answer earns the share of its entries that are right"},
        "follow_through": {**FRACTION, "description": "fraction of the points for an error carried forward from the student's own answers"},
        "deduct": {
            "type": "object",
            "description": "mistake code → fraction of the points taken off when the diagnosis names it",
            "propertyNames": {"enum": list(codes)},
            "additionalProperties": FRACTION,
        },
    }


def _grading(kind: str) -> dict:
    return {"type": "object", "description": "problem-wide partial-credit defaults; a question's own keys win", "properties": _credit(kind), "additionalProperties": False}


def _questions(ask_description: str, kind: str, formulas: bool = False) -> dict:
    answer = {"answer": {"enum": list(ANSWER_FORMS), "description": "number (default), or formula: an expression over the graph's names"}}
    return {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "id": {"type": ["string", "number"], "description": "unique in the file, e.g. T1.a"},
                "ask": {"type": "string", "description": ask_description},
                "points": {**NUMBER, "description": "default 1; at most 1,000,000 (and the problem in all)"},
                "tolerance": TOLERANCE,
                **(answer if formulas else {}),
                **_credit(kind),
            },
            "required": ["ask"],
            "additionalProperties": False,
        },
    }


def _common(kind: str) -> dict[str, Any]:
    return {
        "id": {"type": ["string", "integer"], "pattern": r"^[A-Za-z0-9_.-]+$"},
        "title": {"type": "string"},
        "kind": {"const": kind},
        "tolerance": TOLERANCE,
        "grading": _grading(kind),
    }


def _graph() -> dict:
    functions = ", ".join(SIGNATURES)
    return {
        "title": "kind: graph — a computation graph",
        "type": "object",
        "properties": {
            **_common("graph"),
            "inputs": {"type": "object", "propertyNames": {"pattern": NAME}, "additionalProperties": VALUE},
            "params": {"type": "object", "propertyNames": {"pattern": NAME}, "additionalProperties": VALUE},
            "steps": {
                "type": "object",
                "description": f"ordered name → expression; + - * / ** @ and {functions}",
                "propertyNames": {"pattern": NAME},
                "additionalProperties": {"type": ["string", "number"]},
                "minProperties": 1,
            },
            "output": {"type": "string", "pattern": NAME},
            "wrt": {"anyOf": [{"type": "string", "pattern": NAME}, {"type": "array", "items": {"type": "string", "pattern": NAME}}]},
            "questions": _questions("NAME, dOUT/dNAME, NAME[i] or dOUT/dNAME[i,j]", "graph", formulas=True),
            **_variants(),
        },
        "required": ["id", "kind", "steps"],
        "additionalProperties": False,
    }


def _variants() -> dict:
    """`vary` and `require` (contract §11): per-student numbers, graph problems only."""
    span = {"type": "object", "properties": {"from": NUMBER, "to": NUMBER, "step": NUMBER}, "required": ["from", "to", "step"], "additionalProperties": False}
    choices = {"type": "object", "properties": {"choices": {"type": "array", "items": NUMBER, "minItems": 1, "maxItems": MAX_VALUES}},
               "required": ["choices"], "additionalProperties": False}
    return {
        "vary": {"type": "object", "description": "leaf → its values for each student's variant: {from, to, step} or {choices: [...]}",
                 "propertyNames": {"pattern": NAME}, "additionalProperties": {"anyOf": [span, choices]}, "minProperties": 1},
        "require": {"type": "object", "properties": {"detect": {"type": "array", "items": {"enum": list(catalogue("graph"))}, "minItems": 1}},
                    "additionalProperties": False, "description": "mistakes every variant must detect"},
    }


def _key_schema(key) -> dict:
    whole = {"type": "integer", "minimum": 1}
    pair = {"type": "array", "items": whole, "minItems": 2, "maxItems": 2}
    by_kind = {
        K.COUNT: whole,
        K.SIZE: {"anyOf": [whole, pair]},
        K.PADDING: {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}, {"enum": ["valid", *key.words]}]},
        K.NONNEG: {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2}]},
        K.FLAG: {"type": "boolean"},
        K.RATE: {"type": "number", "minimum": 0, "maximum": 1},
        K.NUMBER: {"type": "number"},
        K.LAYERS: {"type": "array", "items": {"$ref": "#/$defs/layer"}},  # a block's branch: layers again
    }
    schema = dict(by_kind.get(key.kind, {}))
    if not key.required and key.default is not None:
        schema["default"] = list(key.default) if isinstance(key.default, tuple) else key.default
    return schema


def _layers() -> list[dict]:
    """One schema per layer type, from the registry."""
    layers = []
    for name, layer_type in LAYER_TYPES.items():
        keys = getattr(layer_type, "keys", {}) or {}
        layers.append({
            "type": "object",
            "properties": {"type": {"const": name}, "name": {"type": "string"}, **{k: _key_schema(v) for k, v in keys.items()}},
            "required": ["type", *[k for k, v in keys.items() if v.required]],
            "additionalProperties": False,
        })
    return layers


def _architecture() -> dict:
    return {
        "title": "kind: architecture — output shapes and learnable parameters",
        "type": "object",
        "properties": {
            **_common("architecture"),
            "input": {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1, "description": "shape without the batch dimension, channels first (channels last under convention: keras)"},
            "layers": {"type": "array", "items": {"$ref": "#/$defs/layer"}, "minItems": 1},
            "convention": {"enum": ["pytorch", "keras"], "default": "pytorch"},
            "questions": _questions("a layer NAME (its output shape), params(NAME) or params", "architecture"),
        },
        "required": ["id", "kind", "input", "layers"],
        "additionalProperties": False,
    }


def _code() -> dict:
    whole = {"type": "integer", "minimum": 1}
    shape = {"type": "array", "items": whole, "minItems": 1}
    spec = {"anyOf": [shape, VALUE, {"type": "object", "properties": {"shape": shape, "draw": {"enum": list(DRAWS)}, "scale": NUMBER},
                                       "required": ["shape"], "additionalProperties": False}]}
    lines = {"type": "array", "items": {"type": "string", "description": "names = function(args)"}, "minItems": 1}
    train = {"type": "object", "properties": {
        "data": {"type": "object", "properties": {"spiral": {"type": "object", "properties": {"classes": whole, "points_per_class": whole, "seed": {"type": "integer", "minimum": 0}}, "additionalProperties": False}}, "additionalProperties": False},
        "params": {"type": "object", "additionalProperties": shape},
        "init": {"type": "object", "properties": {"scale": NUMBER, "seed": {"type": "integer", "minimum": 0}}, "additionalProperties": False},
        "forward": lines, "backward": lines, "update": {"type": "string", "pattern": NAME}, "steps": whole, "lr": NUMBER,
        "reach": {"type": "object", "properties": {"accuracy": NUMBER, "loss": NUMBER}, "additionalProperties": False, "minProperties": 1},
        "predict": {"type": "string", "pattern": NAME}, "loss": {"type": "string", "pattern": NAME},
    }, "required": ["data", "params", "forward", "backward", "update", "steps", "lr", "reach"], "additionalProperties": False}
    assert set(train["properties"]) == set(TRAIN_KEYS)
    returns = {"anyOf": [{"type": ["string", "number"]}, {"type": "array", "items": {"type": ["string", "number"]}, "minItems": 1}]}
    task = {"type": "object", "properties": {
        "id": {"type": ["string", "integer"]}, "points": NUMBER, "function": {"type": "string", "pattern": NAME},
        "inputs": {"type": "object", "propertyNames": {"pattern": NAME}, "additionalProperties": spec, "minProperties": 1},
        "call": {"type": "string", "description": "function(input, ...)"}, "returns": returns,
        "cases": {"type": "array", "items": {"type": "object", "additionalProperties": VALUE}},
        "mutates": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "train": train, "tolerance": TOLERANCE,
    }, "required": ["id"], "additionalProperties": False}
    assert set(task["properties"]) == set(TASK_KEYS)
    return {
        "title": "kind: code — numpy functions students write, run sandboxed",
        "type": "object",
        "properties": {
            **_common("code"),
            "module": {"type": "string", "pattern": NAME, "description": "hw4 means hw4.py"},
            "seed": {"type": "integer", "minimum": 0},
            "trials": {"type": "integer", "minimum": 1},
            "tasks": {"type": "array", "items": task, "minItems": 1},
        },
        "required": ["id", "kind", "module", "tasks"],
        "additionalProperties": False,
    }


def _assignment() -> dict:
    schema = {
        "title": "kind: assignment — several problem files handed out and graded as one",
        "type": "object",
        "properties": {
            "id": {"type": ["string", "number"], "pattern": r"^[A-Za-z0-9_.-]+$"},
            "kind": {"const": "assignment"},
            "title": {"type": "string"},
            "problems": {"type": "array", "minItems": 1, "description": "problem files, relative to this file, inside its folder (no '..')",
                         "items": {"type": "string", "pattern": r"^(?![/\\])(?!.*(^|[/\\])\.\.([/\\]|$)).+$"}},
        },
        "required": ["id", "kind", "problems"],
        "additionalProperties": False,
    }
    assert set(schema["properties"]) == set(ASSIGNMENT_KEYS)
    return schema


def problem_schema() -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://hwcheck.invalid/problem.schema.json",
        "title": "hwcheck problem file",
        "oneOf": [_graph(), _architecture(), _code(), _assignment()],
        "$defs": {"layer": {"anyOf": _layers()}},
    }
