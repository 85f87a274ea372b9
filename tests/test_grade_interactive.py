"""The interactive checker: logic with a scripted screen, then the real thing in a pseudo-terminal."""

import json
import subprocess

import pexpect

from hwcheck.grade import Grader
from hwcheck.grade.interactive import run_checker
from test_grade_fakes import residual_solution
from support import CONTRACT, HWCHECK

RESIDUAL = str(CONTRACT / "residual_relu.yaml")


class ScriptedScreen:
    """Types the given lines and records everything shown."""

    def __init__(self, lines):
        self.lines = list(lines)
        self.shown: list[tuple] = []

    def ask(self):
        return self.lines.pop(0) if self.lines else None

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.shown.append((name, *args, *kwargs.values()))

    def said(self, kind):
        return [entry[1:] for entry in self.shown if entry[0] == kind]


def test_each_question_in_turn_with_tries_hint_skip_and_score():
    screen = ScriptedScreen(["0.62", "h", "0.2", "-0.2", "skip", "nonsense", "-0.2", "q"])
    result = run_checker(Grader(residual_solution()), screen, tries=3)
    assert result.score == 1 + 2 + 2 and result.max_score == 11 and not result.all_correct
    assert screen.said("correct") == [("correct",), ("correct",), ("correct",)]
    assert screen.said("wrong") == [("wrong: the sign is flipped", 2, False)]
    assert screen.said("hint") == [("work out dz/dw0 with the chain rule",)]
    assert "could not read 'nonsense'" in screen.said("unreadable")[0][0]  # no try used
    assert [q[2] for q in screen.said("question")] == ["T1.z", "T1.w0", "T1.w1", "T1.b0", "T1.b1"]
    assert screen.said("score") == [(5.0, 11.0)]
    assert result.typed == {"T1.z": "0.62", "T1.w0": "-0.2", "T1.b0": "-0.2"}


def test_tries_run_out_and_the_answer_is_revealed_only_when_asked():
    lines = ["1", "2", "3"]
    screen = ScriptedScreen(["0.62", *lines])
    run_checker(Grader(residual_solution()), screen, tries=3)
    assert [w[1] for w in screen.said("wrong")] == [2, 1, 0] and screen.said("reveal") == []
    screen = ScriptedScreen(["1", "q"])
    run_checker(Grader(residual_solution()), screen, tries=1, reveal=True)
    assert screen.said("reveal") == [("0.62",)]


def test_wrong_feedback_never_gives_the_answer_away():
    screen = ScriptedScreen(["0.5", "0.6", "0.7", "q"])
    run_checker(Grader(residual_solution()), screen, tries=3, reveal=False)
    assert all("0.62" not in str(entry) for entry in screen.shown)


def test_end_of_input_ends_with_the_score():
    screen = ScriptedScreen(["0.62"])
    result = run_checker(Grader(residual_solution()), screen)
    assert result.score == 1 and screen.said("score") == [(1.0, 11.0)]


def test_carried_forward_answers_reach_the_solver():
    solution = residual_solution()
    run_checker(Grader(solution), ScriptedScreen(["0.5", "0.62", "0.3", "q"]), tries=3)
    assert solution.mistake_calls[-1] == ("dz/dw0", {"z": 0.62})


# ---- the real program in a pseudo-terminal -------------------------------------------


def spawn(*args, tmp_path):
    return pexpect.spawn(HWCHECK, ["grade", RESIDUAL, *args], encoding="utf-8", timeout=90, dimensions=(50, 200), cwd=str(tmp_path), env={"TERM": "dumb", "PATH": "/usr/bin:/bin"})


def answer(child, text):
    child.expect_exact("answer> ")
    child.sendline(text)


