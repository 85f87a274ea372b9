"""The list protocol (one training step in one message): references to earlier results,
values crossing by value, an exception mid-list, the expected shapes, a call that never
returns, and replies the parent refuses. Each expected value is worked out here with
numpy from the functions' definitions below, not taken from hwcheck.

The child runs under bubblewrap when it is installed, else with its limits alone (the
protocol is the same either way).
"""

from __future__ import annotations

import numpy as np
import pytest

from hwcheck.code import protocol
from hwcheck.code.protocol import Malformed, Ref
from hwcheck.code.sandbox import Child, ChildFailed, Limits, find_bwrap
from hwcheck.code.train import CallFailed, one_by_one

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
'''


@pytest.fixture
def child(tmp_path):
    (tmp_path / "hw4.py").write_text(MODULE)
    started = Child(str(tmp_path / "hw4.py"), "hw4", Limits(timeout=2.0), find_bwrap())
    assert started.start().error is None
    yield started
    started.close()


def test_a_reference_to_an_earlier_result(child):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    replies = child.run([("affine", [x, w, b], None), ("relu", [Ref(0, 0)], None), ("pair", [Ref(1, 0)], None)])
    assert [r.error for r in replies] == [None, None, None]
    hidden = x @ w + b
    np.testing.assert_allclose(replies[0].value, hidden)
    np.testing.assert_allclose(replies[1].value, np.maximum(hidden, 0.0))
    doubled, total = replies[2].value  # a tuple: the second value of call 2
    np.testing.assert_allclose(doubled, 2 * np.maximum(hidden, 0.0))
    assert total == pytest.approx(np.maximum(hidden, 0.0).sum())


def test_values_cross_by_value_inside_a_list(child):
    a = np.array([1.0, 2.0])
    replies = child.run([("bump", [a], None), ("bump", [Ref(0, 0)], None), ("relu", [Ref(0, 0)], None)])
    # call 1 changes its copy of call 0's result in place; call 0's result and call 2's
    # argument are still a + 1, as if each had crossed to hwcheck and back
    np.testing.assert_array_equal(replies[0].value, [2.0, 3.0])
    np.testing.assert_array_equal(replies[1].value, [3.0, 4.0])
    np.testing.assert_array_equal(replies[2].value, [2.0, 3.0])
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_an_exception_mid_list_names_its_call_and_stops_the_list(child):
    replies = child.run([("count", [], None), ("boom", [np.ones(2)], None), ("count", [], None)])
    assert len(replies) == 2
    assert replies[0].value == 1.0
    assert replies[1].error == "ValueError" and replies[1].message == "no good"
    assert replies[1].where == ("hw4.py", 25, "boom")  # the line of the raise in MODULE
    (after,) = child.run([("count", [], None)])
    assert after.value == 2.0  # the third call of the list never ran


def test_a_missing_function_mid_list(child):
    replies = child.run([("relu", [np.array([-1.0])], None), ("nothing", [], None)])
    assert replies[0].value.tolist() == [0.0]
    assert replies[1].error == "missing" and "no function nothing" in replies[1].message


def test_the_list_stops_after_a_value_of_another_shape(child):
    x = np.ones((2, 3))
    # the caller expects relu's value to have shape (3,): the list stops after it
    replies = child.run([("relu", [x], [(3,)]), ("count", [], None)])
    assert len(replies) == 1 and replies[0].value.shape == (2, 3)
    replies = child.run([("relu", [x], [(2, 3)]), ("pair", [Ref(0, 0)], [(2, 3), ()]), ("count", [], [()])])
    assert len(replies) == 3 and replies[2].value == 1.0  # every value as expected: all three ran
    replies = child.run([("pair", [x], [(2, 3)]), ("count", [], None)])  # two values, one expected
    assert len(replies) == 1


def test_a_reply_too_large_is_refused(child):
    with pytest.raises(ChildFailed) as failed:
        child.run([("big", [], None), ("big", [], None)])
    assert failed.value.code == "crashed"
    assert f"more than {protocol.MAX_REPLY_BYTES >> 20} MB of arrays in one reply" in failed.value.message
    assert not child.alive


def test_a_call_that_never_returns_is_timed_and_named(child):
    with pytest.raises(ChildFailed) as failed:
        child.run([("relu", [np.ones(3)], None), ("spin", [], None), ("count", [], None)])
    assert failed.value.code == "timeout"
    assert failed.value.call == 1
    assert "while calling spin (call 2 of the list)" in failed.value.message
    assert not child.alive


def test_the_parent_refuses_malformed_list_replies():
    value = {"value": {"f": 1.0}}
    assert [r.value for r in protocol.batch_replies({"results": [value, value]}, [], 2)] == [1.0, 1.0]
    with pytest.raises(Malformed):
        protocol.batch_replies({"results": [value, value, value]}, [], 2)  # more results than calls
    with pytest.raises(Malformed):
        protocol.batch_replies({"results": [value], "error": "ValueError", "call": 0}, [], 3)  # an error for call 0, after its result
    with pytest.raises(Malformed):
        protocol.batch_replies({"results": [value, value], "error": "ValueError", "call": 2}, [], 2)  # beyond the list
    with pytest.raises(Malformed):
        protocol.batch_replies({"results": [{"error": "x"}]}, [], 1)
    with pytest.raises(Malformed):
        protocol.batch_replies({"results": "everything"}, [], 1)
    with pytest.raises(ValueError):
        protocol.batch_request([("f", [], None)] * (protocol.MAX_CALLS + 1))


def test_one_by_one_resolves_references_and_stops_at_a_failure():
    def call(function, args):
        if function == "fail":
            raise CallFailed("failed", "raised")
        return (sum(args), -sum(args)) if function == "pair" else (sum(args),)

    run = one_by_one(call)
    assert run([("add", [1.0, 2.0], None), ("pair", [Ref(0, 0), 4.0], None), ("add", [Ref(1, 1), Ref(0, 0)], None)]) == [(3.0,), (7.0, -7.0), (-4.0,)]
    results = run([("add", [1.0], None), ("fail", [], None), ("add", [2.0], None)])
    assert results[0] == (1.0,) and isinstance(results[1], CallFailed) and len(results) == 2
    assert run([("add", [1.0], None), ("add", [Ref(0, 1)], None)]) == [(1.0,)]  # a value call 0 did not return
