"""The training task with its values kept in the sandboxed child (issue 11, part 6), and
what a submission wrote to stdout and stderr (its warnings named with their lines).

Each student is the contract's carol with one function changed so that a fault appears
at a step chosen here (the 25th training update of b2, the 40th training loss, the
30th, and the 80th, in the second list of steps): the
expected step is the one the test planted, not one hwcheck computed. The child runs
under bubblewrap when it is installed, else with its limits alone (the protocol and the
verdicts are the same either way).
"""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

import hwcheck
from hwcheck.code.grade import CodeGrader
from hwcheck.code.protocol import Call, Described
from hwcheck.code.sandbox import Child, Limits, find_bwrap
from hwcheck.code.load import Line
from hwcheck.code.train import _calls, _start, in_process, reference_shapes, train
from support import CONTRACT, PROBLEMS

PROBLEM = PROBLEMS / "numpy_net.yaml"
CAROL = CONTRACT / "submissions" / "carol" / "hw4.py"
DAVE = CONTRACT / "submissions" / "dave" / "hw4.py"
LIMITS = Limits(timeout=20.0)  # generous, for a loaded 2-core machine


@pytest.fixture(scope="module")
def problem():
    return hwcheck.load_problem(PROBLEM)


@pytest.fixture(scope="module")
def grader(problem):
    return CodeGrader(problem, LIMITS, find_bwrap())


def carol_with(tmp_path, name: str, function: str, body: str, prelude: str = "") -> str:
    """Carol's module with ``function``'s body replaced (and ``prelude`` after the import)."""
    source = CAROL.read_text()
    head = next(line for line in source.splitlines() if line.startswith(f"def {function}("))
    start = source.index(head) + len(head) + 1
    end = source.find("\n\n\ndef ", start)
    source = source[:start] + body + (source[end:] if end != -1 else "\n")
    source = source.replace("import numpy as np\n", "import numpy as np\n" + prelude + "\n", 1)
    folder = tmp_path / name
    folder.mkdir()
    (folder / "hw4.py").write_text(source)
    return str(folder)


def training(sheet):
    (result,) = [r for r in sheet.results if r.id == "C9"]
    return result


# Training calls are told apart from the function tasks' calls by their shapes: the
# training's batch is 300 points of 3 classes (b2 has shape (3,), p (300, 3)); the tasks'
# inputs are (3, 5) and (4, 10).
SHAPE_AT_25 = """    global B2_UPDATES
    new = param - lr * dparam
    if param.shape == (3,):
        B2_UPDATES += 1
        if B2_UPDATES == 25:
            return new.reshape(3, 1)
    return new"""

NAN_AT_40 = """    global LOSSES
    loss = -np.sum(y * np.log(np.where(y > 0, p, 1.0))) / p.shape[0]
    if p.shape == (300, 3):
        LOSSES += 1
        if LOSSES == 40:
            return float("nan")
    return loss"""

GROWS_AT_30 = NAN_AT_40.replace("LOSSES == 40", "LOSSES >= 30").replace('float("nan")', "10.0 * loss")


def test_a_shape_change_is_reported_at_its_own_step(grader, tmp_path):
    """Step 25 is in the middle of a list of 78 steps sent together: still named exactly."""
    sheet = grader.grade(carol_with(tmp_path, "shape", "sgd_step", SHAPE_AT_25, "B2_UPDATES = 0"))
    result = training(sheet)
    assert not result.correct and result.mistakes[0] == "shape-changed"
    assert result.feedback.startswith("wrong: at step 25, 'b2 = sgd_step(b2, db2, lr)': b2 has shape (3, 1), but the reference's b2 has shape (3,)")
    assert result.answer == "stopped at step 25 of 1000"
    assert sheet.score == 12 - 2  # every function task right


@pytest.mark.parametrize("step", [40, 80])
def test_a_nan_loss_is_reported_at_its_own_step(grader, tmp_path, step):
    body = NAN_AT_40.replace("LOSSES == 40", f"LOSSES == {step}")
    sheet = grader.grade(carol_with(tmp_path, "nan", "cross_entropy", body, "LOSSES = 0"))
    result = training(sheet)
    assert result.mistakes[0] == "loss-nan"
    assert f"the loss became nan at step {step}" in result.feedback
    assert result.answer == f"stopped at step {step} of 1000"


def test_a_growing_loss_is_reported_at_the_step_it_passes_three_times_the_first(grader, tmp_path):
    sheet = grader.grade(carol_with(tmp_path, "grows", "cross_entropy", GROWS_AT_30, "LOSSES = 0"))
    result = training(sheet)
    assert result.mistakes[0] == "loss-grew"
    # the first loss: the weights start at scale 0.01, so p is close to uniform over 3 classes: ln 3
    first = float(result.feedback.split("grew from ")[1].split(" ")[0])
    assert first == pytest.approx(math.log(3), abs=1e-3)
    assert "at step 30: the training diverges" in result.feedback


def test_a_training_that_does_not_reach_the_target(grader, tmp_path):
    # the parameters never move: the accuracy stays that of the initial random network
    body = "    return param - lr * dparam if param.shape == (3, 5) else param.copy()"
    result = training(grader.grade(carol_with(tmp_path, "still", "sgd_step", body)))
    assert result.mistakes[0] == "not-reached"
    assert "after 1000 steps; needs 0.9" in result.feedback