def test_a_session_in_a_real_terminal_then_the_saved_sheet_is_graded(tmp_path):
    child = spawn("--save", "mine.yaml", "--student", "alice", tmp_path=tmp_path)
    child.expect_exact("Residual ReLU network")
    answer(child, "0.62")
    child.expect_exact("✓ correct")
    answer(child, "h")
    child.expect_exact("hint: ")
    child.expect_exact("Local derivatives")
    answer(child, "-0.2")
    child.expect_exact("✓ correct")
    answer(child, "2/5")
    answer(child, "-0.2")
    answer(child, "1")
    child.expect_exact("[6/6] T1.x0")
    answer(child, "-0.06")
    child.expect_exact("skip connection")  # the graph solver's diagnosis, at once
    child.expect_exact("(2 tries left)")
    answer(child, "0.94")
    child.expect_exact("✓ correct")
    child.expect_exact("Score: 11 / 11")
    child.expect_exact("Saved your answers to mine.yaml")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = (tmp_path / "mine.yaml").read_text()
    assert "student: alice" in saved and "T1.w1: 2/5" in saved
    done = subprocess.run([HWCHECK, "grade", RESIDUAL, "mine.yaml", "--report", "r.json"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    sheet = json.loads((tmp_path / "r.json").read_text())["sheets"][0]
    assert (sheet["student"], sheet["score"]) == ("alice", 11)


def test_quitting_early_keeps_the_score_and_exit_1(tmp_path):
    child = spawn("--tries", "1", "--show-answers", "--save", "part.yaml", tmp_path=tmp_path)
    answer(child, "0.6")
    child.expect_exact("no tries left")
    child.expect_exact("the answer: 0.62")
    answer(child, "q")
    child.expect_exact("Score: 0 / 11")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert "T1.z: 0.6  #" in (tmp_path / "part.yaml").read_text()


def test_ctrl_d_ends_the_session(tmp_path):
    child = spawn(tmp_path=tmp_path)
    child.expect_exact("answer> ")
    child.sendeof()
    child.expect_exact("Score: 0 / 11")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1


def test_unreadable_input_does_not_use_a_try(tmp_path):
    child = spawn("--tries", "1", tmp_path=tmp_path)
    answer(child, "zero point six")
    child.expect_exact("this does not use a try")
    answer(child, "0.62")
    child.expect_exact("✓ correct")
    answer(child, "q")
    child.expect(pexpect.EOF)
    child.close()


def test_rounded_answers_are_shown_as_close():
    screen = ScriptedScreen(["0.62", "-0.2", "0.4", "-0.2", "1", "0.9", "q"])
    run_checker(Grader(residual_solution()), screen, tries=2)
    # the last question: 0.9 is 0.94 rounded to one figure
    assert screen.said("wrong")[-1][2] is True


def test_the_checker_counts_partial_credit_of_the_last_try():
    # softmax_ce_t4: T4.L 1 + T4.h 2 + T4.rule 3 right; T4.w2 (partial: entries) with three of
    # its six entries right earns 3/6 of 2 points on the last try: 7 of 8.
    import hwcheck

    solution = hwcheck.solve(hwcheck.load_problem(CONTRACT / "softmax_ce_t4.yaml"))
    typed = ["0.7309", "[0.3228, -0.5185, 0.1958]", "x4 - y", "[[0.1937, 1], [-0.3111, 1], [0.1175, 1]]"]
    result = run_checker(Grader(solution), ScriptedScreen(typed), tries=1)
    assert (result.score, result.max_score) == (7, 8)


def test_an_assignment_is_checked_problem_by_problem_and_saved_as_one_sheet(tmp_path):
    """carol's answers typed in, question by question over the whole homework; the sheet
    saved beside her hw4.py is then graded as her submission: 37 / 37."""
    import shutil

    import yaml

    carol = CONTRACT / "submissions" / "carol"
    answers = yaml.safe_load((carol / "answers.yaml").read_text())["answers"]
    (tmp_path / "carol").mkdir()
    shutil.copy(carol / "hw4.py", tmp_path / "carol")
    child = pexpect.spawn(HWCHECK, ["grade", str(CONTRACT / "hw4.yaml"), "--save", "carol/answers.yaml", "--student", "carol"],
                          encoding="utf-8", timeout=90, dimensions=(50, 200), cwd=str(tmp_path), env={"TERM": "dumb", "PATH": "/usr/bin:/bin"})
    for qid, value in answers.items():  # the sheet's order is the questions' order
        child.expect_exact(qid)
        answer(child, value if isinstance(value, str) else json.dumps(value))
        child.expect_exact("✓ correct")
    child.expect_exact("check your hw4.py with hwcheck grade")
    child.expect_exact("Saved your answers to carol/answers.yaml")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    done = subprocess.run([HWCHECK, "grade", str(CONTRACT / "hw4.yaml"), "carol", "--report", "r.json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    sheet = json.loads((tmp_path / "r.json").read_text())["sheets"][0]
    assert (sheet["student"], sheet["score"]) == ("carol", 37)
