"""Hostile input (issue 8 §2–§3): numbers read as written, exact node constants, no leaked
answers, linear time, bounded memory, escaped control characters, bounded points, data
exponents. Every expected value here is worked out by hand in the comment beside it."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

import hwcheck
from hwcheck.grade import Grader
from hwcheck.grade.sheets import read_sheet


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def graded(tmp_path, problem: str, sheet: str, show: bool = False):
    solution = hwcheck.solve(hwcheck.load_problem(write(tmp_path, "p.yaml", problem)))
    result = Grader(solution, show_answers=show).grade(read_sheet(write(tmp_path, "s.yaml", sheet)))
    return result, {r.id: r for r in result.results}


# A problem whose answers are 8 and 557057 (the values octal 010 and 0557057 would give).
COUNTS = """\
    id: counts
    kind: graph
    inputs: {a: 4}
    steps:
      q: a + 4
      t: a * 139264 + 1
    questions:
      - {id: Q, ask: q}
      - {id: T3, ask: t}
    """


def test_leading_zeros_on_a_sheet_are_decimal(tmp_path):
    # q = 4 + 4 = 8 and t = 4·139264 + 1 = 557057. YAML 1.1 reads 010 as octal 8 and
    # 0557057 as octal 187951: the first would be marked right, the second wrong.
    sheet, results = graded(tmp_path, COUNTS, "answers:\n  Q: 010\n  T3: 0557057\n")
    assert results["Q"].answer == 10 and not results["Q"].correct
    assert results["T3"].answer == 557057 and results["T3"].correct


@pytest.mark.parametrize("written, read", [("+010", 10), ("0o10", 8), ("0x10", 16)])
def test_other_integer_forms_follow_yaml_1_2(tmp_path, written, read):
    _, results = graded(tmp_path, COUNTS, f"answers:\n  Q: {written}\n")
    assert results["Q"].answer == read and results["Q"].correct == (read == 8)


def test_an_underscore_number_is_not_read_as_a_number(tmp_path):
    _, results = graded(tmp_path, COUNTS, "answers:\n  Q: 0_10\n")
    assert results["Q"].status == "unreadable" and "0_10" in results["Q"].feedback


def test_leading_zeros_in_a_problem_file_are_decimal(tmp_path):
    problem = hwcheck.load_problem(write(tmp_path, "p.yaml", "id: z\nkind: graph\ninputs: {a: 010}\nsteps: {q: a + 0}\n"))
    assert problem.inputs["a"] == 10.0


TWO_IDS = """\
    id: two
    kind: graph
    inputs: {a: 3}
    steps:
      b: a * 2
      c: a + 5
    questions:
      - {id: 1.1, ask: b}
      - {id: 1.10, ask: c}
    """


def test_sheet_keys_match_question_ids_as_written(tmp_path):
    # b = 6 and c = 8: `1.10: 8` answers question 1.10 (not 1.1, which 1.10 is as a number).
    sheet, results = graded(tmp_path, TWO_IDS, "answers:\n  1.1: 6\n  1.10: 8\n")
    assert sheet.error is None and sheet.warnings == []
    assert set(results) == {"1.1", "1.10"}
    assert results["1.1"].correct and results["1.10"].correct


def test_a_sheet_answering_only_1_10_does_not_answer_1_1(tmp_path):
    _, results = graded(tmp_path, TWO_IDS, "answers:\n  1.10: 8\n")
    assert results["1.1"].status == "missing" and results["1.10"].correct


# ---------------------------------------------------------------- exact constants


def test_constants_that_differ_in_float64_are_different_nodes(tmp_path):
    # In float64, 1e12 · 1.000000000001 = 1000000000001.0001220703125 (the nearest double to
    # 1.000000000001 is 1.0000000000010000889...; times 1e12 rounds to that); minus 1e12 is
    # 1.0001220703125. Cut to 12 digits both constants read "1" and the difference was 0.
    path = write(tmp_path, "p.yaml", "id: c\nkind: graph\ninputs: {x: 1e12}\nsteps:\n  d: x * 1.000000000001 - x * 1\n")
    solution = hwcheck.solve(hwcheck.load_problem(path))
    assert solution.expected("d").value == 1.0001220703125
    assert 1e12 * 1.000000000001 - 1e12 == 1.0001220703125  # the same sum in plain Python
    names = [n.name for n in solution.problem.graph.nodes]
    assert "x * 1.000000000001" in names and "x * 1" in names


def test_the_same_constant_written_twice_is_one_node(tmp_path):
    path = write(tmp_path, "p.yaml", "id: c\nkind: graph\ninputs: {x: 2}\nsteps:\n  a: x * 0.1\n  b: x * 0.10 + x * 1e-1\n")
    graph = hwcheck.load_problem(path).graph
    assert sum(n.name == "x * 0.1" for n in graph.nodes) == 1


def test_an_overflowing_constant_is_refused_and_not_taken_for_a_name(tmp_path):
    path = write(tmp_path, "p.yaml", "id: c\nkind: graph\ninputs: {x: 2, inf: 3}\nsteps:\n  a: x * inf\n  b: x * 1e400\n")
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    assert [str(f) for f in info.value.faults] == [f"{path}:6:10: step 'b': the number 1e400 is too large for float64 (the largest is about 1.8e308)"]


# ---------------------------------------------------------------- no leaked answers

NEURON = """\
    id: neuron
    kind: graph
    inputs: {x: 1}
    params: {w1: 1.5, w2: 2}
    steps:
      h: w1 * x
      a: sigmoid(h)
      z: w2 * a
    questions:
      - {id: A, ask: a}
      - {id: W2, ask: dz/dw2}
    """


def test_a_diagnosis_does_not_show_another_questions_answer(tmp_path):
    # dz/dw2 = a = sigmoid(1.5) = 1/(1 + e^-1.5) = 0.817574476...; answering with the
    # pre-activation h = 1.5 is the pre-activation mistake. The feedback may name it, but
    # not print a's value: that is question A's answer.
    _, results = graded(tmp_path, NEURON, "answers:\n  W2: 1.5\n")
    w2 = results["W2"]
    assert w2.mistakes == ("pre-activation",)
    assert w2.feedback == "wrong: in the local derivative of z you used the pre-activation h where the activation a belongs"
    assert "0.8175" not in w2.feedback


def test_no_mistake_description_of_a_shipped_problem_shows_a_value(tmp_path):
    # Every mistake the graph solver can name, for every question of every shipped graph
    # problem, with the student's answers to the other questions all wrong (carried forward
    # quotes only those): no description contains a non-integer number that any question
    # expects (integers are path and element counts).
    from support import PROBLEMS

    for path in sorted(PROBLEMS.glob("*.yaml")):
        problem = hwcheck.load_problem(path)
        if problem.kind != "graph":
            continue
        solution = hwcheck.solve(problem)
        expected = set()
        for q in problem.questions:
            for v in np.ravel(solution.expected(q.ask).value):
                if float(v) != int(v):
                    expected |= {f"{v:.12g}", f"{v:.6g}", f"{v:.3g}"}
        for q in problem.questions:
            for mistake in solution.mistakes(q.ask, {}):
                assert not [e for e in expected if e in mistake.description], (path.name, q.ask, mistake.description)


# ---------------------------------------------------------------- linear time
# (timings are in bench/bench_hostile.py, as ratios; here: the behaviour that makes them linear)

from hwcheck.graph.ask import GraphAsk, parse_ask  # noqa: E402


@pytest.mark.parametrize("text, ask", [
    ("z", GraphAsk("z")),
    (" dz / dw0 [ 1 , 2 ] ", GraphAsk("w0", "z", (1, 2))),
    ("∂L/∂x[0]", GraphAsk("x", "L", (0,))),
    ("z [3]", GraphAsk("z", None, (3,))),
    ("x" + " " * 40_000 + "!", None),
    ("dz" + " " * 40_000 + "/dx!", None),
    ("x" + " " * 40_000 + "[0]" + " " * 40_000 + "!", None),
    ("z[]", None), ("z[1,]", None), ("dz/dx/dy", None), ("d z/dx", None), ("x]", None), ("[1]", None),
    ("x[²]", None), ("x[" + "9" * 5000 + "]", None),
])
def test_asks_are_read_by_splitting(text, ask):
    assert parse_ask(text) == ask


def test_a_file_with_thousands_of_unknown_names_gets_100_faults_and_a_count(tmp_path, monkeypatch):
    # 3,000 unknown names in wrt: each "did you mean" search compares against every name,
    # which made the file quadratic (17 s). Only the first 100 faults are shown, and only
    # those are searched.
    import difflib

    calls = []
    real = difflib.get_close_matches
    monkeypatch.setattr(difflib, "get_close_matches", lambda *a, **k: calls.append(1) or real(*a, **k))
    steps = "\n".join(f"  s{i}: x + {i}" for i in range(3000))
    wrt = ", ".join(f"s{i}x" for i in range(3000))
    path = write(tmp_path, "p.yaml", f"id: p\nkind: graph\ninputs: {{x: 1}}\nsteps:\n{steps}\nwrt: [{wrt}]\n")
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    faults = [str(f) for f in info.value.faults]
    assert len(faults) == 101 and len(calls) == 100
    assert faults[0] == f"{path}:3005:7: wrt: unknown name 's0x' (did you mean 's0'?)"
    assert faults[-1] == f"{path}: ... and 2,900 more faults not shown; fix these first"


# ---------------------------------------------------------------- sizes known before computing

from hwcheck.graph.build import MAX_ELEMENTS, MAX_TOTAL_ELEMENTS  # noqa: E402
from hwcheck.graph.ops import OPS  # noqa: E402


def test_a_huge_broadcast_is_refused_before_allocating(tmp_path):
    # [30000, 1] against [30000] broadcasts to 30000×30000 = 9·10⁸ numbers (7.2 GB): refused
    # at the operator's column, not a MemoryError (exit 3).
    column = "[" + ", ".join("[1]" for _ in range(30000)) + "]"
    vector = "[" + ", ".join("1" for _ in range(30000)) + "]"
    path = write(tmp_path, "p.yaml", f"id: big\nkind: graph\ninputs:\n  c: {column}\n  v: {vector}\nsteps:\n  s: sum(c * v)\n")
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    assert [str(f) for f in info.value.faults] == [
        f"{path}:7:12: step 's': the result would be 30000×30000 = 900,000,000 numbers (limit {MAX_ELEMENTS:,} per value); "
        "check the shapes: broadcasting may have made it this big"
    ]


def test_many_large_steps_are_refused_by_their_total(tmp_path):
    # c·v is 1000×1000 = 10⁶ numbers, allowed alone, and one node shared by every step; with
    # the leaves (2,000) and s0, s1, s2 the graph holds 4,002,000 numbers, so s3 would make
    # 5,002,000 > 5·10⁶.
    column = "[" + ", ".join("[1]" for _ in range(1000)) + "]"
    vector = "[" + ", ".join("1" for _ in range(1000)) + "]"
    steps = "\n".join(f"  s{i}: c * v + {i}" for i in range(6))
    path = write(tmp_path, "p.yaml", f"id: big\nkind: graph\ninputs:\n  c: {column}\n  v: {vector}\nsteps:\n{steps}\n  z: sum(s5)\n")
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    messages = [f.message for f in info.value.faults]
    assert messages[0] == f"step 's3': the graph's values would hold more than {MAX_TOTAL_ELEMENTS:,} numbers in all; use smaller tensors or fewer steps"


def test_a_large_matrix_product_is_refused_by_its_work(tmp_path):
    # (1000×1)·(1×1000) broadcasts to a 1000×1000 matrix a (10⁶ numbers, allowed); a @ a
    # would take 1000·1000·1000 = 10⁹ multiply-adds.
    column = "[" + ", ".join("[1]" for _ in range(1000)) + "]"
    row = "[[" + ", ".join("1" for _ in range(1000)) + "]]"
    path = write(tmp_path, "p.yaml", f"id: big\nkind: graph\ninputs:\n  c: {column}\n  r: {row}\nsteps:\n  a: c * r\n  z: sum(a @ a)\n")
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    assert [f.message for f in info.value.faults] == ["step 'z': this operation would take 1,000,000,000 multiply-adds (limit 100,000,000); use smaller tensors"]


# One expression per operation of the registry, on leaves of every shape it takes.
SHAPE_CASES = {
    "add": ["v + m", "s + v"], "sub": ["m - v"], "mul": ["c * v", "s * m"], "div": ["m / v"], "pow": ["m ** 2", "v ** s"],
    "matmul": ["m @ v", "v @ n", "m @ n", "v @ w", "n @ m"], "neg": ["-m"], "copy": ["v"], "relu": ["relu(m)"],
    "leaky_relu": ["leaky_relu(v, 0.1)"], "sigmoid": ["sigmoid(c)"], "tanh": ["tanh(m)"], "exp": ["exp(v)"],
    "log": ["log(v)"], "sqrt": ["sqrt(m)"], "abs": ["abs(c)"], "max": ["max(v, m)"], "min": ["min(c, v)"],
    "sum": ["sum(m)"], "mean": ["mean(v)"], "dot": ["dot(v, w)"], "transpose": ["transpose(m)", "transpose(v)"],
    "softmax": ["softmax(v)", "softmax(m)"], "log_softmax": ["log_softmax(m)"], "cross_entropy": ["cross_entropy(p, y)", "cross_entropy(softmax(v) * 1, y)"],
    "softmax_cross_entropy": ["cross_entropy(softmax(v), y)", "cross_entropy(softmax(m), k)"],  # written as cross_entropy, fused by the builder
    "mse": ["mse(c, v)"], "gelu": ["gelu(m)"], "softplus": ["softplus(v)"], "log_sigmoid": ["log_sigmoid(m)"],
    "bce": ["bce(p, p)"], "step": ["step(m)"], "sum_axis": ["sum(m, 0)", "sum(n, -1)"], "mean_axis": ["mean(m, 1)", "mean(n, -2)"],
}


def test_every_operation_has_shape_cases():
    assert set(SHAPE_CASES) == set(OPS)


@pytest.mark.parametrize("text", [t for texts in SHAPE_CASES.values() for t in texts])
def test_inferred_shapes_are_the_computed_shapes(tmp_path, text):
    leaves = ("{s: 2, v: [1, 2, 3], w: [0.5, 1, 2], c: [[1], [2]], m: [[1, 2, 3], [4, 5, 6]], n: [[1, 2], [3, 4], [5, 6]],"
              " p: [0.2, 0.3, 0.5], y: [0, 1, 0], k: [0, 2]}")
    path = write(tmp_path, "p.yaml", f"id: s\nkind: graph\ninputs: {leaves}\nsteps:\n  r: {text}\n  z: sum(r)\n")
    problem = hwcheck.load_problem(path)
    for node, value in zip(problem.graph.nodes, problem.values):
        assert node.shape == np.shape(value), node.name


def test_gradients_of_many_steps_are_bounded_by_the_graphs_size(tmp_path):
    # Each step other than the output whose gradient is asked costs one more backward pass:
    # 2,000 questions ds_i/dx on a 2,000-step chain took 38 s and 760 MB. Here the graph holds
    # 100,000 + 100,000 + 100,000 + 3 numbers in 7 nodes, so 500,000 // 300,010 = 1 extra pass.
    vector = "[" + ", ".join("1" for _ in range(100_000)) + "]"
    path = write(tmp_path, "p.yaml", f"""\
        id: passes
        kind: graph
        inputs: {{x: {vector}}}
        steps:
          a: x * 2
          t0: sum(a)
          t1: sum(a * 3)
          z: t0 + t1
        questions:
          - {{id: A, ask: dt0/dx}}
          - {{id: B, ask: dt1/dx}}
          - {{id: C, ask: dz/dx}}
        """)
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    assert [str(f) for f in info.value.faults] == [
        f"{path}:11:5: question 'B': gradients of 't1' would make more than 1 steps other than the output whose gradients "
        "are asked, each needing its own backward pass over a graph of this size; ask gradients of the output"
    ]


# ---------------------------------------------------------------- data exponents


POWER = "id: power\nkind: graph\ninputs: {{n: 3}}\nparams: {{a: -2}}\nsteps:\n  z: a ** n\n{extra}\n"


def test_an_input_exponent_does_not_need_its_gradient(tmp_path):
    # z = a³ at a = −2: dz/da = 3·a² = 12 (torch: a.grad = 12 when n does not require grad).
    # dz/dn = a³·ln a is NaN at a < 0, and n is data: not needed, so not refused.
    path = write(tmp_path, "p.yaml", POWER.format(extra=""))
    solution = hwcheck.solve(hwcheck.load_problem(path))
    assert solution.expected("z").value == -8.0
    assert solution.expected("dz/da").value == 12.0


def test_asking_the_undefined_gradient_of_an_input_exponent_is_refused(tmp_path):
    path = write(tmp_path, "p.yaml", POWER.format(extra="questions:\n  - {id: N, ask: dz/dn}\n  - {id: A, ask: dz/da}"))
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    assert [str(f) for f in info.value.faults] == [
        f"{path}:8:5: question 'N': dz/dn is not defined at these values (a derivative on its paths is infinite or NaN, "
        "as d(a ** n)/dn at a < 0); ask another gradient or change the values"
    ]


def test_a_trained_exponent_with_an_undefined_gradient_is_still_refused(tmp_path):
    # With n a param, dz/dn is needed for training and NaN at a < 0: the step is refused.
    path = write(tmp_path, "p.yaml", "id: p\nkind: graph\nparams: {a: -2, n: 3}\nsteps:\n  z: a ** n\n")
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    assert "step 'z'" in str(info.value) and "not finite" in str(info.value)


def test_an_exponent_computed_from_inputs_is_data_too(tmp_path):
    # z = a^(2k) with k = 1.5: a³ again, dz/da = 12.
    path = write(tmp_path, "p.yaml", "id: p\nkind: graph\ninputs: {k: 1.5}\nparams: {a: -2}\nsteps:\n  z: a ** (2 * k)\n")
    assert hwcheck.solve(hwcheck.load_problem(path)).expected("dz/da").value == 12.0


def test_the_finite_difference_check_accepts_an_undefined_input_gradient(tmp_path):
    from hwcheck.graph.check import finite_difference_check

    path = write(tmp_path, "p.yaml", POWER.format(extra=""))
    findings = {f.name: f for f in finite_difference_check(hwcheck.solve(hwcheck.load_problem(path)))}
    assert findings["a"].ok and abs(float(findings["a"].numeric) - 12.0) < 1e-6
    assert findings["n"].ok and "not needed" in findings["n"].note


# ---------------------------------------------------------------- bounded points


def test_points_beyond_the_maximum_are_refused(tmp_path):
    # 1e308 + 1e308 overflows float64 to inf, and JSON reports printed `Infinity`.
    path = write(tmp_path, "p.yaml", "id: p\nkind: graph\ninputs: {x: 1}\nsteps: {z: x * 2}\n"
                                     "questions:\n  - {id: A, ask: z, points: 1e308}\n  - {id: B, ask: dz/dx, points: 1e308}\n")
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    assert [str(f) for f in info.value.faults] == [
        f"{path}:6:29: points: 1e308 is more than 1,000,000, the most a question (or a whole problem) may be worth",
        f"{path}:7:33: points: 1e308 is more than 1,000,000, the most a question (or a whole problem) may be worth",
    ]


def test_a_total_beyond_the_maximum_is_refused(tmp_path):
    path = write(tmp_path, "p.yaml", "id: p\nkind: graph\ninputs: {x: 1}\nsteps: {z: x * 2}\n"
                                     "questions:\n  - {id: A, ask: z, points: 600000}\n  - {id: B, ask: dz/dx, points: 600000}\n")
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    assert [str(f) for f in info.value.faults] == [f"{path}:6:3: the questions are worth 1200000 points in all, more than 1,000,000; give fewer points"]


def test_the_maximum_itself_is_allowed(tmp_path):
    path = write(tmp_path, "p.yaml", "id: p\nkind: graph\ninputs: {x: 1}\nsteps: {z: x * 2}\nquestions:\n  - {id: A, ask: z, points: 1000000}\n")
    assert hwcheck.load_problem(path).questions[0].points == 1_000_000


# ---------------------------------------------------------------- control characters shown escaped

from support import CONTRACT, PROBLEMS, run_cli  # noqa: E402

from hwcheck.escape import visible, yaml_quoted  # noqa: E402
from hwcheck.yamldoc import parse_yaml  # noqa: E402

RESIDUAL = PROBLEMS / "residual_relu.yaml"
INVISIBLE = ["\x1b", "\u202e", "\r", "\x07", "\x9b", "\u2028", "\ufeff", "\u200b"]


@pytest.mark.parametrize("text, shown", [
    ("plain ∂z/∂w0 ✓", "plain ∂z/∂w0 ✓"),
    ("\x1b[2J\x1b[H11 / 11", "\\x1b[2J\\x1b[H11 / 11"),
    ("abc\u202edcba", "abc\\u202edcba"),
    ("one\nerror: two", "one\\nerror: two"),
    ("tab\tcr\rnbsp\xa0c1\x85", "tab\\tcr\\rnbsp\\xa0c1\\x85"),
    ("tag\U000e0041", "tag\\U000e0041"),
])
def test_visible_escapes_what_cannot_be_seen(text, shown):
    assert visible(text) == shown


@pytest.mark.parametrize("text", ["T1.z", "a\nb", "quote\" and \\ back", "\x1b[31m", "rtl\u202e", "sep\u2028", "c1\x80\x85", "∂z/∂w"])
def test_yaml_quoted_reads_back_exactly_on_one_line(text):
    quoted = yaml_quoted(text)
    assert "\n" not in quoted and quoted.isprintable()
    assert parse_yaml(f"k: {quoted}\n", "f.yaml")["k"] == text


def test_a_hostile_sheet_is_shown_escaped(tmp_path):
    # The name clears the screen and prints a fake score; a key hides behind a bidi override
    # and a newline. The terminal shows them as escapes, so none of it acts.
    sheet = tmp_path / "mallory.yaml"
    sheet.write_text('student: "\\e[2J\\e[H\\u202e11 / 11"\nanswers:\n  "T1.z\\nerror: forged": 1\n  "\\e]52;c;cHduZWQ=\\a": 2\n'
                     "  T1.w0: \"\\e[32mcorrect\"\n", encoding="utf-8")
    result = run_cli("grade", RESIDUAL, sheet, "--report", tmp_path / "r.json")
    assert result.returncode == 1, result.stderr
    out = result.stdout + result.stderr
    assert not [c for c in INVISIBLE if c in out]
    assert "\\x1b[2J\\x1b[H\\u202e11 / 11" in out
    assert "'T1.z\\nerror: forged' matches no question" in out
    assert "\\x1b]52;c;cHduZWQ=\\x07" in out
    assert "could not read '\\x1b[32mcorrect'" in out
    assert not [line for line in out.splitlines() if line.startswith("error: forged")]


def test_every_refusal_is_one_line_whatever_the_file_holds(tmp_path):
    problem = tmp_path / "p.yaml"
    problem.write_text('id: p\nkind: graph\n"extra\\nerror: forged\\e[2J": 1\ninputs: {x: 1}\nsteps: {z: x * 2}\n', encoding="utf-8")
    result = run_cli("validate", problem)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {problem}:3:1: unknown key 'extra\\nerror: forged\\x1b[2J' for kind graph; allowed: id, title, kind, questions, tolerance, grading, inputs, params, steps, output, wrt, vary, require"
    ]


@pytest.mark.parametrize("field, value, where, message", [
    ("title", '"Week 3\\e[2J"', "6:8", "title must be one line of printable text; character 7 is \\x1b, which is invisible or a control character; remove it"),
    ("qid", '"T1\\u202e"', "5:18", "a question id is printable text such as T1.a; character 3 is \\u202e, which is invisible or a control character; remove it"),
    ("ask", '"z\\nb"', "5:27", "an ask is one line of printable text; character 2 is \\n, which is invisible or a control character; remove it"),
])
def test_a_problem_with_invisible_characters_in_shown_text_is_refused(tmp_path, field, value, where, message):
    title = value if field == "title" else "Week 3"
    qid = value if field == "qid" else "T1"
    ask = value if field == "ask" else "z"
    path = write(tmp_path, "p.yaml", f"id: p\nkind: graph\ninputs: {{x: 1}}\nsteps: {{z: x * 2}}\nquestions: [{{id: {qid}, ask: {ask}}}]\ntitle: {title}\n")
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    assert [str(f) for f in info.value.faults] == [f"{path}:{where}: {message}"]


def test_a_folded_title_is_one_line(tmp_path):
    path = write(tmp_path, "p.yaml", "id: p\nkind: graph\ntitle: >\n  Week 3:\n  residual nets\ninputs: {x: 1}\nsteps: {z: x * 2}\n")
    assert hwcheck.load_problem(path).title == "Week 3: residual nets"


def test_the_template_stays_valid_yaml_whatever_the_title_and_asks_hold(tmp_path):
    # Built directly: a problem file cannot hold these any more, but the template must not
    # depend on the loader for its own correctness.
    from hwcheck.grade.template import sheet_text, template_text
    from hwcheck.problem import Problem, Question

    problem = Problem("p.yaml", "p", "graph", title="Week 3\nanswers: {T1: 5}",
                      questions=[Question("T1\nx", "dz/dw0\nstudent: eve"), Question("yes", "z"), Question("1.10", "y")])
    for text in (template_text(problem, "p\n.yaml"), sheet_text(problem, "eve\u202e\n", {"T1\nx": "0.5\nanswers: 3", "yes": "1"})):
        data = parse_yaml(text, "sheet.yaml")
        assert list(data) == ["student", "answers"]
        assert list(data["answers"]) == ["T1\nx", "yes", "1.10"]
        assert not [c for c in INVISIBLE if c in text]
    data = parse_yaml(sheet_text(problem, "eve\u202e\n", {"T1\nx": "0.5\nanswers: 3", "yes": "1"}), "s.yaml")
    assert data["student"] == "eve\u202e\n" and data["answers"]["T1\nx"] == "0.5\nanswers: 3" and data["answers"]["yes"] == 1


def test_the_interactive_checker_shows_typed_text_escaped():
    import io

    from rich.console import Console

    from hwcheck.grade.terminal import CheckerScreen

    console = Console(record=True, file=io.StringIO(), width=100, color_system=None)
    screen = CheckerScreen(console)
    screen.question(1, 2, "T1\x1b[2J", "dz/dw0", 1)
    screen.unreadable("could not read '\x1b[31m\u202e1': not a number")
    screen.wrong("wrong", 1)
    text = console.export_text()
    assert not [c for c in INVISIBLE if c in text]
    assert "T1\\x1b[2J" in text and "could not read '\\x1b[31m\\u202e1'" in text


@pytest.mark.parametrize("text, wanted", [
    ("params", ("params", None)), ("params(A)", ("params", "A")), (" params ( A ) ", ("params", "A")),
    ("A", ("shape", "A")), ("params(C)", None), ("param(A)", None), ("params (A", None), ("paramsA", None),
    ("params(" + " " * 100_000 + "!", None),  # three runs of spaces in a regex: minutes at 5,000
])
def test_architecture_asks_are_read_by_splitting(text, wanted):
    from hwcheck.architecture.model import parse_ask

    assert parse_ask(text, ["A", "B"]) == wanted


def test_an_architecture_with_hundreds_of_bad_asks_gets_100_faults(tmp_path, monkeypatch):
    import difflib

    calls = []
    real = difflib.get_close_matches
    monkeypatch.setattr(difflib, "get_close_matches", lambda *a, **k: calls.append(1) or real(*a, **k))
    layers = "\n".join(f"  - {{name: L{i}, type: relu}}" for i in range(300))
    questions = "\n".join(f"  - {{id: q{i}, ask: L{i}x}}" for i in range(300))
    path = write(tmp_path, "p.yaml", f"id: p\nkind: architecture\ninput: [4]\nlayers:\n{layers}\nquestions:\n{questions}\n")
    with pytest.raises(hwcheck.InputError) as info:
        hwcheck.load_problem(path)
    faults = [str(f) for f in info.value.faults]
    assert len(faults) == 101 and len(calls) == 100
    assert faults[0].startswith(f"{path}:306:5: question q0: ask 'L0x' names no layer (did you mean 'L0'?)")
    assert faults[-1] == f"{path}: ... and 200 more faults not shown; fix these first"


def test_a_numeric_problem_id_is_kept_as_written(tmp_path):
    path = write(tmp_path, "p.yaml", "id: 1.10\nkind: graph\ninputs: {x: 1}\nsteps: {z: x * 2}\n")
    assert hwcheck.load_problem(path).id == "1.10"


# ---------------------------------------------------------------- newest features (§7b–§12)


def one_line_refusal(result, path, line: int) -> str:
    """The stderr of a refusal: one line naming ``path`` at ``line``, exit code 2."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}:{line}:"), lines[0]
    return lines[0]