def test_the_sandboxed_training_is_the_in_process_one_with_only_losses_and_shapes_crossing(problem):
    recipe = next(t.train for t in problem.tasks if t.train)
    shapes = reference_shapes(recipe, problem.reference.call)
    spec = importlib.util.spec_from_file_location("carol_in_process", CAROL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def local(function, args):
        value = getattr(module, function)(*args)
        return value if isinstance(value, tuple) else (value,)

    expected = train(recipe, in_process(local), shapes)
    child = Child(str(CAROL), "hw4", LIMITS, find_bwrap())
    assert child.start().error is None
    lists, crossed = [], []

    def remote(calls, store=None, repeat=1):
        lists.append((len(calls), repeat))
        replies = child.run(calls, store, repeat)
        values = [r.value if isinstance(r.value, tuple) else (r.value,) for r in replies]
        crossed.extend(v for vs in values for v in vs)
        return values

    try:
        got = train(recipe, remote, shapes)
    finally:
        child.close()
    assert got.reached and got.failure is None
    np.testing.assert_allclose(got.losses, expected.losses, rtol=1e-9)
    assert got.accuracy == expected.accuracy and len(got.losses) == 1000
    # 13 calls a step (5 forward, 4 backward, 4 updates), sent once and made for 78 whole
    # steps (1014 of at most 1024 calls a list): 13 lists for 1000 steps (12 of 78, one of
    # 64), then the evaluation's 5 forward calls
    assert lists == [(13, 78)] * 12 + [(13, 64)] + [(5, 1)]
    # what crossed back whole: 1001 losses (floats) and the final predictions; every
    # other value as its dtype and shape only
    arrays = [v for v in crossed if isinstance(v, np.ndarray)]
    assert [a.shape for a in arrays] == [(300, 3)]
    assert sum(isinstance(v, float) for v in crossed) == 1001
    assert all(isinstance(v, (float, Described)) for v in crossed if not isinstance(v, np.ndarray))


def test_numpy_warnings_are_named_with_their_lines_not_counted_as_printing(grader):
    """dave's softmax overflows at logits of 1000: numpy's RuntimeWarnings are feedback."""
    lines = DAVE.read_text().splitlines()
    exp_line = 1 + next(i for i, line in enumerate(lines) if "np.exp(h)" in line)
    sheet = grader.grade(str(DAVE.parent))
    assert sheet.score == 7
    assert sheet.warnings == [f"your code wrote warnings to stderr: RuntimeWarning: overflow encountered in exp (hw4.py line {exp_line}); "
                              f"RuntimeWarning: invalid value encountered in divide (hw4.py line {exp_line + 1})"]


def test_stdout_stderr_and_warnings_are_counted_apart(grader, tmp_path):
    prelude = "import sys, warnings\nprint('hello')\nsys.stderr.write('abc')\nwarnings.warn('careful')"
    folder = carol_with(tmp_path, "noisy", "relu_forward", "    return np.maximum(x, 0.0)", prelude)
    sheet = grader.grade(folder)
    lines = (tmp_path / "noisy" / "hw4.py").read_text().splitlines()
    warn_line = 1 + lines.index("warnings.warn('careful')")
    assert sheet.score == 12
    assert sheet.warnings == [f"your code wrote warnings to stderr: UserWarning: careful (hw4.py line {warn_line})",
                              "your code printed 6 characters to stdout; printed output is not graded or shown",  # 'hello\n'
                              "your code wrote 3 characters to stderr (warnings aside); they are not graded or shown"]


def test_a_quiet_submission_has_no_output_warning(grader):
    assert grader.grade(str(CAROL)).warnings == []


def test_the_last_read_of_each_value_hands_it_over(problem):
    """Worked out by hand from the shipped recipe, read as a cycle of steps: a value is
    handed over (*) where no later line reads it before a line assigns it again."""
    recipe = next(t.train for t in problem.tasks if t.train)
    updates = [Line((n,), recipe.update, (n, f"d{n}", "lr"), "") for n in recipe.params]
    calls = _calls([*recipe.forward, *recipe.backward, *updates], None, set())
    marked = [[a.name + "*" * a.last for a in c.args] for c in calls]
    assert marked == [
        ["x", "w1", "b1"],  # x is never assigned: read again every step; w1 by linear_backward, b1 by its update
        ["x1"],  # read again by relu_backward
        ["x2", "w2", "b2"],
        ["x3*"],
        ["p", "y"],  # p read again by the backward
        ["p*", "y"],
        ["d3*", "x2*", "w2"],
        ["dx2*", "x1*"],
        ["d1*", "x", "w1"],
        ["w1*", "dw1*", "lr"],  # the update assigns w1 itself
        ["b1*", "db1*", "lr"],
        ["w2*", "dw2*", "lr"],
        ["b2*", "db2*", "lr"],
    ]


def test_a_training_step_reuses_the_memory_it_freed(problem, tmp_path):
    """The child's copies of its arguments and the functions' new arrays are 240 kB each:
    given back to the kernel at every free, their pages are faulted in again at every
    step (measured here: about 200 page faults a step with glibc's default settings).
    The child keeps freed memory for the next allocation: under one fault a step."""
    recipe = next(t.train for t in problem.tasks if t.train)
    updates = [Line((n,), recipe.update, (n, f"d{n}", "lr"), "") for n in recipe.params]
    calls = _calls([*recipe.forward, *recipe.backward, *updates], None, set())
    folder = carol_with(tmp_path, "counted", "relu_forward", "    return np.maximum(x, 0.0)",
                        "import resource\ndef faults():\n    return float(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)")
    child = Child(folder, "hw4", LIMITS, find_bwrap())
    try:
        assert child.start().error is None
        child.run(calls, _start(recipe), repeat=20)  # the heap grows to what a step needs
        (before,) = child.run([Call("faults")])
        child.run(calls, repeat=50)
        (after,) = child.run([Call("faults")])
    finally:
        child.close()
    assert after.value - before.value < 50
