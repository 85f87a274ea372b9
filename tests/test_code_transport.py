"""The list protocol (one training step in one message, the values kept in the child):
values stored and kept by name and referred to by later lists, only fetched values
crossing back whole (the others as their shape), values passed by copy, an exception
mid-list, the expected shapes, a call that never returns, and replies the parent
refuses. Each expected value is worked out here with numpy from the functions'
definitions below, not taken from hwcheck.

The child runs under bubblewrap when it is installed, else with its limits alone (the
protocol is the same either way).
"""

from __future__ import annotations

import numpy as np
import pytest

from hwcheck.code import protocol
from hwcheck.code.protocol import Call, Described, Held, Malformed
from hwcheck.code.sandbox import Child, ChildFailed, Limits, find_bwrap
from hwcheck.code.train import CallFailed, in_process

MODULE = '''
import numpy as np

CALLS = 0

def affine(x, w, b):
    return x @ w + b

def relu(x):
    return np.maximum(x, 0.0)

def bump(a):
    a += 1.0  # in place, and returned: the caller's copy must not see it
    return a

def pair(a):
    return a * 2.0, a.sum()

def count():
    global CALLS
    CALLS += 1
    return float(CALLS)

def boom(a):
    raise ValueError("no good")

def big():
    return np.zeros(5_000_000)  # 40 MB: one fits in a reply, two do not

def spin():
    while True:
        pass

def twin(a):
    return a, a  # one object, kept under two names

CACHE = np.array([1.0, 2.0])

BUMPS = 0

def counted_bump(a):
    global BUMPS
    BUMPS += 1
    a += 1.0
    return a

def bumps():
    return float(BUMPS)

def counted_step(param, dparam, lr):
    global BUMPS
    BUMPS += 1
    param -= lr * dparam
    return param

OUT = np.zeros(2)

def view(a):
    return a[:]  # shares the argument's memory

def into(x):
    np.maximum(x, 0.0, out=OUT)  # a buffer of its own, returned at every call
    return OUT

def cached():
    return CACHE  # the same object at every call
'''


@pytest.fixture
def child(tmp_path):
    (tmp_path / "hw4.py").write_text(MODULE)
    started = Child(str(tmp_path / "hw4.py"), "hw4", Limits(timeout=2.0), find_bwrap())
    assert started.start().error is None
    yield started
    started.close()


def test_kept_values_are_used_by_later_lists_and_only_fetched_ones_cross(child):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    replies = child.run([Call("affine", (Held("x"), Held("w"), Held("b")), ("h",)),
                         Call("relu", (Held("h"),), ("r",))], store={"x": x, "w": w, "b": b})
    assert [r.error for r in replies] == [None, None]
    # kept and not fetched: only the dtype and shape crossed
    assert replies[0].value == Described(np.dtype("float64"), (4, 5))
    assert replies[1].value == Described(np.dtype("float64"), (4, 5))
    hidden = x @ w + b
    # a later list refers to the kept values by name; it fetches pair's two values
    (reply,) = child.run([Call("pair", (Held("r"),), ("d", "s"), frozenset({"d", "s"}))])
    doubled, total = reply.value
    np.testing.assert_allclose(doubled, 2 * np.maximum(hidden, 0.0))
    assert total == pytest.approx(np.maximum(hidden, 0.0).sum())
    # numbers always cross whole, kept or not; fetching one of two values leaves the other described
    (reply,) = child.run([Call("pair", (Held("h"),), ("d", "s"), frozenset({"s"}))])
    assert reply.value == (Described(np.dtype("float64"), (4, 5)), pytest.approx(hidden.sum()))


def test_kept_arrays_do_not_cross_the_reply_cap(child):
    # big() returns 40 MB: two fetched exceed a reply's cap (below), two kept cross as shapes
    replies = child.run([Call("big", (), ("a",)), Call("big", (), ("b",)), Call("relu", (Held("b"),), ("c",), frozenset({"c"}))])
    assert [r.value for r in replies[:2]] == [Described(np.dtype("float64"), (5_000_000,))] * 2
    assert replies[2].value.shape == (5_000_000,) and not replies[2].value.any()


