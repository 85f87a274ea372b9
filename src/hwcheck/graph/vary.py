"""Reading ``vary:`` and ``require:`` of a graph problem (contract §11).

``vary`` maps a leaf (an input or a param) to the values a variant may give it: a range
``{from, to, step}`` (both ends included when the step lands on them) or ``{choices: [...]}``.
Each entry of a vector or matrix leaf is drawn on its own from the same values.
``require: {detect: [CODE, ...]}`` names typical mistakes every accepted variant must catch.

Only the file's shape is checked here; whether a required mistake can apply to the problem
at all needs the problem solved, and is checked by :mod:`hwcheck.variants` at load time.
Drawing and accepting variants is :mod:`hwcheck.variants`' job too.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..common import MistakeCodes
from ..errors import FaultList, Pos
from ..numbers import NotANumber, fmt_count, parse_number
from ..record import Record
from ..yamldoc import YList, YMap

RANGE_KEYS = ("from", "to", "step")
REQUIRE_KEYS = ("detect",)
# Every leaf's values are listed (a variant draws an index into the list), so a range or a
# choice list is bounded: 10,000 values is far more than a homework needs.
MAX_VALUES = 10_000
# Every varied entry costs a hash per draw, and a student may need many draws: the entries
# varied in all (a matrix counts each of its entries) are bounded too.
MAX_VARIED_ENTRIES = 1_000


class Vary(Record):
    """The values one leaf may take: each entry of the leaf is drawn from ``values``."""

    name: str
    values: tuple[float, ...]
    pos: Pos | None = None


class Requirement(Record):
    """A mistake code every accepted variant must detect, where it was written."""

    code: str
    pos: Pos | None = None


def read_vary(data: YMap, leaves: dict, steps: list, failed: set, faults: FaultList) -> tuple[Vary, ...]:
    """The ``vary`` section: each name a leaf, each spec a bounded, non-empty list of values."""
    if "vary" not in data:
        return ()
    section = data["vary"]
    if not isinstance(section, YMap) or not section:
        faults.add(data.where("vary"), "vary maps leaves to their values, e.g. vary: {w0: {from: -1, to: 1, step: 0.1}, x0: {choices: [0.5, 1, 2]}}")
        return ()
    found = []
    for name, spec in section.items():
        pos = section.key_pos[name]
        if name in failed:  # its definition was faulty, and said so
            continue
        if name not in leaves:
            if name in steps:
                faults.add(pos, f"vary: '{name}' is a step, computed from the leaves; vary the inputs or params it is computed from")
            else:
                faults.add(pos, f"vary: unknown name '{name}'{faults.suggest(str(name), map(str, leaves))}; vary names inputs or params")
            continue
        values = _read_spec(spec, section.where(name), str(name), faults)
        if values is not None:
            found.append(Vary(str(name), values, pos))
    entries = sum(int(np.size(leaves[v.name])) for v in found)
    if entries > MAX_VARIED_ENTRIES:
        faults.add(data.where("vary"), f"vary draws {entries:,} entries in all (a matrix counts each of its entries), more than "
                                       f"{MAX_VARIED_ENTRIES:,}; vary fewer or smaller leaves")
    return tuple(found)


def _read_spec(spec, pos: Pos, name: str, faults: FaultList) -> tuple[float, ...] | None:
    if not isinstance(spec, YMap):
        faults.add(pos, f"vary '{name}': give a range {{from: -1, to: 1, step: 0.1}} or {{choices: [0.5, 1, 2]}}")
        return None
    if "choices" in spec:
        if len(spec) > 1:
            other = next(k for k in spec if k != "choices")
            faults.add(spec.key_pos[other], f"vary '{name}': '{other}' does not go with choices; give either choices or from, to and step")
            return None
        return _read_choices(spec, name, faults)
    for key in spec:
        if key not in RANGE_KEYS:
            faults.add(spec.key_pos[key], f"vary '{name}': unknown key '{key}'{faults.suggest(str(key), RANGE_KEYS + ('choices',))}; "
                                          "a range has from, to and step, or give choices: [...]")
            return None
    missing = [k for k in RANGE_KEYS if k not in spec]
    if missing:
        faults.add(pos, f"vary '{name}': the range needs {' and '.join(missing)}; write e.g. {{from: -1, to: 1, step: 0.1}}")
        return None
    ends = {}
    for key in RANGE_KEYS:
        try:
            # Exact decimal arithmetic (0.1 is 1/10 here), so from + k·step lands on the
            # numbers the teacher meant (-1 + 10·0.1 is 0, not 1e-16) and `to` is included.
            ends[key] = Fraction(repr(parse_number(spec[key])))
        except NotANumber as exc:
            faults.add(spec.where(key), f"vary '{name}' {key}: {exc}")
            return None
    start, stop, step = ends["from"], ends["to"], ends["step"]
    if step <= 0:
        faults.add(spec.where("step"), f"vary '{name}': step must be > 0, not {spec.text('step')}")
        return None
    if stop < start:
        faults.add(spec.where("to"), f"vary '{name}': the range is empty (to {spec.text('to')} is below from {spec.text('from')}); give from ≤ to")
        return None
    count = (stop - start) // step + 1
    if count > MAX_VALUES:
        faults.add(spec.where("step"), f"vary '{name}': {fmt_count(int(count))} values from {spec.text('from')} to {spec.text('to')} by {spec.text('step')}, "
                                       f"more than {MAX_VALUES:,}; give a larger step")
        return None
    return tuple(float(start + k * step) for k in range(int(count)))


def _read_choices(spec: YMap, name: str, faults: FaultList) -> tuple[float, ...] | None:
    raw = spec["choices"]
    if not isinstance(raw, YList) or not raw:
        faults.add(spec.where("choices"), f"vary '{name}': choices is a non-empty list of numbers, e.g. choices: [0.5, 1, 2]")
        return None
    if len(raw) > MAX_VALUES:
        faults.add(spec.where("choices"), f"vary '{name}': {len(raw):,} choices, more than {MAX_VALUES:,}; give fewer")
        return None
    values = []
    for index, item in enumerate(raw):
        try:
            values.append(parse_number(item))
        except NotANumber as exc:
            faults.add(raw.where(index), f"vary '{name}' choice {index + 1}: {exc}")
            return None
    return tuple(values)




def read_require(data: YMap, vary: tuple[Vary, ...], faults: FaultList, codes: MistakeCodes) -> tuple[Requirement, ...]:
    """``require: {detect: [CODE, ...]}``: known mistake codes (``codes()``, the graph kind's
    catalogue, passed in by the loader); it asks something of variants only."""
    if "require" not in data:
        return ()
    section = data["require"]
    if not isinstance(section, YMap):
        faults.add(data.where("require"), "require is a mapping such as require: {detect: [relu-gate-ignored]}")
        return ()
    if "vary" not in data:
        faults.add(data.key_pos["require"], "require says what every variant must detect, and this problem has no vary:; add vary: or remove require")
        return ()
    for key in section:
        if key not in REQUIRE_KEYS:
            faults.add(section.key_pos[key], f"require: unknown key '{key}'{faults.suggest(str(key), REQUIRE_KEYS)}; allowed: detect")
    if "detect" not in section:
        return ()
    raw = section["detect"]
    if not isinstance(raw, YList) or not raw:
        faults.add(section.where("detect"), "require detect is a non-empty list of mistake codes, e.g. detect: [relu-gate-ignored]")
        return ()
    known = codes()
    found = []
    for index, code in enumerate(raw):
        if not isinstance(code, str) or code not in known:
            faults.add(raw.where(index), f"require detect: unknown mistake code '{code}'{faults.suggest(str(code), known)}; "
                                         f"the codes for graph problems: {', '.join(known)}")
            continue
        found.append(Requirement(code, raw.where(index)))
    return tuple(found)
