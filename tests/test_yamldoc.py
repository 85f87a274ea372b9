"""The safe YAML reader gives the same values as PyYAML's safe loader, plus positions."""

from __future__ import annotations

import pytest
import yaml

from hwcheck.errors import InputError, Pos
from hwcheck.yamldoc import parse_yaml

SCALARS = """\
a: 1
b: -0.5
c: 1e-6
d: 0x10
e: '3'
f: 1_000
g: 012
h: .5
i: yes
j: null
k: ~
l: Hello
m: T1.z
n: 2001-12-14
o: .inf
p: No
q:
s: +7
t: 1:20
u: "2/5"
v: [1, 2.5, -3]
w: {x: 1.0, y: [[1, 2], [3, 4]]}
"""


def test_values_are_pyyamls_safe_values():
    assert parse_yaml(SCALARS, "f.yaml") == yaml.safe_load(SCALARS)


def test_positions_of_keys_values_and_items():
    data = parse_yaml(SCALARS, "f.yaml")
    assert data.key_pos["b"] == Pos(2, 1)
    assert data.where("b") == Pos(2, 4)
    assert data["v"].where(1) == Pos(21, 8)  # "v: [1, 2.5": the 2 is column 8 of line 21
    assert data["w"]["y"].where(1) == Pos(22, 25)  # the second row [3, 4] opens at column 25


def test_merge_keys_are_refused_with_a_position():
    with pytest.raises(InputError) as info:
        parse_yaml("base: &b {x: 1}\nother:\n  <<: *b\n", "f.yaml")
    assert str(info.value) == "f.yaml:3:3: YAML merge keys ('<<') are not supported; write the keys out"


@pytest.mark.parametrize("word", ["yes", "Yes", "YES", "yEs", "no", "NO", "on", "ON", "oN", "off", "true", "tRUE",
                                  "False", "null", "Null", "NULL", "nul", "y", "n", "T1.z", "Tanh", "~"])
def test_plain_words_read_as_pyyaml_reads_them(word):
    text = f"a: {word}\n"
    assert parse_yaml(text, "f.yaml") == yaml.safe_load(text)