def numpy_net(tmp_path, old: str, new: str):
    text = (CONTRACT / "numpy_net.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "numpy_net.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path, text.replace(old, new).splitlines()


def test_a_training_whose_values_would_be_too_large_is_refused_at_the_task(tmp_path):
    # 3 classes × 1,000 points = 3,000 rows; x1 = x @ w1 is then 3,000 × 400 = 1,200,000
    # numbers, beyond the engine's 1,000,000 per value: refused at task C9, not placeless.
    path, lines = numpy_net(tmp_path, "points_per_class: 100, seed: 0}}", "points_per_class: 1000, seed: 0}}")
    path.write_text(path.read_text(encoding="utf-8").replace("w1: [2, 100], b1: [100], w2: [100, 3]", "w1: [2, 400], b1: [400], w2: [400, 3]"), encoding="utf-8")
    line = next(n for n, text in enumerate(lines, 1) if "- id: C9" in text)
    message = one_line_refusal(run_cli("validate", path), path, line)
    assert "3000×400 = 1,200,000" in message and "task C9" in message


def vary_problem(tmp_path, vary: str, require: str = "require: {detect: [relu-gate-ignored]}"):
    """The contract's T1 with per-student numbers, its vary section replaced by ``vary``."""
    text = (CONTRACT / "residual_relu_vary.yaml").read_text(encoding="utf-8")
    start, end = text.index("vary:\n"), text.index("steps:\n")
    text = text[:start] + f"vary:\n{textwrap.indent(textwrap.dedent(vary), '  ')}{require}\n" + text[end:]
    path = tmp_path / "vary.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text.splitlines()


def test_a_range_with_more_values_than_a_float_can_count_is_refused(tmp_path):
    # (1e300 − (−1e300)) / 1e-300 + 1 ≈ 2e600 values: more than float64 holds (about 1.8e308).
    path, lines = vary_problem(tmp_path, "w0: {from: -1e300, to: 1e300, step: 1e-300}\n", "")
    message = one_line_refusal(run_cli("validate", path), path, lines.index("  w0: {from: -1e300, to: 1e300, step: 1e-300}") + 1)
    assert "about 2.00 × 10^600 values" in message and "give a larger step" in message


def test_an_impossible_requirement_is_refused_without_redoing_the_same_variant(tmp_path, monkeypatch):
    # w0 = 0.3, b0 = 0.1 and x0 > 0 keep xwb0 = 0.3·x0 + 0.1 > 0: the first ReLU never
    # closes, so relu-gate-ignored can never be detected. Only x0 (4) and b1 (3) vary: 12
    # distinct variants, each judged once per pass (a cheap look, then in full to say why)
    # however many of the 1,000 draws repeat them.
    path, lines = vary_problem(tmp_path, "x0: {choices: [0.5, 1, 1.5, 2]}\nb1: {choices: [-0.3, -0.2, 0.4]}\n")
    from hwcheck import variants

    judged = []
    verdict = variants.Variants.verdict
    monkeypatch.setattr(variants.Variants, "verdict", lambda self, *args: judged.append(1) or verdict(self, *args))
    problem = hwcheck.load_problem(path)
    with pytest.raises(hwcheck.InputError) as info:
        variants.Variants(problem, "secret").solution_for("alice")
    assert len(judged) == 2 * 12
    assert str(info.value).startswith(f"{path}:{lines.index('  x0: {choices: [0.5, 1, 1.5, 2]}') + 1}:")
    assert "'relu-gate-ignored' not detected (required) in 1,000" in str(info.value)


def test_the_canvas_gradebook_cannot_overwrite_the_roster(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID\nalice,1\n", encoding="utf-8")
    result = run_cli("grade", CONTRACT / "residual_relu.yaml", CONTRACT / "alice_residual_relu.yaml", "--canvas", roster, "--roster", roster)
    assert result.returncode == 2 and result.stderr.splitlines() == [f"error: {roster}: --canvas would overwrite the roster {roster}; write it to another file"]
    assert roster.read_text(encoding="utf-8") == "Student,ID\nalice,1\n"


def homework(tmp_path):
    """A copy of the contract's assignment hw4: its four problems and two submissions."""
    import shutil

    for name in ("hw4.yaml", "residual_relu.yaml", "mlp_params.yaml", "softmax_ce_t4.yaml", "numpy_net.yaml"):
        shutil.copy(CONTRACT / name, tmp_path / name)
    shutil.copytree(CONTRACT / "submissions", tmp_path / "submissions")
    return {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}


def assert_refused_untouched(result, before: dict, output, what: str):
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [f"error: {output}: {what}; write it to another file"]
    assert {path: path.read_bytes() for path in before} == before


@pytest.mark.parametrize("option", ["--gradescope", "--report"])
def test_grading_an_assignment_never_overwrites_one_of_its_problems(tmp_path, option):
    before = homework(tmp_path)
    output = tmp_path / ("numpy_net.yaml" if option == "--gradescope" else "out.json")
    if option == "--report":  # a report name that is a link to a problem of the assignment
        output.symlink_to(tmp_path / "mlp_params.yaml")
    result = run_cli("grade", tmp_path / "hw4.yaml", tmp_path / "submissions", option, output)
    problem = output if option == "--gradescope" else tmp_path / "mlp_params.yaml"
    assert_refused_untouched(result, before, output, f"{option} would overwrite the problem file {problem}")


@pytest.mark.parametrize("problem", ["hw4.yaml", "numpy_net.yaml"])
def test_grading_never_overwrites_a_students_code(tmp_path, problem):
    # carol's folder holds answers.yaml and hw4.py; the Gradescope results aimed at hw4.py.
    before = homework(tmp_path)
    code = tmp_path / "submissions" / "carol" / "hw4.py"
    result = run_cli("grade", tmp_path / problem, tmp_path / "submissions" / "carol", "--gradescope", code)
    assert_refused_untouched(result, before, code, f"--gradescope would overwrite the code file {code}")


def test_a_code_file_handed_in_alone_is_not_overwritten(tmp_path):
    before = homework(tmp_path)
    code = tmp_path / "submissions" / "carol" / "hw4.py"
    result = run_cli("grade", tmp_path / "numpy_net.yaml", code, "--gradescope", code)
    assert_refused_untouched(result, before, code, f"--gradescope would overwrite the code file {code}")


def test_the_template_of_an_assignment_never_overwrites_one_of_its_problems(tmp_path):
    before = homework(tmp_path)
    output = tmp_path / "mlp_params.yaml"
    result = run_cli("template", tmp_path / "hw4.yaml", "-o", output)
    assert_refused_untouched(result, before, output, f"-o would overwrite the problem file {output}")


def test_a_student_name_with_control_characters_is_shown_escaped_in_a_handout():
    # ESC [31m would turn a terminal red when the handout goes to stdout; shown as \x1b.
    result = run_cli("handout", CONTRACT / "residual_relu_vary.yaml", "--student", "al\x1b[31mice", "--secret", "s")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert result.stdout.splitlines()[0].startswith("# Residual ReLU network — your own numbers — al\\\\x1b\\[31mice \\(variant ")


@pytest.mark.parametrize("seconds", ["nan", "inf", "1e9"])
def test_a_timeout_that_is_not_a_bounded_number_of_seconds_is_refused(seconds):
    # An endless loop in a student's function would otherwise never be stopped (inf), or the
    # sandbox would fail inside (nan).
    result = run_cli("grade", CONTRACT / "numpy_net.yaml", CONTRACT / "submissions" / "carol", "--timeout", seconds)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "--timeout" in lines[0] and "3600" in lines[0], result.stderr


def test_an_id_clash_in_an_assignment_names_the_line_of_the_second_problem(tmp_path):
    # Both files say id: mlp-params and hold T2.A…T3: the clash is placed at line 5, column 5,
    # where the second file is listed (the first is on line 4).
    homework(tmp_path)
    text = (tmp_path / "mlp_params.yaml").read_text(encoding="utf-8")
    (tmp_path / "copy.yaml").write_text(text, encoding="utf-8")
    path = tmp_path / "hw.yaml"
    path.write_text("id: hw\nkind: assignment\nproblems:\n  - mlp_params.yaml\n  - copy.yaml\n", encoding="utf-8")
    result = run_cli("validate", path)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {path}:5:5: problem id 'mlp-params' is used by both {tmp_path / 'mlp_params.yaml'} and {tmp_path / 'copy.yaml'}; give each problem its own id"
    assert len(lines) == 5 and all(line.startswith(f"error: {path}:5:5: question id 'T") for line in lines[1:])


def test_a_roster_that_is_a_folder_is_refused_as_a_csv(tmp_path):
    result = run_cli("grade", CONTRACT / "residual_relu.yaml", CONTRACT / "alice_residual_relu.yaml", "--canvas", tmp_path / "o.csv", "--roster", tmp_path)
    assert result.returncode == 2 and result.stderr.splitlines() == [f"error: {tmp_path}: is a directory; give a roster (.csv)"]


def test_a_sheet_that_is_not_a_file_is_named_with_its_article(tmp_path):
    result = run_cli("grade", CONTRACT / "residual_relu.yaml", "/dev/null", "--report", tmp_path / "r.json")
    sheet = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["sheets"][0]
    assert result.returncode == 1 and sheet["error"] == "/dev/null: is not a regular file; give an answer sheet (.yaml)"


def test_a_faulty_input_is_not_also_reported_as_unknown_where_it_is_used(tmp_path):
    path = tmp_path / "code.yaml"
    path.write_text("id: c\nkind: code\nmodule: m\ntasks:\n"
                    "  - {id: C1, function: f, inputs: {x: [0, 0]}, call: f(x), returns: relu(x)}\n", encoding="utf-8")
    message = one_line_refusal(run_cli("validate", path), path, 5)
    assert message == f"error: {path}:5:39: task C1: input 'x': a shape is a list of 1 to 4 whole numbers ≥ 1, e.g. [4, 3]"


def _problem_named(tmp_path, name: str):
    path = tmp_path / name
    path.write_text((CONTRACT / "mlp_params.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return path, path.read_bytes()


def test_draw_never_overwrites_its_problem_whatever_its_name(tmp_path):
    problem, before = _problem_named(tmp_path, "mlp.svg")
    result = run_cli("draw", problem, "-o", problem)
    assert result.returncode == 2 and result.stderr.splitlines() == [f"error: {problem}: -o would overwrite the problem file {problem}; write it to another file"]
    assert problem.read_bytes() == before


def test_draw_of_an_assignment_never_overwrites_one_of_its_problems(tmp_path):
    # hw.svg gets one picture per problem, named hw-ID.svg: here that is the problem's own file.
    problem, before = _problem_named(tmp_path, "hw-mlp-params.svg")
    assignment = tmp_path / "hw.yaml"
    assignment.write_text("id: hw\nkind: assignment\nproblems: [hw-mlp-params.svg]\n", encoding="utf-8")
    result = run_cli("draw", assignment, "-o", tmp_path / "hw.svg")
    assert result.returncode == 2 and result.stderr.splitlines() == [f"error: {problem}: the picture would overwrite the problem file {problem}; write it to another file"]
    assert problem.read_bytes() == before


@pytest.mark.parametrize("reach, message", [
    ("{accuracy: 2}", "reach accuracy is a fraction from 0 to 1 (the share of training points classified right), not 2"),
    ("{loss: -1}", "reach loss is at least 0 (a cross-entropy is never negative), not -1"),
])
def test_a_training_goal_no_network_can_reach_is_refused(tmp_path, reach, message):
    path, lines = numpy_net(tmp_path, "reach: {accuracy: 0.9}", f"reach: {reach}")
    line = next(n for n, text in enumerate(lines, 1) if "reach:" in text)
    assert one_line_refusal(run_cli("validate", path), path, line).endswith(f"task C9: train: {message}")


def test_a_binary_roster_is_refused_as_a_csv(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"Student,ID\nal\x00ice,1\n")
    result = run_cli("grade", CONTRACT / "residual_relu.yaml", CONTRACT / "alice_residual_relu.yaml", "--canvas", tmp_path / "o.csv", "--roster", roster)
    assert result.returncode == 2 and result.stderr.splitlines() == [f"error: {roster}: is a binary file, not a roster (.csv)"]
