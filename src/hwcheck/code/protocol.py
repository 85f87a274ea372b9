"""The parent's side of the pipe to the sandboxed child (the format is in :mod:`.child`).

Everything read from the child is untrusted: the JSON header is capped in length, every
array's dtype must be a plain number type (bool, int, uint, float) from an allow-list,
its rank and size are capped, and its bytes are read into an array hwcheck allocated.
Nothing is unpickled, and nothing the child sends is ever executed or imported.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_HEADER = 1 << 20  # bytes of JSON in one reply
MAX_ARRAYS = 256  # in one reply: a list's calls together
MAX_RANK = 8
MAX_REPLY_BYTES = 64 << 20  # all arrays of one reply together
DTYPES = {np.dtype(t).str for t in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8")}


class Malformed(ValueError):
    """The child sent something that is not a valid message.

    Internal, not a HwcheckError: the sandbox turns it into a ChildFailed, so it never
    reaches the user as an exit."""


@dataclass
class Other:
    """A returned value that is not plain data: only its type's name crosses."""

    type_name: str


@dataclass
class Reply:
    value: Any = None  # an array, float, int, bool, None, Other, or a tuple of them
    error: str | None = None  # the exception's type name ("missing": no such function)
    message: str = ""
    where: tuple[str, int, str | None] | None = None  # (file, line, function) in the student's code
    mutated: tuple[int, ...] = ()  # indices of array arguments changed in place
    seconds: float = 0.0  # time inside the student's function, as the child measured it (for bench/)


MAX_WARNINGS = 5  # distinct warnings kept of one submission


@dataclass(frozen=True)
class Warned:
    """A warning the student's code raised (in place of its text on stderr)."""

    category: str  # "RuntimeWarning"
    message: str  # "overflow encountered in exp"
    where: tuple[str, int] | None  # (file, line) in the student's files

    def __str__(self) -> str:
        return f"{self.category}: {self.message}" + (f" ({self.where[0]} line {self.where[1]})" if self.where else "")


@dataclass(frozen=True)
class Output:
    """What the student's code wrote so far, as the child counts it: characters to stdout,
    characters to stderr (warnings aside), and the first distinct warnings."""

    printed: int = 0
    stderr: int = 0
    warnings: tuple[Warned, ...] = ()

    def merged(self, other: "Output") -> "Output":
        """Counts are running totals (the larger wins); warnings are added, distinct, capped."""
        warned = list(self.warnings)
        warned += [w for w in other.warnings if w not in warned]
        return Output(max(self.printed, other.printed), max(self.stderr, other.stderr), tuple(warned[:MAX_WARNINGS]))


def output_of(header: dict) -> Output:
    """The counts and new warnings of any reply header; anything malformed is dropped
    (they are feedback, not results)."""
    counts = [header.get(key, 0) for key in ("printed", "stderr")]
    counts = [n if type(n) is int and 0 <= n < 2**62 else 0 for n in counts]
    warned = []
    listed = header.get("warnings", [])
    for item in listed[:MAX_WARNINGS] if isinstance(listed, list) else []:
        if isinstance(item, list) and len(item) == 3:
            where = item[2]
            place = (_text(where[0], 100), where[1]) if isinstance(where, list) and len(where) == 2 and type(where[1]) is int else None
            warned.append(Warned(_text(item[0], 100) or "Warning", _text(item[1], 500), place))
    return Output(counts[0], counts[1], tuple(warned))


CONTROL = 64  # bytes at the arena's start: the index + 1 of the call a list is running (child.py)
MAX_CALLS = 1024  # calls in one list, repeats included: a training sends as many whole steps as fit (78 of the shipped problem's 13 calls)
MAX_NAME = 64  # characters of a kept value's name


@dataclass(frozen=True)
class Held:
    """An argument: the value the child keeps under ``name`` (stored, or kept from an
    earlier call's result); the function gets it by value (read-only for the call, or a
    fresh copy: child.run_list), or with ``last`` the value itself, taken out of the child's table (no later call reads it before a call
    keeps a new value under that name: a change in place could reach nothing)."""

    name: str
    last: bool = False


