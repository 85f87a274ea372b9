"""Benchmark: code problems — sandbox start, one call, and a class — as ratios in one run.

Measured in the same process, against baselines taken in the same run:

1. the fixed cost per submission (sandbox start + `import numpy` + import of the student's
   module + shutting it down) against a bare ``python -c "import numpy"`` (target ≤ 1.5×);
2. one call round trip (arguments in, result out) of ``relu_forward`` on a (4, 5) and a
   (300, 100) array, against the same numpy operation in-process;
3. the training task alone (1,000 steps, 13 calls each, 78 steps per message, the values
   kept in the child) in the sandbox against the same training with the student's
   functions imported in-process, and against the sandbox with every value crossing
   in every call (one message per call, the first protocol); the sandboxed time split
   into the students' functions (the child's clock), the transport (the rest of the
   time spent waiting on the child: the pipe, both processes' wake-ups, JSON, the
   child's copies of arguments) and hwcheck's own loop and checks;
4. a class of N submissions of ``problems/numpy_net.yaml`` (the contract's carol and
   dave, alternating; training included), graded with -j = the machine's cores: the
   wall time, per submission, and the share of the time spent inside the students' own
   functions (as the child measures it, summed, over wall time × jobs).

    .venv/bin/python bench/bench_code.py [--students N] [--repeat R]
"""

from __future__ import annotations

import argparse
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

import numpy as np  # noqa: E402

import hwcheck  # noqa: E402
from hwcheck.code.grade import CodeGrader  # noqa: E402
from hwcheck.code.protocol import MAX_CALLS  # noqa: E402
from hwcheck.code.sandbox import Child, Limits, find_bwrap  # noqa: E402
from hwcheck.code.train import CallFailed, in_process, reference_shapes, train  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = ROOT / "problems" / "numpy_net.yaml"
CAROL = ROOT / "tests" / "contract" / "submissions" / "carol" / "hw4.py"
DAVE = ROOT / "tests" / "contract" / "submissions" / "dave" / "hw4.py"


def best(times: list[float]) -> float:
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=20, help="class size (the issue's full run: 200)")
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

    def remote_run(calls, store=None, repeat=1):  # as the grader's runner, without its checks of each value's type
        started = time.perf_counter()
        replies = child.run(calls, store, repeat)
        waited[0] += time.perf_counter() - started
        inside[0] += sum(r.seconds for r in replies)
        return [CallFailed(r.message, "raised") if r.error else r.value if isinstance(r.value, tuple) else (r.value,) for r in replies]

    def remote_call(function, args):
        value = child.call(function, args, check_inputs=False).value
        return value if isinstance(value, tuple) else (value,)

    # Alternated, best of --training-repeat each: the machine's load changes between runs.
    in_process_times, kept, call_by_call, split = [], [], [], []
    inside, waited = [0.0], [0.0]
    for _ in range(options.training_repeat):
        started = time.perf_counter()
        train(recipe, in_process(local_call), shapes)
        in_process_times.append(time.perf_counter() - started)
        child = Child(str(CAROL), "hw4", Limits(), bwrap)
        child.start()
        inside[0] = waited[0] = 0.0
        started = time.perf_counter()
        result = train(recipe, remote_run, shapes)
        kept.append(time.perf_counter() - started)
        split.append((kept[-1], inside[0], waited[0] - inside[0]))
        started = time.perf_counter()
        train(recipe, in_process(remote_call), shapes)
        call_by_call.append(time.perf_counter() - started)
        child.close()
    local, remote, single = best(in_process_times), best(kept), best(call_by_call)
    per_list = MAX_CALLS // (len(recipe.forward) + len(recipe.backward) + len(recipe.params))
    total, student, transport = min(split)  # the split of the fastest sandboxed run
    print(f"3. training ({recipe.steps} steps, accuracy {result.accuracy:.3f}), best of {options.training_repeat}: values kept in the child, "
          f"{per_list} steps per message: {remote:.2f} s sandboxed vs {local:.2f} s in-process: {remote / local:.1f}x; "
          f"every value crossing in every call: {single:.2f} s: {single / local:.1f}x")
    print(f"   of the {total:.2f} s sandboxed: students' functions (the child's clock) {student:.2f} s = {student / total:.0%}; "
          f"transport {transport:.2f} s = {transport / total:.0%}; hwcheck's loop and checks {total - student - transport:.2f} s = "
          f"{(total - student - transport) / total:.0%}")

    # 4. a class
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
