"""The program that runs inside the sandbox: import the student's module once, serve calls.

    python -I -B child.py SUBMISSION_DIR MODULE LIMITS_JSON

It imports nothing of hwcheck (only the standard library and numpy), because it runs in
a sandbox where hwcheck may not be visible. The parent talks to it over its stdin and
stdout, which it moves to private descriptors at once: the student's code sees stdin as
/dev/null; what it writes to ``sys.stdout`` and ``sys.stderr`` is counted apart and not
kept (only the counts are reported), and its warnings (numpy's "overflow encountered in
exp", say) are recorded instead of written: the first few distinct ones, each with its
category, message and line in the student's files, cross in the replies' ``"warnings"``.

A message, in both directions, is a 4-byte little-endian length, that many bytes of JSON,
then the raw bytes of each array the JSON describes (``{"dtype": "<f8", "shape": [4, 5]}``).
Values inside the JSON are ``{"a": i}`` (the i-th array), ``{"f": x}``, ``{"i": n}``,
``{"b": flag}``, ``{"none": 1}``, ``{"tuple": [...]}``, or ``{"other": "TypeName"}`` for
anything that is not plain data. Nothing is ever pickled. The parent trusts none of it:
it checks every length, dtype and shape before it reads a byte of an array.

Two requests: ``{"op": "call", "function", "args", "check"}`` calls one function;
``{"op": "batch", "calls": [{"function", "args", "keep", "fetch", "expect"}, ...], "repeat": n}``
calls a list of them in order, n times over (n training steps). The child keeps a table of values by name
between requests: a batch's ``"store": {name: value}`` replaces it (a training's data and
initial parameters), and each call's i-th returned value is kept under ``keep[i]``. An
argument may be ``{"h": name}``: the kept value, passed read-only for the call (or as a
fresh copy, see :func:`run_list`: a function that changes its argument in place changes
nothing kept, as if values crossed by value); or ``{"h": name, "last": true}``: the kept
value itself, taken out of the table, when the parent knows no call reads that name
again before a new value is kept under it.
Only the kept values named in ``fetch`` cross back whole; another kept array crosses as
``{"held": {"dtype", "shape"}}`` (its description, for the parent's shape checks), so a
training's activations and parameters stay here and a step's reply is a few dozen
bytes. The reply is ``{"results": [i, ...], "values": [value, ...], "seconds": {"a": j}}``:
call k's value is ``values[results[k]]`` (calls of the same plan whose values are all
described the same share one, so a training's 1,014 calls cross as 13 descriptions and
the losses) and ``seconds``, the j-th array, holds each call's time inside the function.
When call k raised, the reply also has ``"error"`` with ``"call": k``; the list stops at
the first exception, and after the first call whose values are not the ``expect``-ed
count and shapes (the parent will stop there anyway; later calls could only hang or
crash on the wrong value).
Before each call of a list, its index + 1 is written in the first 8 bytes of the shared
memory, so the parent can time each call and name the one that never returned.
"""

import os
import sys

PROTO_IN = os.dup(0)
PROTO_OUT = os.dup(1)
_null = os.open(os.devnull, os.O_RDWR)
os.dup2(_null, 0)
os.dup2(2, 1)  # stray writes to fd 1 go to the parent's log, capped by RLIMIT_FSIZE
os.close(_null)

import importlib  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402

MAX_TEXT = 500
MAX_WARNINGS = 5  # distinct warnings reported per child; the parent caps them too
ARENA = None  # the memory shared with the parent (argv[4]): arguments in its first half, results in its second


def send(header, arrays=()):
    """One message in one writev: a reader woken by the header alone would cost a
    context switch per piece (measured: 150 µs each on a busy machine)."""
    data = json.dumps(header).encode()
    buffers = [struct.pack("<I", len(data)) + data] + [memoryview(a.reshape(-1)).cast("B") for a in arrays if a.size]
    write_all(buffers)


def write_all(buffers):
    views = [memoryview(b) for b in buffers]
    while views:
        written = os.writev(PROTO_OUT, views)
        while views and written >= len(views[0]):
            written -= len(views[0])
            views.pop(0)
        if views:
            views[0] = views[0][written:]


