"""Every list of layer types is the registry's: a layer type added to LAYER_TYPES without
its docs row, its torch module and example (tests/torch_layers.py), or with a mistake
not in the catalogue, fails here. Runs without torch; test_architecture_torch.py checks
each type against torch.nn when torch is installed."""

from __future__ import annotations

import re

import pytest

from support import ROOT
from torch_layers import BUILDERS, EXAMPLES

from hwcheck.architecture.calc import compute
from hwcheck.architecture.layers import LAYER_TYPES, MISTAKES, Context
from hwcheck.architecture.solve import CARRIED_FORWARD
from hwcheck.problem import load_problem

DOCS = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _table(heading: str) -> list[str]:
    """The first cells of the Markdown table under a heading."""
    section = DOCS.split(heading, 1)[1].split("\n#", 1)[0]
    body = section.split("\n| ---", 1)[1].split("\n", 1)[1]  # the rows after the header's rule
    return [line.split("|")[1] for line in body.splitlines() if line.startswith("| `")]


DOCUMENTED_TYPES = {name for cell in _table("## Layers") for name in re.findall(r"`([a-z0-9_]+)`", cell)}
DOCUMENTED_MISTAKES = {name for cell in _table("## Mistakes recognised when grading")
                       for name in re.findall(r"`([a-z-]+)`", cell)}


@pytest.mark.parametrize("kind", list(LAYER_TYPES))
def test_every_layer_type_is_documented(kind):
    assert kind in DOCUMENTED_TYPES, f"docs/architecture.md has no row for {kind} in its Layers table"


def test_the_docs_table_names_only_layer_types():
    assert DOCUMENTED_TYPES <= set(LAYER_TYPES)


def test_every_layer_type_has_a_torch_module_and_an_example():
    assert set(BUILDERS) == set(LAYER_TYPES)
    assert set(EXAMPLES) == set(LAYER_TYPES)


@pytest.mark.parametrize("kind", list(LAYER_TYPES))
def test_every_layer_type_states_its_rules(kind):
    layer_type = LAYER_TYPES[kind]
    assert layer_type.name == kind and layer_type.shape_rule.startswith(f"{kind}:")
    if layer_type.learnable:
        assert layer_type.weight_rule != "no parameters"
    assert set(layer_type.mistakes) <= set(MISTAKES), kind


def test_the_mistake_catalogue_is_the_layer_types_mistakes():
    invited = {code for layer_type in LAYER_TYPES.values() for code in layer_type.mistakes}
    assert invited == set(MISTAKES)
    assert all(MISTAKES.values())  # every code says what the student did
    assert DOCUMENTED_MISTAKES == set(MISTAKES) | {CARRIED_FORWARD}


@pytest.mark.parametrize("kind", list(LAYER_TYPES))
def test_a_layer_type_makes_only_the_mistakes_it_declares(kind, tmp_path):
    shape, layer = EXAMPLES[kind]
    path = tmp_path / "net.yaml"
    path.write_text(f"id: t\nkind: architecture\ninput: {shape}\nlayers:\n  - {layer}\n", encoding="utf-8")
    problem = load_problem(path)
    invited = {code for spec in problem.all_layers for code in LAYER_TYPES[spec.type].mistakes}
    for code in set(MISTAKES) - invited:
        ctx = Context("pytorch", code)
        compute(problem.input, problem.layers, ctx=ctx)
        assert not ctx.touched, f"{kind} made the mistake {code} it does not declare"
