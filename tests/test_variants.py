"""Per-student variants (contract §11, docs/variants.md): loading `vary`/`require`, drawing
each student's numbers from the secret, accepting them, and grading against them.

Expected numbers are worked out here independently: the HMAC and the draw sequence are
recomputed from the documented recipe with hashlib, and the residual network's values and
gradients by hand (z = relu(relu(x0·w0 + b0)·w1 + b1 + x0)).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json

import numpy as np
import pytest

from hwcheck import load_problem
from hwcheck.errors import InputError
from hwcheck.variants import Variants, variant_of
from support import CONTRACT, PROBLEMS, run_cli

VARY = CONTRACT / "residual_relu_vary.yaml"
SECRET = "correct horse battery staple"
ENV = {"HWCHECK_SECRET": SECRET}
# The values the contract example allows, as written in it.
GRID = {
    "x0": [0.5, 1, 1.5, 2],
    "w0": [round(-1 + 0.1 * k, 10) for k in range(21)],
    "w1": [round(-1 + 0.1 * k, 10) for k in range(21)],
    "b0": [round(-0.5 + 0.1 * k, 10) for k in range(11)],
    "b1": [round(-0.5 + 0.1 * k, 10) for k in range(11)],
}
STUDENTS = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Emmy Noether", "Kurt Gödel", "Sofia Kovalevskaya"]


def leaves_of(problem) -> dict[str, float]:
    return {name: float(value) for name, value in problem.leaves().items()}


def by_hand(v: dict[str, float]) -> dict[str, float]:
    """The seed network worked out by hand: values and dz/d(leaf), relu'(t) = [t > 0]."""
    xwb0 = v["x0"] * v["w0"] + v["b0"]
    x1 = max(xwb0, 0.0)
    yx = x1 * v["w1"] + v["b1"] + v["x0"]
    gate0, gate1 = float(xwb0 > 0), float(yx > 0)
    return {
        "xwb0": xwb0, "yx": yx, "z": max(yx, 0.0),
        "dz/dw0": gate1 * v["w1"] * gate0 * v["x0"],
        "dz/dw1": gate1 * x1,
        "dz/db0": gate1 * v["w1"] * gate0,
        "dz/db1": gate1,
        "dz/dx0": gate1 * (v["w1"] * gate0 * v["w0"] + 1),
    }


def documented_seed(problem_id: str, name: str, secret: str = SECRET) -> bytes:
    normalised = " ".join(name.split()).casefold()
    return hmac.new(secret.encode(), f"{problem_id}\n{normalised}".encode(), hashlib.sha256).digest()


def documented_draw(seed: bytes, k: int) -> dict[str, float]:
    """Draw k of the contract example by the recipe in docs/variants.md (scalar leaves, file order)."""
    drawn = {}
    for j, name in enumerate(GRID):
        u = int.from_bytes(hashlib.sha256(seed + k.to_bytes(4, "big") + j.to_bytes(4, "big")).digest()[:8], "big")
        drawn[name] = GRID[name][u % len(GRID[name])]
    return drawn


@pytest.fixture(scope="module")
def problem():
    return load_problem(VARY)


@pytest.fixture(scope="module")
def variants(problem):
    return Variants(problem, SECRET)


# -- drawing --------------------------------------------------------------------------


def test_a_variant_is_a_documented_draw_with_the_documented_id(problem, variants):
    for student in STUDENTS[:3]:
        mine = variants.problem_for(student)
        seed = documented_seed("residual-relu-vary", student)
        assert mine.variant == seed.hex()[:8]
        got = leaves_of(mine)
        draws = [documented_draw(seed, k) for k in range(1000)]
        assert any(all(got[n] == pytest.approx(d[n], abs=1e-12) for n in GRID) for d in draws), student


def test_the_loaded_problem_is_left_as_it_was(problem):
    before = leaves_of(problem)
    mine = variant_of(problem, "Ada Lovelace", SECRET)
    assert leaves_of(problem) == before == {"x0": 1.0, "w0": 0.3, "w1": -0.2, "b0": 0.1, "b1": -0.3}
    assert problem.variant is None and mine is not problem


def test_same_name_same_numbers_and_names_are_normalised(problem, variants):
    a = leaves_of(variants.problem_for("Ada Lovelace"))
    assert leaves_of(Variants(problem, SECRET).problem_for("  ada   LOVELACE ")) == a
    assert leaves_of(variant_of(problem, "Ada\tLovelace", SECRET)) == a