def test_values_cross_by_value_inside_the_child(child):
    a = np.array([1.0, 2.0])
    fetch = frozenset({"a1", "a2", "r"})
    replies = child.run([Call("bump", (Held("a"),), ("a1",), fetch), Call("bump", (Held("a1"),), ("a2",), fetch),
                         Call("relu", (Held("a1"),), ("r",), fetch)], store={"a": a})
    # bump changes its argument in place: each call got a copy, so the kept a and a1 are
    # unchanged, as if each value had crossed to hwcheck and back
    np.testing.assert_array_equal(replies[0].value, [2.0, 3.0])
    np.testing.assert_array_equal(replies[1].value, [3.0, 4.0])
    np.testing.assert_array_equal(replies[2].value, [2.0, 3.0])
    (again,) = child.run([Call("relu", (Held("a"),), ("r",), frozenset({"r"}))])
    np.testing.assert_array_equal(again.value, [1.0, 2.0])
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_a_function_that_writes_its_input_is_called_again_with_a_copy_once(child):
    # a last read needs no guard: the value itself, writable, one call each
    replies = child.run([Call("counted_bump", (Held("a", last=True),), ("a",), frozenset({"a"}))], store={"a": np.array([1.0, 2.0])}, repeat=3)
    assert [r.value.tolist() for r in replies] == [[2.0, 3.0], [3.0, 4.0], [4.0, 5.0]]
    (count,) = child.run([Call("bumps")])
    assert count.value == 3.0
    # a value read again later: the first call gets the kept array read-only, numpy
    # refuses the write before it changes anything, and the call is made again with a
    # copy; later calls get copies
    fetch = frozenset({"b"})
    replies = child.run([Call("counted_bump", (Held("a"),), ("b",), fetch)], store={"a": np.array([1.0, 2.0])}, repeat=3)
    assert [r.value.tolist() for r in replies] == [[2.0, 3.0]] * 3  # a itself never changed
    (count,) = child.run([Call("bumps")])
    assert count.value == 3.0 + 4.0  # three calls, the first made twice


def test_an_in_place_update_of_its_last_read_is_called_once_though_it_reads_more(child):
    # sgd_step(W, dW, lr): W is read for the last time, dW and lr again later (by the
    # next step's own list); only dW is guarded, so the write into W needs no second call
    fetch = frozenset({"w"})
    store = {"w": np.array([1.0, 2.0]), "dw": np.array([0.5, -0.5]), "lr": np.array(0.1)}
    (before,) = child.run([Call("bumps")])
    replies = child.run([Call("counted_step", (Held("w", last=True), Held("dw"), Held("lr")), ("w",), fetch)], store=store, repeat=3)
    assert [r.error for r in replies] == [None] * 3
    np.testing.assert_allclose(replies[-1].value, [1.0 - 3 * 0.05, 2.0 + 3 * 0.05])  # w − 3·0.1·dw
    (after,) = child.run([Call("bumps")])
    assert after.value - before.value == 3.0  # three steps, three calls


def test_a_function_may_return_a_buffer_of_its_own_at_every_call(child):
    # the kept value is that buffer: it is read-only only while passed as an argument
    fetch = frozenset({"r", "s"})
    replies = child.run([Call("into", (Held("a"),), ("r",), fetch), Call("relu", (Held("r"),), ("s",), fetch)],
                        store={"a": np.array([-1.0, 2.0])}, repeat=3)
    assert [r.error for r in replies] == [None] * 6
    assert all(r.value.tolist() == [0.0, 2.0] for r in replies)


def test_a_last_read_hands_over_the_value_itself(child):
    fetch = frozenset({"b", "r"})
    replies = child.run([Call("bump", (Held("a", last=True),), ("b",), fetch), Call("relu", (Held("a"),), ("r",), fetch)], store={"a": np.array([1.0, 2.0])})
    np.testing.assert_array_equal(replies[0].value, [2.0, 3.0])
    assert replies[1].error == "missing-value"  # taken out of the table: nothing can read it changed


def test_one_object_returned_twice_is_kept_as_two_values(child):
    fetch = frozenset({"r"})
    replies = child.run([Call("twin", (Held("a"),), ("p", "q")), Call("bump", (Held("p", last=True),), ("r",), fetch),
                         Call("relu", (Held("q"),), ("r",), fetch)], store={"a": np.array([1.0, 2.0])})
    np.testing.assert_array_equal(replies[1].value, [2.0, 3.0])
    np.testing.assert_array_equal(replies[2].value, [1.0, 2.0])  # q did not change with p


def test_one_object_returned_by_two_calls_is_kept_as_two_values(child):
    fetch = frozenset({"r"})
    replies = child.run([Call("cached", (), ("p",)), Call("cached", (), ("q",)), Call("bump", (Held("p", last=True),), ("r",), fetch),
                         Call("relu", (Held("q"),), ("r",), fetch)], store={})
    np.testing.assert_array_equal(replies[2].value, [2.0, 3.0])
    np.testing.assert_array_equal(replies[3].value, [1.0, 2.0])  # q did not change with p


