"""Benchmark: code problems — sandbox start, one call, and a class — as ratios in one run.

Measured in the same process, against baselines taken in the same run:

1. the fixed cost per submission (sandbox start + `import numpy` + import of the student's
   module + shutting it down) against a bare ``python -c "import numpy"`` (target ≤ 1.5×);
2. one call round trip (arguments in, result out) of ``relu_forward`` on a (4, 5) and a
   (300, 100) array, against the same numpy operation in-process;
3. the training task alone (1,000 steps, 13 calls each, 78 steps per message, the values
   kept in the child), run by the grader's own runner, in the sandbox against the same
   training with the student's functions imported in-process (in this process, which
   runs with the child's malloc settings: sandbox.MALLOC), and against the sandbox with
   every value crossing in every call (one message per call, the first protocol); the
   sandboxed time split into the students' functions (the child's clock), the transport
   (the rest of the time spent waiting on the child: the pipe, both processes' wake-ups,
   JSON, the child's copies of arguments and bookkeeping) and hwcheck's own loop and
   checks; and the page faults of one step in the child;
4. a class of N submissions of ``problems/numpy_net.yaml`` (the contract's carol and
   dave, alternating; training included), graded with -j = the machine's cores: the
   wall time, per submission, and the share of the time spent inside the students' own
   functions (as the child measures it, summed, over wall time × jobs).

    .venv/bin/python bench/bench_code.py [--students N] [--repeat R]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One BLAS thread, as in the child (sandbox.ENVIRONMENT): the in-process baseline must not
# get a second core the sandboxed run is denied. Set before numpy is imported.
os.environ.update({name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")})

from hwcheck.code import sandbox  # noqa: E402
from hwcheck.code.sandbox import MALLOC  # noqa: E402

# The child's malloc settings here too (read by the C library at start: hence the
# re-exec), so that the in-process baseline differs from the child only by the sandbox
# and the transport.
if any(os.environ.get(key) != value for key, value in MALLOC.items()):
    os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **MALLOC})

import numpy as np  # noqa: E402

import hwcheck  # noqa: E402
from hwcheck.code.grade import CodeGrader, _Session  # noqa: E402
from hwcheck.code.protocol import MAX_CALLS, Call  # noqa: E402
from hwcheck.code.sandbox import Child, Limits, find_bwrap  # noqa: E402
from hwcheck.code.load import Line  # noqa: E402
from hwcheck.code.train import _calls, _start, in_process, reference_shapes, train  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "numpy_net.yaml"
CAROL = ROOT / "tests" / "contract" / "submissions" / "carol" / "hw4.py"
DAVE = ROOT / "tests" / "contract" / "submissions" / "dave" / "hw4.py"


def best(times: list[float]) -> float:
    return min(times)


FAULTS = "\n\ndef faults():\n    import resource\n    return float(resource.getrusage(resource.RUSAGE_SELF).ru_minflt)\n"


@contextlib.contextmanager
def default_malloc():
    """Children started inside run with glibc's default malloc settings (the baseline)."""
    saved = dict(sandbox.ENVIRONMENT)
    for key in MALLOC:
        del sandbox.ENVIRONMENT[key]
    try:
        yield
    finally:
        sandbox.ENVIRONMENT.update(saved)