def test_a_name_is_compared_in_unicode_normal_form(problem, variants):
    composed, decomposed = "Kurt G\u00f6del", "Kurt Go\u0308del"  # ö as one character, and as o + ◌̈
    assert variants.problem_for(composed).variant == variants.problem_for(decomposed).variant == documented_seed(
        "residual-relu-vary", composed).hex()[:8]


def test_each_entry_of_a_matrix_leaf_is_drawn_in_row_major_order(tmp_path):
    problem = load_problem(write(tmp_path, """id: matrix
kind: graph
inputs: {x: [1.0, -1.0]}
params: {W: [[1, 2], [3, 4]]}
vary:
  x: {choices: [1, 2]}
  W: {choices: [-1, 0.5, 2, 3]}
steps:
  h: W @ x
  L: sum(h * h)
"""))
    mine = Variants(problem, SECRET).problem_for("Ada")
    seed = documented_seed("matrix", "Ada")
    values = [[1.0, 2.0]] * 2 + [[-1.0, 0.5, 2.0, 3.0]] * 4  # x's two entries, then W's four
    def drawn(k):
        return [v[int.from_bytes(hashlib.sha256(seed + k.to_bytes(4, "big") + j.to_bytes(4, "big")).digest()[:8], "big") % len(v)]
                for j, v in enumerate(values)]
    got = [*mine.inputs["x"].tolist(), *mine.params["W"].ravel().tolist()]
    assert np.shape(mine.params["W"]) == (2, 2) and any(drawn(k) == got for k in range(1000))


def test_students_and_secrets_give_different_variants(problem, variants):
    ids = [variants.problem_for(s).variant for s in STUDENTS]
    assert len(set(ids)) == len(STUDENTS)
    numbers = {tuple(leaves_of(variants.problem_for(s)).values()) for s in STUDENTS}
    assert len(numbers) >= len(STUDENTS) - 1  # six draws from 4·21·21·11·11 = 213,444 leaf sets
    other = Variants(problem, SECRET + "!").problem_for("Ada Lovelace")
    assert other.variant != variants.problem_for("Ada Lovelace").variant


def test_accepted_variants_close_the_first_relu_and_keep_every_mistake_caught(variants):
    """require: {detect: [relu-gate-ignored]} needs xwb0 < 0; the seed's own numbers catch a
    missing skip path and one path instead of two, which needs the second ReLU open (yx > 0)
    and a nonzero w1 so that forgetting the first ReLU's derivative changes dz/db0."""
    for student in STUDENTS:
        v = leaves_of(variants.problem_for(student))
        for name, value in v.items():
            assert any(value == pytest.approx(g, abs=1e-12) for g in GRID[name])
        hand = by_hand(v)
        assert hand["xwb0"] < -1e-6, (student, v)
        assert hand["yx"] > 1e-6 and v["w1"] != 0, (student, v)
        # the forgotten gate's dz/db0 = w1 differs from the right one, 0
        assert hand["dz/db0"] == 0 and abs(v["w1"]) > 0.01


def test_the_key_of_a_variant_is_its_own_numbers_worked_by_hand(variants):
    solution = variants.solution_for("Grace Hopper")
    hand = by_hand(leaves_of(solution.problem))
    for ask in ("z", "dz/dw0", "dz/dw1", "dz/db0", "dz/db1", "dz/dx0"):
        assert float(solution.expected(ask).value) == pytest.approx(hand[ask], abs=1e-12), ask