@dataclass(frozen=True)
class Described:
    """A returned array that stayed in the child (kept, not fetched): only its dtype and
    shape crossed, as plain numbers."""

    dtype: np.dtype
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Call:
    """One call of a list: ``function(*args)``, arguments being arrays, numbers or
    :class:`Held`. Its i-th returned value is kept in the child under ``keep[i]``; of the
    kept values only those named in ``fetch`` come back whole, the other arrays come back
    as :class:`Described` (numbers, booleans, None and other types always come back as
    they are, being small). With ``keep`` empty nothing is kept and everything comes back.
    ``expect``: the shape of each returned value (None: any), or None for no expectation;
    the child stops the list after a call whose values are not those."""

    function: str
    args: tuple = ()
    keep: tuple[str, ...] = ()
    fetch: frozenset = frozenset()
    expect: tuple | None = None


def request(function: str, args: list[Any], check_inputs: bool = True, arena=None) -> list:
    """The buffers of one call request (header, then the bytes of each array not placed
    in the arena's first half, uncopied)."""
    specs, inline, (items,), _ = _arguments([args], {}, arena)
    header = {"op": "call", "function": function, "args": items, "check": check_inputs, "arrays": specs}
    return _message(header, inline)


def batch_request(calls: list[Call], store: dict[str, Any] | None = None, arena=None, repeat: int = 1) -> list:
    """The buffers of a list of calls, made ``repeat`` times over (a training's steps: the
    calls are written once); ``store``, when given, replaces the values the child keeps
    before the first call (a training's data and initial parameters)."""
    if not (0 < len(calls) and 0 < repeat and len(calls) * repeat <= MAX_CALLS):
        raise ValueError(f"a list of {len(calls)} × {repeat} calls (1 to {MAX_CALLS})")
    specs, inline, items, stored = _arguments([call.args for call in calls], store or {}, arena)
    listed = [{"function": call.function, "args": args, "keep": list(call.keep), "fetch": sorted(call.fetch),
               "expect": None if call.expect is None else [None if s is None else list(s) for s in call.expect]}
              for call, args in zip(calls, items)]
    header = {"op": "batch", "calls": listed, "repeat": repeat, "arrays": specs}
    if store is not None:
        header["store"] = stored
    return _message(header, inline)