def step_faults(recipe, bwrap) -> float:
    """Minor page faults per training step in the child, after 20 steps of warming up."""
    folder = Path(tempfile.mkdtemp(prefix="hwcheck-bench-"))
    (folder / "hw4.py").write_text(CAROL.read_text() + FAULTS)
    updates = [Line((n,), recipe.update, (n, f"d{n}", "lr"), "") for n in recipe.params]
    calls = _calls([*recipe.forward, *recipe.backward, *updates], None, set())
    child = Child(str(folder / "hw4.py"), "hw4", Limits(), bwrap)
    try:
        child.start()
        child.run(calls, _start(recipe), repeat=20)
        (before,) = child.run([Call("faults")])
        child.run(calls, repeat=50)
        (after,) = child.run([Call("faults")])
    finally:
        child.close()
        shutil.rmtree(folder, ignore_errors=True)
    return (after.value - before.value) / 50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20, help="class size (the issue's full run: 200; 0: no class)")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--training-repeat", type=int, default=3)
    options = parser.parse_args()
    bwrap = find_bwrap()
    print(f"sandbox: {'bubblewrap ' + bwrap if bwrap else 'none (limits only)'}; cores: {os.cpu_count()}")

    # 1. fixed cost per submission
    bare, sandboxed = [], []
    for _ in range(options.repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numpy"], check=True)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        child = Child(str(CAROL), "hw4", Limits(), bwrap)
        child.start()
        child.close()
        sandboxed.append(time.perf_counter() - started)
    print(f"1. fixed cost per submission: {best(sandboxed) * 1e3:.0f} ms vs python -c 'import numpy' {best(bare) * 1e3:.0f} ms: "
          f"{best(sandboxed) / best(bare):.2f}x (target <= 1.5x)")

    # 2. one call round trip
    child = Child(str(CAROL), "hw4", Limits(), bwrap)
    child.start()
    for shape in ((4, 5), (300, 100)):
        x = np.random.default_rng(0).standard_normal(shape)
        calls = 300
        started = time.perf_counter()
        for _ in range(calls):
            child.call("relu_forward", [x], check_inputs=False)
        remote = (time.perf_counter() - started) / calls
        started = time.perf_counter()
        for _ in range(calls * 10):
            np.maximum(x, 0.0)
        local = (time.perf_counter() - started) / (calls * 10)
        print(f"2. one call relu_forward{shape}: {remote * 1e6:.0f} us vs in-process {local * 1e6:.1f} us: {remote / local:.0f}x")
    child.close()

    # 3. the training alone
    problem = hwcheck.load_problem(PROBLEM)
    recipe = next(t.train for t in problem.tasks if t.train)
    shapes = reference_shapes(recipe, problem.reference.call)
    spec = importlib.util.spec_from_file_location("hw4_bench", CAROL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def local_call(function, args):
        result = getattr(module, function)(*args)
        return result if isinstance(result, tuple) else (result,)

    def remote_call(function, args):
        value = child.call(function, args, check_inputs=False).value
        return value if isinstance(value, tuple) else (value,)

    grader = CodeGrader(problem, Limits(), bwrap)

    def sandboxed():
        """One training by the grader's runner in a fresh child: (wall, seconds waiting on
        the child, seconds inside the students' functions by the child's clock)."""
        session = _Session(grader, str(CAROL))
        session._ready()
        run, waited = session.child.run, [0.0]

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return run(*args, **kwargs)
            finally:
                waited[0] += time.perf_counter() - started

        session.child.run = timed
        try:
            started = time.perf_counter()
            result = train(recipe, session.run, shapes)
            wall = time.perf_counter() - started
        finally:
            session.close()
        assert result.reached, result.failure
        return wall, waited[0], session.seconds

    # Alternated, best of --training-repeat each: the machine's load changes between runs.
    in_process_times, kept, call_by_call, defaults = [], [], [], []
    for _ in range(options.training_repeat):
        started = time.perf_counter()
        result = train(recipe, in_process(local_call), shapes)
        in_process_times.append(time.perf_counter() - started)
        kept.append(sandboxed())
        with default_malloc():
            defaults.append(sandboxed())
        child = Child(str(CAROL), "hw4", Limits(), bwrap)
        child.start()
        started = time.perf_counter()
        train(recipe, in_process(remote_call), shapes)
        call_by_call.append(time.perf_counter() - started)
        child.close()
    local, single = best(in_process_times), best(call_by_call)
    total, waited, student = min(kept)  # the split of the fastest sandboxed run
    transport = waited - student
    per_list = MAX_CALLS // (len(recipe.forward) + len(recipe.backward) + len(recipe.params))
    print(f"3. training ({recipe.steps} steps, accuracy {result.accuracy:.3f}), best of {options.training_repeat}: values kept in the child, "
          f"{per_list} steps per message: {total:.2f} s sandboxed vs {local:.2f} s in-process: {total / local:.2f}x; "
          f"every value crossing in every call: {single:.2f} s: {single / local:.1f}x")
    print(f"   of the {total:.2f} s sandboxed: students' functions (the child's clock) {student:.2f} s = {student / total:.0%}; "
          f"transport {transport:.2f} s = {transport / total:.0%}; hwcheck's loop and checks {total - waited:.2f} s = "
          f"{(total - waited) / total:.0%}")
    with default_malloc():
        faults = step_faults(recipe, bwrap)
    wall, waited, student = min(defaults)
    print(f"   the child with glibc's default malloc settings: {wall:.2f} s: {wall / local:.2f}x; students' functions {student / wall:.0%}, "
          f"transport {(waited - student) / wall:.0%}; page faults a step in the child: {step_faults(recipe, bwrap):.1f} vs {faults:.1f} by default")

    # 4. a class
    if not options.students:
        return
    folder = Path(tempfile.mkdtemp(prefix="hwcheck-bench-"))
    try:
        paths = []
        for i in range(options.students):
            target = folder / f"s{i:03d}"
            target.mkdir()
            shutil.copy(CAROL if i % 2 == 0 else DAVE, target / "hw4.py")
            paths.append(str(target))
        jobs = os.cpu_count() or 1
        grader = CodeGrader(problem, Limits(), bwrap)
        started = time.perf_counter()
        sheets = grader.grade_all(paths, jobs)
        wall = time.perf_counter() - started
        scores = sorted({s.score for s in sheets})
        print(f"4. class of {options.students} (-j {jobs}): {wall:.1f} s, {wall / options.students:.2f} s per submission; "
              f"scores {scores}; time inside students' functions: {grader.student_seconds:.1f} s = "
              f"{grader.student_seconds / (wall * jobs):.0%} of wall x jobs")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
