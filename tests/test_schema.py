"""`hwcheck schema`: a JSON Schema that accepts every valid problem and flags wrong ones."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from hwcheck.schema import problem_schema
from support import CONTRACT, PROBLEMS, contract_problems, run_cli


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(run_cli("schema").stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.name) for p in sorted(PROBLEMS.glob("*.yaml"))] + contract_problems())
def test_every_valid_problem_passes(validator, path):
    assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == []


@pytest.mark.parametrize(
    "problem",
    [
        {"id": "a", "kind": "graph", "steps": {"z": "x"}, "stepz": 1},  # unknown key
        {"id": "a", "kind": "graph"},  # no steps
        {"id": "a b", "kind": "graph", "steps": {"z": "1"}},  # bad id
        {"id": "a", "kind": "graph", "steps": {"1z": "1"}},  # bad name
        {"id": "a", "kind": "architecture", "input": [30], "layers": [{"type": "dense"}]},  # units missing
        {"id": "a", "kind": "architecture", "input": [30], "layers": [{"type": "dense", "units": 3, "unitz": 2}]},
        {"id": "a", "kind": "architecture", "input": [30], "layers": [{"type": "densse", "units": 3}]},
        {"id": "a", "kind": "architecture", "input": [3, 8, 8], "layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "padding": "full"}]},
    ],
)
def test_invalid_problems_fail(validator, problem):
    assert list(validator.iter_errors(problem)), problem


def test_schema_is_generated_from_the_loaders_tables():
    from hwcheck.architecture.layers import LAYER_TYPES
    from hwcheck.graph.ops import FUNCTIONS

    text = json.dumps(problem_schema())
    assert all(f"{name}(" in text for name in FUNCTIONS)
    assert all(f'"const": "{name}"' in text for name in LAYER_TYPES)