def test_a_view_of_an_argument_is_kept_as_a_copy(child):
    fetch = frozenset({"b", "r"})
    replies = child.run([Call("view", (Held("a"),), ("v",)), Call("bump", (Held("a", last=True),), ("b",), fetch),
                         Call("relu", (Held("v"),), ("r",), fetch)], store={"a": np.array([1.0, 2.0])})
    np.testing.assert_array_equal(replies[1].value, [2.0, 3.0])
    np.testing.assert_array_equal(replies[2].value, [1.0, 2.0])  # v did not change with a


def test_a_store_replaces_the_kept_values(child):
    child.run([Call("relu", (Held("x"),), ("y",))], store={"x": np.ones(2)})
    replies = child.run([Call("relu", (Held("x"),), ("z",))], store={"w": np.ones(2)})
    assert replies[0].error == "missing-value" and "'x'" in replies[0].message


def test_a_value_not_returned_is_not_kept(child):
    # pair returns two values; three names asked: the third is dropped, not left stale
    child.run([Call("relu", (Held("a"),), ("c",))], store={"a": np.ones(2)})
    replies = child.run([Call("pair", (Held("a"),), ("x", "s", "c")), Call("relu", (Held("c"),), ("d",))])
    assert replies[0].error is None and replies[1].error == "missing-value"


def test_an_exception_mid_list_names_its_call_and_stops_the_list(child):
    replies = child.run([Call("count"), Call("boom", (np.ones(2),)), Call("count")])
    assert len(replies) == 2
    assert replies[0].value == 1.0
    assert replies[1].error == "ValueError" and replies[1].message == "no good"
    assert replies[1].where == ("hw4.py", 25, "boom")  # the line of the raise in MODULE
    (after,) = child.run([Call("count")])
    assert after.value == 2.0  # the third call of the list never ran


def test_a_list_made_several_times_over(child):
    # one step's calls written once, made three times: count() runs 1, 2, 3; relu of the
    # kept value each time; the replies in order, one per call made
    replies = child.run([Call("count", (), ("c",)), Call("relu", (Held("a"),), ("r",), frozenset({"r"}))], store={"a": np.array([-1.0, 2.0])}, repeat=3)
    assert [r.value for r in replies[::2]] == [1.0, 2.0, 3.0]
    assert all(r.value.tolist() == [0.0, 2.0] for r in replies[1::2])
    # the list still stops at an exception, in the middle of a repeat
    replies = child.run([Call("count"), Call("boom", (np.ones(2),))], repeat=5)
    assert [r.value for r in replies[:1]] == [4.0] and replies[1].error == "ValueError" and len(replies) == 2


def test_a_missing_function_mid_list(child):
    replies = child.run([Call("relu", (np.array([-1.0]),)), Call("nothing")])
    assert replies[0].value.tolist() == [0.0]
    assert replies[1].error == "missing" and "no function nothing" in replies[1].message


def test_the_list_stops_after_a_value_of_another_shape(child):
    x = np.ones((2, 3))
    # the caller expects relu's value to have shape (3,): the list stops after it
    replies = child.run([Call("relu", (x,), ("r",), expect=((3,),)), Call("count")])
    assert len(replies) == 1 and replies[0].value == Described(np.dtype("float64"), (2, 3))
    replies = child.run([Call("relu", (x,), ("r",), expect=((2, 3),)), Call("pair", (Held("r"),), ("d", "s"), expect=((2, 3), ())),
                         Call("count", expect=((),))])
    assert len(replies) == 3 and replies[2].value == 1.0  # every value as expected: all three ran
    replies = child.run([Call("pair", (x,), expect=((2, 3),)), Call("count")])  # two values, one expected
    assert len(replies) == 1


def test_a_reply_too_large_is_refused(child):
    with pytest.raises(ChildFailed) as failed:
        child.run([Call("big"), Call("big")])
    assert failed.value.code == "crashed"
    assert f"more than {protocol.MAX_REPLY_BYTES >> 20} MB of arrays in one reply" in failed.value.message
    assert not child.alive


def test_a_call_that_never_returns_is_timed_and_named(child):
    with pytest.raises(ChildFailed) as failed:
        child.run([Call("relu", (np.ones(3),)), Call("spin"), Call("count")])
    assert failed.value.code == "timeout"
    assert failed.value.call == 1
    assert "while calling spin (call 2 of the list)" in failed.value.message
    assert not child.alive