def write(tmp_path, text: str, name: str = "p.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


KINKED = """id: kinked
kind: graph
inputs: {x: 0.5}
params: {w: 1.0}
vary:
  x: {choices: [0, 1e-9, 0.5]}
steps:
  z: relu(x * w)
"""


def test_a_kink_within_the_tolerance_is_never_drawn(tmp_path):
    """x = 0 sits on the ReLU's kink and 1e-9 within abs 1e-6 of it: only 0.5 is accepted."""
    problem = load_problem(write(tmp_path, KINKED))
    variants = Variants(problem, SECRET)
    assert {float(variants.problem_for(s).inputs["x"]) for s in STUDENTS} == {0.5}


def test_no_acceptable_variant_is_one_line_naming_what_failed(tmp_path):
    path = write(tmp_path, KINKED.replace("[0, 1e-9, 0.5]", "[0, 1e-9]"))
    result = run_cli("validate", path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"{path}:6:3: no variant for student 'student 1' in 1,000 draws meets the requirements" in result.stderr
    assert "a kink within the tolerance at step 'z' in 1,000" in result.stderr


OPEN = """id: open
kind: graph
inputs: {x: 1.0}
params: {w: 0.5}
vary:
  w: {choices: [0.5, 1]}
require: {detect: [relu-gate-ignored]}
steps:
  a: x * w
  z: relu(a)
"""


def test_a_required_mistake_no_draw_can_catch(tmp_path):
    """With x = 1 and w > 0 the ReLU is always open: a forgotten gate (derivative 1 where it
    is 0) gives the right answer at every draw, so no variant catches it."""
    path = write(tmp_path, OPEN)
    result = run_cli("validate", path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert (f"{path}:6:3: no variant for student 'student 1' in 1,000 draws meets the requirements (most often failed, "
            "of 1,000 draws: 'relu-gate-ignored' not detected (required) in 1,000; ") in result.stderr
    # and w = 1 = x makes the two factors of x * w equal: taking the wrong one is not caught
    assert "'wrong-factor' no longer detected in " in result.stderr and result.stderr.endswith("; widen the vary ranges or drop a requirement\n")
    assert ": ok" not in result.stdout  # never "ok" and then a refusal of the same file


# -- loading ----------------------------------------------------------------------------


BASE = """id: t
kind: graph
inputs: {x0: 1.0}
params: {w0: 0.3}
steps:
  a: x0 * w0
  z: relu(a)
"""


@pytest.mark.parametrize("vary, where, message", [
    ("vary:\n  w9: {choices: [1]}\n", "9:3", "vary: unknown name 'w9'; vary names inputs or params"),
    ("vary:\n  a: {choices: [1]}\n", "9:3", "vary: 'a' is a step, computed from the leaves"),
    ("vary:\n  w0: {from: 1, to: -1, step: 0.1}\n", "9:21", "vary 'w0': the range is empty (to -1 is below from 1); give from ≤ to"),
    ("vary:\n  w0: {from: -1, to: 1, step: 0}\n", "9:31", "vary 'w0': step must be > 0, not 0"),
    ("vary:\n  w0: {from: -1, to: 1, step: -0.1}\n", "9:31", "vary 'w0': step must be > 0, not -0.1"),
    ("vary:\n  w0: {from: 0, to: 1, step: 1e-5}\n", "9:30", "vary 'w0': 100,001 values from 0 to 1 by 1e-5, more than 10,000; give a larger step"),
    ("vary:\n  w0: {from: 0, to: 1}\n", "9:7", "vary 'w0': the range needs step"),
    ("vary:\n  w0: {choices: []}\n", "9:17", "vary 'w0': choices is a non-empty list of numbers"),
    ("vary:\n  w0: {choices: [1, two]}\n", "9:21", "vary 'w0' choice 2: 'two' is not a number"),
    ("vary:\n  w0: {choices: [1], step: 1}\n", "9:22", "vary 'w0': 'step' does not go with choices"),
    ("vary:\n  w0: {from: 0, to: 1, stpe: 1}\n", "9:24", "vary 'w0': unknown key 'stpe' (did you mean 'step'?)"),
    ("vary: {w0: {choices: [1, 2]}}\nrequire: {detect: [sign-eror]}\n", "9:20", "require detect: unknown mistake code 'sign-eror' (did you mean 'sign-error'?)"),
    ("require: {detect: [sign-error]}\n", "8:1", "require says what every variant must detect, and this problem has no vary:"),
    ("vary: {w0: {choices: [1, 2]}}\nrequire: {detect: [y-minus-p]}\n", "9:20", "require detect: 'y-minus-p' cannot apply to this problem (its operations do not invite it); the mistakes that apply: derivative-confused, relu-gate-ignored, sign-error, wrong-factor"),
])
def test_bad_vary_is_one_line_at_its_place(tmp_path, vary, where, message):
    path = write(tmp_path, BASE + vary)
    result = run_cli("validate", path)
    assert result.returncode == 2, result.stdout
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {path}:{where}: {message}"), result.stderr


def test_a_range_lands_exactly_on_its_decimal_grid(tmp_path):
    problem = load_problem(write(tmp_path, BASE + "vary:\n  w0: {from: -1, to: 1, step: 0.1}\n  x0: {from: 0, to: 1, step: 0.3}\n"))
    w0, x0 = problem.vary
    assert len(w0.values) == 21 and w0.values[10] == 0.0 and w0.values[0] == -1.0 and w0.values[-1] == 1.0
    assert w0.values[13] == 0.3  # -1 + 13/10, not 0.30000000000000027
    assert x0.values == (0.0, 0.3, 0.6, 0.9)  # 1 is not on the grid


def test_vary_is_refused_for_other_kinds(tmp_path):
    path = write(tmp_path, "id: m\nkind: architecture\ninput: [3]\nlayers:\n  - {type: dense, units: 2}\nvary: {x: {choices: [1]}}\n")
    result = run_cli("validate", path)
    assert result.returncode == 2
    assert f"{path}:6:1: 'vary' (per-student numbers, §11) is for graph problems only, not kind architecture; remove it" in result.stderr


def test_validate_draws_sample_variants():
    result = run_cli("validate", VARY)
    assert result.returncode == 0, result.stderr
    assert "variants: 5 of 5 sample students get one" in result.stdout and "each detects relu-gate-ignored" in result.stdout
    # the seed's own numbers cannot (both ReLUs open), and the warning says it is about them
    assert f"{VARY}: warning: the file's own numbers cannot detect relu-gate-ignored" in result.stdout


# -- the command line ---------------------------------------------------------------------


def test_solve_for_a_student_is_the_same_in_every_process(problem, variants):
    first = run_cli("solve", VARY, "--student", "Ada Lovelace", "--format", "json", env=ENV)
    again = run_cli("solve", VARY, "--student", " ada lovelace", "--secret", SECRET, "--format", "json", env={"HWCHECK_SECRET": "other"})
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    one, two = json.loads(first.stdout), json.loads(again.stdout)
    assert one["values"] == two["values"] and one["variant"] == documented_seed("residual-relu-vary", "Ada Lovelace").hex()[:8]
    mine = leaves_of(variants.problem_for("Ada Lovelace"))  # this process agrees too
    assert {n: one["values"][n] for n in mine} == mine
    assert SECRET not in first.stdout + first.stderr


@pytest.mark.parametrize("format, shown", [("terminal", "(variant {})"), ("markdown", "(variant `{}`)"), ("latex", r"(variant \texttt{{{}}})")])
def test_a_students_key_says_whose_variant_it_is(format, shown):
    result = run_cli("solve", VARY, "--student", "Emmy Noether", "--format", format, env=ENV)
    assert result.returncode == 0, result.stderr
    assert shown.format(documented_seed("residual-relu-vary", "Emmy Noether").hex()[:8]) in result.stdout
    assert SECRET not in result.stdout


@pytest.mark.parametrize("args, env, message", [
    (["solve", VARY, "--student", "Ada"], {"HWCHECK_SECRET": ""}, "HWCHECK_SECRET: the course secret is empty"),
    (["solve", VARY, "--secret", SECRET], {}, "--secret: is for --student"),
    (["solve", PROBLEMS / "residual_relu.yaml", "--student", "Ada"], ENV, "has no vary: section"),
])
def test_solve_refusals(args, env, message):
    result = run_cli(*args, env=env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_solve_for_a_student_without_a_secret_says_where_to_put_it(monkeypatch):
    monkeypatch.delenv("HWCHECK_SECRET", raising=False)
    result = run_cli("solve", VARY, "--student", "Ada")
    assert result.returncode == 2
    assert "error: --student: a student's variant is drawn with the course secret: set HWCHECK_SECRET or give --secret" in result.stderr


def sheet_text(student: str | None, answers: dict[str, float]) -> str:
    ids = {"z": "T1.z", "dz/dw0": "T1.w0", "dz/dw1": "T1.w1", "dz/db0": "T1.b0", "dz/db1": "T1.b1", "dz/dx0": "T1.x0"}
    head = f"student: {student}\n" if student else ""
    return head + "answers:\n" + "".join(f"  {ids[ask]}: {answers[ask]!r}\n" for ask in ids)


def test_each_sheet_is_graded_against_its_own_students_variant(tmp_path, variants, monkeypatch):
    monkeypatch.delenv("HWCHECK_SECRET", raising=False)
    ada = by_hand(leaves_of(variants.problem_for("Ada Lovelace")))
    alan = by_hand(leaves_of(variants.problem_for("Alan Turing")))
    differ = [ask for ask in ("z", "dz/dw1", "dz/dx0") if abs(ada[ask] - alan[ask]) > 0.01 * abs(ada[ask]) + 1e-6]
    assert differ  # the two variants' keys differ by more than the tolerance somewhere
    write(tmp_path, sheet_text("Ada Lovelace", ada), "ada.yaml")
    write(tmp_path, sheet_text("Alan Turing", ada), "alan.yaml")  # copied Ada's answers
    write(tmp_path, sheet_text(None, ada), "nobody.yaml")
    result = run_cli("grade", VARY, tmp_path, "--secret", SECRET, "--report", tmp_path / "r.json", "--report", tmp_path / "r.csv")
    assert result.returncode == 1, result.stderr
    sheets = {s["student"]: s for s in json.loads((tmp_path / "r.json").read_text())["sheets"]}
    assert sheets["Ada Lovelace"]["score"] == 11 and sheets["Ada Lovelace"]["variant"] == documented_seed("residual-relu-vary", "Ada Lovelace").hex()[:8]
    wrong = {r["ask"] for r in sheets["Alan Turing"]["results"] if not r["correct"]}
    assert set(differ) <= wrong and sheets["Alan Turing"]["score"] < 11
    assert sheets["Alan Turing"]["variant"] == documented_seed("residual-relu-vary", "Alan Turing").hex()[:8]
    assert sheets["nobody"]["variant"] is None and "names no student" in sheets["nobody"]["error"]
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text(encoding="utf-8-sig"))))
    assert [(r["Student"], r["Variant"]) for r in rows] == [
        ("Ada Lovelace", sheets["Ada Lovelace"]["variant"]), ("Alan Turing", sheets["Alan Turing"]["variant"]), ("nobody", "")]
    for text in (result.stdout, result.stderr, (tmp_path / "r.json").read_text(), (tmp_path / "r.csv").read_text(encoding="utf-8-sig")):
        assert SECRET not in text


def test_grading_a_varied_problem_needs_the_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("HWCHECK_SECRET", raising=False)
    sheet = write(tmp_path, "student: Ada\nanswers:\n  T1.z: 1\n", "ada.yaml")
    result = run_cli("grade", VARY, sheet)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "gives each student their own numbers (vary:), so grading needs the course secret: set HWCHECK_SECRET or give --secret" in result.stderr


def test_the_interactive_checker_asks_the_students_own_numbers(tmp_path, variants):
    """`hwcheck grade PROBLEM --student NAME` in a terminal asks Ada's questions: her own z
    (not the seed's 0.62) is right; without --student it says what to give."""
    import pexpect

    from support import HWCHECK

    z = by_hand(leaves_of(variants.problem_for("Ada Lovelace")))["z"]
    assert abs(z - 0.62) > 0.01
    env = {"TERM": "dumb", "PATH": "/usr/bin:/bin", **ENV}
    child = pexpect.spawn(HWCHECK, ["grade", str(VARY), "--student", "Ada Lovelace", "--tries", "1"], encoding="utf-8", timeout=90,
                          dimensions=(50, 200), cwd=str(tmp_path), env=env)
    child.expect_exact("answer> ")
    child.sendline(repr(z))
    child.expect_exact("✓ correct")
    child.expect_exact("answer> ")
    child.sendline("q")
    child.expect(pexpect.EOF)
    child.close()
    alone = pexpect.spawn(HWCHECK, ["grade", str(VARY)], encoding="utf-8", timeout=90, dimensions=(50, 200), cwd=str(tmp_path), env=env)
    alone.expect(pexpect.EOF)
    alone.close()
    assert alone.exitstatus == 2 and "give --student NAME to be asked that student's questions" in alone.before


def test_the_entries_varied_in_all_are_bounded(tmp_path):
    """A 1,001-entry vector would cost 1,001 hashes a draw: refused at the vary section."""
    zeros = ", ".join(["0.5"] * 1001)
    path = write(tmp_path, f"id: big\nkind: graph\nparams:\n  v: [{zeros}]\nsteps:\n  z: sum(v * v)\nvary: {{v: {{choices: [1, 2]}}}}\n")
    result = run_cli("validate", path)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"{path}:7:7: vary draws 1,001 entries in all (a matrix counts each of its entries), more than 1,000" in result.stderr
