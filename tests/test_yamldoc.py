"""The safe YAML reader gives the same values as PyYAML's safe loader, plus positions."""

from __future__ import annotations

import pytest

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


def test_values_follow_the_yaml_1_2_core_schema():
    # Worked out from the YAML 1.2.2 spec §10.3.2 (core schema), not from PyYAML's 1.1 rules:
    # digits are decimal (012 is twelve), 0x is hexadecimal, 1e-6 is a float without a dot,
    # only true/false are booleans, and 1_000, yes, 1:20 and dates are plain strings.
    assert parse_yaml(SCALARS, "f.yaml") == {
        "a": 1, "b": -0.5, "c": 1e-6, "d": 16, "e": "3", "f": "1_000", "g": 12, "h": 0.5,
        "i": "yes", "j": None, "k": None, "l": "Hello", "m": "T1.z", "n": "2001-12-14",
        "o": float("inf"), "p": "No", "q": None, "s": 7, "t": "1:20", "u": "2/5",
        "v": [1, 2.5, -3], "w": {"x": 1.0, "y": [[1, 2], [3, 4]]},
    }


@pytest.mark.parametrize("text, value", [
    ("010", 10), ("+010", 10), ("-010", -10), ("0557057", 557057), ("0o10", 8), ("0x10", 16), ("0X10", "0X10"),
    ("0_10", "0_10"), ("0b11", "0b11"), ("1.", 1.0), (".5", 0.5), ("1E3", 1000.0), ("-.inf", float("-inf")),
    ("True", True), ("FALSE", False), ("on", "on"), ("Off", "Off"), ("y", "y"), ("~", None), ("NULL", None),
])
def test_plain_scalars_by_the_core_schema(text, value):
    assert parse_yaml(f"a: {text}\n", "f.yaml")["a"] == value


@pytest.mark.parametrize("text, value", [("!!int 010", 10), ("!!float 1", 1.0), ("!!str 010", "010"), ("! 12", "12"), ("!!bool true", True)])
def test_explicit_tags_follow_the_core_schema(text, value):
    got = parse_yaml(f"a: {text}\n", "f.yaml")["a"]
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize("text", ["!!int 1.5", "!!bool yes", "!!null 0", "!!float abc"])
def test_explicit_tags_that_do_not_fit_are_refused(text):
    with pytest.raises(InputError) as info:
        parse_yaml(f"a: {text}\n", "f.yaml")
    assert str(info.value).startswith("f.yaml:1:4: cannot read ")


def test_keys_keep_their_text_as_written():
    data = parse_yaml("1.10: 8\n1.1: 3\n010: x\ntrue: y\n~: z\n", "f.yaml")
    assert list(data) == ["1.10", "1.1", "010", "true", "~"]
    assert data["1.10"] == 8 and data["1.1"] == 3


def test_values_remember_their_text():
    data = parse_yaml("id: 1.10\nn: 010\ns: text\n", "f.yaml")
    assert (data["id"], data.text("id")) == (1.1, "1.10")
    assert (data["n"], data.text("n")) == (10, "010")
    assert data.text("s") == "text"


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
def test_plain_words_read_as_the_core_schema_reads_them(word):
    # YAML 1.2 core: only true/True/TRUE, false/..., null/Null/NULL and ~ are not strings.
    expected = {"true": True, "False": False, "null": None, "Null": None, "NULL": None, "~": None}.get(word, word)
    got = parse_yaml(f"a: {word}\n", "f.yaml")["a"]
    assert got == expected and type(got) is type(expected)