def _arguments(arg_lists: list[list[Any]], store: dict[str, Any], arena) -> tuple[list[dict], list[np.ndarray], list[list[dict]], dict]:
    """The array specs, the arrays to send inline, each call's argument items and the
    stored values' items. Arrays go in the arena's first half (after the control bytes)
    when they all fit there."""
    arrays = []

    def item(value) -> dict:
        if isinstance(value, Held):
            return {"h": value.name, "last": True} if value.last else {"h": value.name}
        if isinstance(value, np.ndarray):
            arrays.append(np.ascontiguousarray(value, dtype=float))
            return {"a": len(arrays) - 1}
        return {"f": float(value)}

    items = [[item(arg) for arg in args] for args in arg_lists]
    stored = {name: item(value) for name, value in store.items()}
    specs = [{"dtype": a.dtype.str, "shape": list(a.shape)} for a in arrays]
    if arena is None or CONTROL + sum(a.nbytes + 64 for a in arrays) > len(arena) // 2:
        return specs, arrays, items, stored
    offset = CONTROL
    for array, spec in zip(arrays, specs):
        np.frombuffer(arena, array.dtype, array.size, offset).reshape(array.shape)[...] = array
        spec["offset"] = offset
        offset += -(-array.nbytes // 64) * 64 or 64
    return specs, [], items, stored


def _message(header: dict, inline: list[np.ndarray]) -> list:
    data = json.dumps(header).encode()
    return [struct.pack("<I", len(data)) + data] + [memoryview(a.reshape(-1)).cast("B") for a in inline if a.size]


def header_length(prefix: bytes) -> int:
    (length,) = struct.unpack("<I", prefix)
    if length > MAX_HEADER:
        raise Malformed(f"a reply header of {length:,} bytes (limit {MAX_HEADER:,})")
    return length


def parse_header(data: bytes, arena_size: int = 0) -> tuple[dict, list[tuple[np.dtype, tuple[int, ...], int | None]]]:
    """The JSON header and the (dtype, shape, arena offset or None) of each array, all
    checked: an array in the arena must lie inside its second half (the results')."""
    try:
        header = json.loads(bytes(data))
    except (ValueError, RecursionError) as exc:
        raise Malformed(f"a reply that is not JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict):
        raise Malformed("a reply that is not a JSON object")
    specs = header.get("arrays", [])
    if not isinstance(specs, list) or len(specs) > MAX_ARRAYS:
        raise Malformed("a bad list of arrays")
    arrays, total = [], 0
    for spec in specs:
        if not isinstance(spec, dict) or spec.get("dtype") not in DTYPES:
            raise Malformed(f"an array of dtype {str(spec.get('dtype') if isinstance(spec, dict) else spec)[:40]!r}")
        shape = spec.get("shape")
        if not isinstance(shape, list) or len(shape) > MAX_RANK or not all(type(n) is int and 0 <= n < 2**40 for n in shape):
            raise Malformed("an array with a bad shape")
        dtype = np.dtype(spec["dtype"])
        nbytes = math.prod(shape) * dtype.itemsize
        total += nbytes
        if total > MAX_REPLY_BYTES:
            raise Malformed(f"more than {MAX_REPLY_BYTES >> 20} MB of arrays in one reply")
        offset = spec.get("offset")
        if offset is not None and (type(offset) is not int or offset < arena_size // 2 or offset + nbytes > arena_size):
            raise Malformed("an array outside the shared memory's result half")
        arrays.append((dtype, tuple(shape), offset))
    return header, arrays


def reply_of(header: dict, arrays: list[np.ndarray]) -> Reply:
    """A Reply from a checked header and its arrays; anything unexpected is Malformed."""
    reply = Reply()
    if "error" in header:
        reply.error = _text(header.get("error"), 100) or "Exception"
        reply.message = _text(header.get("message"), 500)
        where = header.get("where")
        if isinstance(where, list) and len(where) == 3 and type(where[1]) is int:
            reply.where = (_text(where[0], 100), where[1], _text(where[2], 100) or None)
        return reply
    if "value" not in header:
        raise Malformed("a reply with neither a value nor an error")
    reply.value = _value(header["value"], arrays, top=True)
    seconds = header.get("seconds", 0.0)
    reply.seconds = float(seconds) if type(seconds) in (int, float) and 0 <= seconds < 1e6 else 0.0
    mutated = header.get("mutated", [])
    if not isinstance(mutated, list) or not all(type(i) is int for i in mutated):
        raise Malformed("a bad list of changed arguments")
    reply.mutated = tuple(mutated)
    return reply


def batch_replies(header: dict, arrays: list[np.ndarray], calls: int) -> list[Reply]:
    """The replies of a list of ``calls`` calls, in order: a value for each call evaluated,
    then (when one raised) its error, which ends the list. Each call's value is an index
    into the header's ``values`` (each checked once, and shared by the calls that name
    it: a Described is immutable), its seconds an entry of one float array. Anything
    unexpected is Malformed."""
    results, items = header.get("results"), header.get("values")
    if not isinstance(results, list) or len(results) > calls or not isinstance(items, list) or len(items) > MAX_CALLS:
        raise Malformed("a bad list of results")
    values = [_value(item, arrays, top=True) for item in items]
    seconds = _value(header.get("seconds"), arrays)
    if not isinstance(seconds, np.ndarray) or seconds.dtype != np.float64 or seconds.shape != (len(results),) \
            or not np.all((seconds >= 0) & (seconds < 1e6)):  # NaN fails too
        raise Malformed("a bad list of times")
    replies = []
    for index, time in zip(results, seconds.tolist()):
        if type(index) is not int or not 0 <= index < len(values):
            raise Malformed("a bad result in a list")
        replies.append(Reply(values[index], seconds=time))
    if "error" in header:
        if header.get("call") != len(results) or len(results) >= calls:
            raise Malformed("an error for a call it was not running")
        replies.append(reply_of(header, arrays))
    return replies


def _value(item, arrays, top=False):
    if not isinstance(item, dict) or len(item) != 1:
        raise Malformed("a bad value")
    (kind, content), = item.items()
    if kind == "tuple" and top and isinstance(content, list) and len(content) <= MAX_ARRAYS:
        return tuple(_value(v, arrays) for v in content)
    if kind == "a" and type(content) is int and 0 <= content < len(arrays):
        return arrays[content]
    if kind == "f" and type(content) in (float, int):
        return float(content)
    if kind == "i" and type(content) is int and abs(content) < 2**63:
        return content
    if kind == "b" and type(content) is bool:
        return content
    if kind == "none":
        return None
    if kind == "held" and isinstance(content, dict):
        dtype, shape = content.get("dtype"), content.get("shape")
        if dtype in DTYPES and isinstance(shape, list) and len(shape) <= MAX_RANK and all(type(n) is int and 0 <= n < 2**40 for n in shape):
            return Described(np.dtype(dtype), tuple(shape))
    if kind == "other":
        return Other(_text(content, 100))
    raise Malformed("a bad value")


def _text(value, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""