def listed(results, values, seconds=None, **fields):
    """A list reply's header and arrays as the child sends them: each call's value an index
    into ``values``, the seconds one float array (here 0.5 ms per call unless given)."""
    times = np.full(len(results), 5e-4) if seconds is None else np.asarray(seconds)
    return {"results": results, "values": values, "seconds": {"a": 0}, **fields}, [times]


def test_the_parent_reads_a_list_reply_with_shared_values():
    held = {"held": {"dtype": "<f8", "shape": [3, 4]}}
    header, arrays = listed([0, 1, 0, 2], [held, {"f": 1.5}, {"tuple": [held, {"i": 7}]}], [1e-3, 2e-3, 3e-3, 4e-3])
    replies = protocol.batch_replies(header, arrays, 4)
    assert [r.value for r in replies] == [Described(np.dtype("float64"), (3, 4)), 1.5, Described(np.dtype("float64"), (3, 4)),
                                          (Described(np.dtype("float64"), (3, 4)), 7)]
    assert [r.seconds for r in replies] == [1e-3, 2e-3, 3e-3, 4e-3]
    # an error ends the list: it is the call after the last result
    header, arrays = listed([0], [{"f": 1.0}], error="ValueError", message="no good", where=["hw4.py", 3, "f"], call=1)
    replies = protocol.batch_replies(header, arrays, 3)
    assert replies[0].value == 1.0 and (replies[1].error, replies[1].where) == ("ValueError", ("hw4.py", 3, "f"))


def test_the_parent_refuses_malformed_list_replies():
    value = {"f": 1.0}
    refused = [
        listed([0, 0, 0], [value]),  # more results than calls (2 below)
        listed([0], [value], error="ValueError", call=0),  # an error for call 0, after its result
        listed([0, 0], [value], error="ValueError", call=2),  # an error beyond the list
        listed([1], [value]),  # an index past the values
        listed([-1], [value]),
        listed([True], [value]),  # not an int
        listed([0], [{"error": "x"}]),
        listed([0], ["everything"]),
        ({"results": "everything", "values": [value], "seconds": {"a": 0}}, [np.zeros(0)]),
        ({"results": [0], "values": [value]}, [np.zeros(1)]),  # no times
        ({"results": [0], "values": [value], "seconds": {"a": 1}}, [np.zeros(1)]),  # times outside the arrays
        listed([0], [value], [1e-3, 1e-3]),  # a time per call: not two
        listed([0], [value], [-1.0]),
        listed([0], [value], [np.nan]),
        listed([0], [value], np.array([1], dtype="<i8")),
    ]
    for bad in ({"dtype": "|O", "shape": [2]}, {"dtype": "<f8", "shape": [-1]}, {"dtype": "<f8", "shape": [1] * 9}, {"dtype": "<f8"}, ["<f8"]):
        refused.append(listed([0], [{"held": bad}]))
    for header, arrays in refused:
        with pytest.raises(Malformed):
            protocol.batch_replies(header, arrays, 2)
    with pytest.raises(ValueError):
        protocol.batch_request([Call("f")] * (protocol.MAX_CALLS + 1))
    with pytest.raises(ValueError):
        protocol.batch_request([Call("f"), Call("g")], repeat=protocol.MAX_CALLS // 2 + 1)


def test_the_in_process_runner_keeps_values_by_name_and_stops_at_a_failure():
    def call(function, args):
        if function == "fail":
            raise CallFailed("failed", "raised")
        return (sum(args), -sum(args)) if function == "pair" else (sum(args),)

    run = in_process(call)
    assert run([Call("add", (Held("a"), 2.0), ("s",)), Call("pair", (Held("s"), 4.0), ("p", "m"))], {"a": 1.0}) == [(3.0,), (7.0, -7.0)]
    assert run([Call("add", (Held("m"), Held("s")), ("t",))]) == [(-4.0,)]  # values kept from the list before
    results = run([Call("add", (1.0,)), Call("fail"), Call("add", (2.0,))])
    assert results[0] == (1.0,) and isinstance(results[1], CallFailed) and len(results) == 2
    assert run([Call("add", (Held("t"),), ("u", "v")), Call("add", (Held("v"),))]) == [(-4.0,)]  # v was not returned
    assert run([Call("add", (Held("t"),))], {}) == []  # a store replaces the table
    assert run([Call("add", (Held("a"), 1.0), ("a",))], {"a": 0.0}, 3) == [(1.0,), (2.0,), (3.0,)]  # made 3 times over