def _read(n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = os.readv(PROTO_IN, [view[got:]])
        if k == 0:
            raise EOFError
        got += k
    return buf


def receive(np):
    (length,) = struct.unpack("<I", _read(4))
    header = json.loads(_read(length))
    arrays = []
    for spec in header.get("arrays", []):
        dtype = np.dtype(spec["dtype"])
        if "offset" in spec:  # in the shared arena: a view, no copy
            count = 1
            for n in spec["shape"]:
                count *= n
            arrays.append(np.frombuffer(ARENA, dtype, count, spec["offset"]).reshape(spec["shape"]))
            continue
        array = np.empty(spec["shape"], dtype=dtype)
        if array.size:
            flat = array.reshape(-1)
            view = memoryview(flat).cast("B")
            got = 0
            while got < len(view):
                k = os.readv(PROTO_IN, [view[got:]])
                if k == 0:
                    raise EOFError
                got += k
        arrays.append(array)
    return header, arrays


def place(arrays, np):
    """Array specs for a reply: in the arena's second half when they fit (each then
    crosses as one memcpy), else inline in the pipe; the inline ones are returned."""
    half = len(ARENA) // 2 if ARENA is not None else 0
    offset, specs, inline = half, [], []
    fits = ARENA is not None and sum(a.nbytes + 64 for a in arrays) <= half
    for array in arrays:
        spec = {"dtype": array.dtype.str, "shape": list(array.shape)}
        if fits:
            np.frombuffer(ARENA, array.dtype, array.size, offset).reshape(array.shape)[...] = array
            spec["offset"] = offset
            offset += -(-array.nbytes // 64) * 64 or 64
        else:
            inline.append(array)
        specs.append(spec)
    return specs, inline


CONTROL = 64  # bytes at the start of the arena: the running call's index + 1, then padding


def decode(item, arrays):
    if "a" in item:
        return arrays[item["a"]]
    if "f" in item:
        return float(item["f"])
    if "i" in item:
        return int(item["i"])
    return None


class Capped:
    """A text stream that counts what is written and keeps nothing."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self):
        self.count = 0

    def write(self, text):
        self.count += len(text) if isinstance(text, str) else 0
        return len(text) if isinstance(text, str) else 0

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def fileno(self):
        raise OSError("output is captured")


class Output:
    """What the student's code wrote: stdout and stderr counted apart (the text is not
    kept: nothing of it reaches a report), and its warnings, recorded in place of their
    text on stderr (a warning from numpy points at a real bug: an overflow, a log of 0)."""

    def __init__(self, folder):
        self.folder = folder
        self.stdout, self.stderr = Capped(), Capped()
        self.warned = []  # [category, message, [file, line] or None], distinct
        self.sent = 0  # of self.warned, the ones already in a reply

    def record(self, message, category, filename, lineno, file=None, line=None):
        """warnings.showwarning: the warning kept (its place when in the student's files)."""
        where = [os.path.basename(filename), lineno] if isinstance(filename, str) and filename.startswith(self.folder) and type(lineno) is int else None
        entry = [str(getattr(category, "__name__", "Warning"))[:100], str(message)[:MAX_TEXT], where]
        if len(self.warned) < MAX_WARNINGS and entry not in self.warned:
            self.warned.append(entry)

    def header(self):
        """The counts so far and the warnings not yet sent, for a reply's header."""
        fields = {"printed": self.stdout.count, "stderr": self.stderr.count}
        if len(self.warned) > self.sent:
            fields["warnings"] = self.warned[self.sent:]
            self.sent = len(self.warned)
        return fields


def returned_values(value, np):
    """The values a function returned, as the parent will see them, and whether they make
    a tuple: a tuple's items; a list as one float array, or as its items when it is
    ragged; anything else alone."""
    if isinstance(value, tuple):
        return value, True
    if isinstance(value, list):
        try:
            return (np.asarray(value, dtype=float),), False
        except (ValueError, TypeError):
            return tuple(value), True
    return (value,), False


def encode(value, np, arrays, depth=0):
    """A returned value as plain data (see the module docstring)."""
    if isinstance(value, tuple) and depth == 0:
        return {"tuple": [encode(v, np, arrays, 1) for v in value]}
    if isinstance(value, list) and depth == 0:
        try:
            converted = np.asarray(value, dtype=float)
        except (ValueError, TypeError):
            return {"tuple": [encode(v, np, arrays, 1) for v in value]}
        value = converted
    if value is None:
        return {"none": 1}
    if isinstance(value, (bool, np.bool_)):
        return {"b": bool(value)}
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return {"i": int(value)} if abs(int(value)) < 2**63 else {"f": float(value)}
    if isinstance(value, (float, np.floating)):
        return {"f": float(value)}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.dtype.fields is None:
        array = np.ascontiguousarray(np.asarray(value))
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        arrays.append(array)
        return {"a": len(arrays) - 1}
    kind = type(value)
    name = getattr(kind, "__name__", "object")
    if isinstance(value, np.ndarray):
        name = f"ndarray of dtype {value.dtype.name}"
    return {"other": str(name)[:100]}


def describe(exc, folder):
    """Type, message and the last line of the student's own files in the traceback."""
    try:
        message = str(exc)[:MAX_TEXT]
    except BaseException:
        message = "(the exception's message could not be shown)"
    where = None
    if isinstance(exc, SyntaxError) and exc.filename and str(exc.filename).startswith(folder):
        where = [os.path.basename(exc.filename), exc.lineno or 0, None]
        message = str(exc.msg)[:MAX_TEXT]
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        if filename.startswith(folder):
            where = [os.path.basename(filename), line, frame.f_code.co_name]
    return {"error": type(exc).__name__[:100], "message": message, "where": where}


def set_limits(limits):
    """Limits on this process and its children; each only lowered, never raised."""

    def cap(which, soft, hard=None):
        _, old_hard = resource.getrlimit(which)
        hard = soft if hard is None else hard
        if old_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, old_hard), min(hard, old_hard)
        resource.setrlimit(which, (soft, hard))

    try:  # the address space numpy already holds, plus the allowance
        with open("/proc/self/statm") as handle:
            in_use = int(handle.read().split()[0]) * resource.getpagesize()
    except OSError:
        in_use = 0
    cap(resource.RLIMIT_AS, in_use + limits["memory"])
    cap(resource.RLIMIT_CPU, limits["cpu"], limits["cpu"] + 5)  # SIGXCPU, then SIGKILL
    cap(resource.RLIMIT_FSIZE, limits["fsize"])
    cap(resource.RLIMIT_NPROC, limits["nproc"])
    cap(resource.RLIMIT_CORE, 0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a file too large is an OSError, not a kill


class Kept:
    """The values kept between requests, by name (see the module docstring).

    A kept array owns its memory, and one object is kept under one name only: a view
    (``return x.T``) or a second name for the same array (``return a, a``, or a function
    returning an object it returned before, or its argument) is kept as a copy, so no
    change in place to one kept value can change another. ``ids`` holds the kept arrays'
    ids, so that check is a set lookup, not a scan of the table."""

    def __init__(self):
        self.values, self.ids = {}, set()

    def replace(self, values, np):
        self.values, self.ids = {}, set()
        for key, value in values.items():
            self.put(key, value, np)

    def put(self, name, value, np):
        self.drop(name)
        if isinstance(value, np.ndarray):
            if id(value) in self.ids or value.base is not None:
                value = value.copy()
            self.ids.add(id(value))
        self.values[name] = value

    def drop(self, name):
        old = self.values.pop(name, None)
        if old is not None:
            self.ids.discard(id(old))

    def take(self, name):
        """The value itself, out of the table (its last read: nothing reads it again)."""
        value = self.values.pop(name)
        self.ids.discard(id(value))
        return value

    def get(self, name):
        return self.values[name]


KEPT = Kept()
COPY, TAKE, CONSTANT = "copy", "take", "constant"  # how a call of a list gets one argument


class Plan:
    """One call of a list, read once for all the times the list is made over: each
    argument as (how, name or value), the names its values are kept under, and which of
    them are fetched (crossing whole)."""

    def __init__(self, index, call, arrays):
        self.index = index
        self.function = call["function"]
        self.args = [((TAKE if item.get("last") else COPY), item["h"]) if "h" in item else (CONSTANT, decode(item, arrays)) for item in call["args"]]
        self.guarded = [j for j, (how, _) in enumerate(self.args) if how is COPY]  # values read again later
        self.keep = call.get("keep", [])
        fetch = set(call.get("fetch", []))
        # the positions of the values that cross whole: all of them when nothing is kept
        self.fetched = None if not self.keep else {j for j, target in enumerate(self.keep) if target in fetch}
        self.expect = call.get("expect")


class Shown:
    """A list's results as they cross: per call made, an index into ``items`` (the
    distinct values, encoded) and the seconds inside the function. A call whose values
    are all described (kept arrays, not fetched) shares its item, and the check of its
    expected shapes, with every earlier call of the same plan whose descriptions are
    the same: a training's 1,014 calls cross as 13 items and the losses, not 1,014
    descriptions. Any other value (a number, a fetched array) is an item of its own."""

    def __init__(self, reply, np):
        self.reply, self.np = reply, np
        self.items, self.results, self.seconds = [], [], []
        self.same = {}  # (plan, tuple?, descriptions) -> (item index, as expected)
        self.dtypes = {}  # dtype -> its little-endian name, or None when not plain numbers

    def add(self, plan, values, many, seconds):
        """Record a call's values; whether they are the count and shapes expected."""
        np = self.np
        keys = []
        if plan.fetched is not None:
            for j, value in enumerate(values):
                if j in plan.fetched or not isinstance(value, np.ndarray):
                    break
                dtype = self.dtypes.get(value.dtype, False)
                if dtype is False:
                    dtype = self.dtypes[value.dtype] = plain_dtype(value.dtype)
                if dtype is None:
                    break
                keys.append((dtype, value.shape))
        if plan.fetched is not None and len(keys) == len(values):
            key = (plan.index, many, tuple(keys))
            known = self.same.get(key)
            if known is None:
                items = [{"held": {"dtype": dtype, "shape": list(shape)}} for dtype, shape in keys]
                known = self.same[key] = (self.item({"tuple": items} if many else items[0]), as_expected(values, plan.expect, np))
            index, expected = known
        else:
            fresh = []
            items = [encode(v, np, fresh, 1) if plan.fetched is None or j in plan.fetched else describe_kept(v, np) for j, v in enumerate(values)]
            first = len(self.reply.specs)
            for array in fresh:
                self.reply.keep(array)
            items = [shift(item, first) for item in items]
            index, expected = self.item({"tuple": items} if many else items[0]), as_expected(values, plan.expect, np)
        self.results.append(index)
        self.seconds.append(seconds)
        return expected

    def item(self, value):
        self.items.append(value)
        return len(self.items) - 1

    def header(self, **fields):
        """The reply's header: the results, the items, and the seconds as one array."""
        seconds = len(self.reply.specs)
        self.reply.keep(self.np.array(self.seconds, dtype="<f8"))
        return {"results": self.results, "values": self.items, "seconds": {"a": seconds}, **fields}


def plain_dtype(dtype):
    """A dtype's little-endian name when it is plain numbers (bool, int, uint, float), else None."""
    if dtype.kind not in "biuf" or dtype.fields is not None:
        return None
    return dtype.newbyteorder("<").str if dtype.byteorder == ">" else dtype.str


WRITERS = set()  # the functions that once failed on a read-only argument: they get copies


def run_list(module, name, calls, repeat, arrays, folder, np):
    """Make a list of calls ``repeat`` times over, in order (see the module docstring);
    the reply's header and its arrays. A fetched array is copied at once into the reply
    (the arena's second half when it fits); a kept one stays in KEPT as it was returned.

    Arguments cross by value, without copying them: a function gets the kept arrays
    themselves, made read-only for the call (all of them, last reads too, when any is
    read again later), so a change in place cannot reach them. A
    function that fails on one (numpy raises ValueError, "assignment destination is
    read-only", at its first write, before it changes anything passed) is called again
    with copies, the values themselves for a last read, and gets copies from then on
    (``WRITERS``): its result is the one it gives with every value crossing by value.
    A function that writes its inputs is thus called twice, once (docs/code.md)."""
    plans = [Plan(i, call, arrays) for i, call in enumerate(calls)]
    reply = Reply(np)
    shown = Shown(reply, np)
    for k in range(len(plans) * repeat):
        plan = plans[k % len(plans)]
        function = getattr(module, plan.function, None)  # looked up at each call, as the student's code may rebind it
        if not callable(function):
            return shown.header(error="missing", message=f"{name}.py has no function {plan.function}", where=None, call=k), reply
        try:
            args = [KEPT.take(what) if how is TAKE else KEPT.get(what) if how is COPY else what for how, what in plan.args]
        except KeyError as missing:  # a value no earlier call returned: the parent stops before this call
            return shown.header(error="missing-value", message=f"no value named {missing}", where=None, call=k), reply
        copying = plan.function in WRITERS
        if copying:
            args = copies(plan, args, np)
        if ARENA is not None:
            struct.pack_into("<q", ARENA, 0, k + 1)
        # read-only: the arrays that are read again later; a last read needs no guard
        # (`sgd_step(W, dW, lr)` may update W in place, and is called once)
        locked = [] if copying else [args[j] for j in plan.guarded if isinstance(args[j], np.ndarray) and args[j].flags.writeable]
        try:
            started = time.perf_counter()
            try:
                for array in locked:
                    array.flags.writeable = False
                result = function(*args)
            except ValueError:
                if not locked:
                    raise
                unlock(locked)
                WRITERS.add(plan.function)
                result = function(*copies(plan, args, np))
            finally:
                unlock(locked)
            seconds = time.perf_counter() - started
            values, many = returned_values(result, np)
            for j, target in enumerate(plan.keep):
                if j < len(values):
                    KEPT.put(target, values[j], np)
                else:
                    KEPT.drop(target)  # not returned: a later call must not get a stale value
            expected = shown.add(plan, values, many, seconds)
        except BaseException as exc:  # the student's code, or its __array__ or __len__ on the way out
            return shown.header(**describe(exc, folder), call=k), reply
        if not expected:
            break
    return shown.header(), reply


def copies(plan, args, np):
    """The arguments as they cross by value: a copy of each kept array but a last read."""
    return [arg.copy() if how is COPY and isinstance(arg, np.ndarray) else arg for (how, _), arg in zip(plan.args, args)]


def unlock(locked):
    for array in locked:
        array.flags.writeable = True
    locked.clear()


def describe_kept(value, np):
    """A kept value as it crosses when not fetched: an array as its description, the rest
    (numbers, None, other types) as themselves."""
    if isinstance(value, np.ndarray):
        dtype = plain_dtype(value.dtype)
        if dtype is not None:
            return {"held": {"dtype": dtype, "shape": list(value.shape)}}
    return encode(value, np, [], 1)


def shift(item, first):
    return {"a": item["a"] + first} if "a" in item else item


class Reply:
    """The arrays of a list's reply, each copied as it is added: into the arena's second
    half while they fit, else into memory of their own to cross in the pipe."""

    def __init__(self, np):
        self.np = np
        self.offset = len(ARENA) // 2 if ARENA is not None else 0
        self.specs, self.inline = [], []

    def keep(self, array):
        spec = {"dtype": array.dtype.str, "shape": list(array.shape)}
        size = -(-array.nbytes // 64) * 64 or 64
        if ARENA is not None and self.offset + size <= len(ARENA):
            self.np.frombuffer(ARENA, array.dtype, array.size, self.offset).reshape(array.shape)[...] = array
            spec["offset"] = self.offset
            self.offset += size
        else:
            self.inline.append(array.copy())
        self.specs.append(spec)


def stored(item, arrays, np):
    """A value to keep, in memory of its own (an argument may lie in the shared memory,
    which the next request overwrites)."""
    value = decode(item, arrays)
    return value.copy() if isinstance(value, np.ndarray) else value


def as_expected(values, expect, np):
    """Whether the values are plain numbers or arrays of the expected count and shapes."""
    if expect is None:
        return True
    if len(values) != len(expect):
        return False
    for value, shape in zip(values, expect):
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf" or value.dtype.fields is not None:
                return False
        elif not isinstance(value, (int, float, np.number, np.bool_)):
            return False
        if shape is not None and (list(value.shape) if isinstance(value, np.ndarray) else []) != shape:
            return False
    return True


def main():
    global ARENA
    folder, name, limits = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    import mmap  # deliberate: loaded here, before set_limits measures the address space in use

    import numpy as np  # deliberate: as above

    if len(sys.argv) > 4:
        fd = os.open(sys.argv[4], os.O_RDWR)
        ARENA = mmap.mmap(fd, os.fstat(fd).st_size)
        os.close(fd)
    set_limits(limits)
    send({"ready": "numpy"})
    out = Output(folder)
    sys.stdout, sys.stderr = out.stdout, out.stderr
    warnings.showwarning = out.record
    sys.path.insert(0, folder)
    try:
        module = importlib.import_module(name)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the import failed
        send({**describe(exc, folder), **out.header()})
        return
    send({"ready": "module", **out.header()})
    while True:
        try:
            request, arrays = receive(np)
        except EOFError:
            return
        if request.get("op") == "batch":
            if "store" in request:
                KEPT.replace({key: stored(item, arrays, np) for key, item in request["store"].items()}, np)
            header, reply = run_list(module, name, request["calls"], request.get("repeat", 1), arrays, folder, np)
            header.update(out.header())
            header["arrays"] = reply.specs
            send(header, reply.inline)
            continue
        if request.get("op") != "call":
            return
        function = getattr(module, request["function"], None)
        if not callable(function):
            send({"error": "missing", "message": f"{name}.py has no function {request['function']}", "where": None, **out.header()})
            continue
        args = [decode(item, arrays) for item in request["args"]]
        check = request.get("check", True)
        before = [a.copy() if check and isinstance(a, np.ndarray) else None for a in args]
        try:
            started = time.perf_counter()
            result = function(*args)
            seconds = time.perf_counter() - started
            returned = []
            header = {"value": encode(result, np, returned), "seconds": seconds}
            header["mutated"] = [i for i, a in enumerate(before) if a is not None and not (args[i].shape == a.shape and np.array_equal(args[i], a, equal_nan=True))]
        except BaseException as exc:
            header, returned = describe(exc, folder), []
        header.update(out.header())
        header["arrays"], inline = place(returned, np)
        send(header, inline)


if __name__ == "__main__":
    main()
