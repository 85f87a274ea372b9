"""Issue 8 §3: an output never overwrites an input or another output, and a report path that
is a FIFO or a device is refused before any sheet is graded."""

import os
import shutil

import pytest

from support import CONTRACT, run_cli

ALICE = CONTRACT / "alice_residual_relu.yaml"


@pytest.fixture
def here(tmp_path):
    shutil.copy(CONTRACT / "residual_relu.yaml", tmp_path / "p.yaml")
    shutil.copy(ALICE, tmp_path / "s.yaml")
    (tmp_path / "class").mkdir()
    shutil.copy(ALICE, tmp_path / "class" / "alice.yaml")
    return tmp_path


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(folder, *args, message):
    before = snapshot(folder)
    done = run_cli(*args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and message in done.stderr, done.stderr
    assert done.stdout == ""  # refused before anything was graded or shown
    assert snapshot(folder) == before  # nothing written, nothing overwritten
    return done.stderr


def test_template_onto_its_problem(here):
    err = refused(here, "template", here / "p.yaml", "-o", here / "p.yaml", message="-o would overwrite the problem file")
    assert err.startswith(f"error: {here / 'p.yaml'}: ")


def test_template_never_overwrites_a_filled_in_sheet(here):
    # s.yaml is Alice's answer sheet: a blank template over it would destroy her work.
    err = refused(here, "template", here / "p.yaml", "-o", here / "s.yaml", message="exists")
    assert err == f"error: {here / 's.yaml'}: exists (it may hold someone's work); choose another name or delete it first, or give --force to replace it\n"


def test_template_force_replaces_an_existing_sheet_but_never_an_input(here):
    blank = run_cli("template", here / "p.yaml")
    assert blank.returncode == 0 and "answers:" in blank.stdout
    done = run_cli("template", here / "p.yaml", "-o", here / "s.yaml", "--force")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert (here / "s.yaml").read_text(encoding="utf-8") == blank.stdout  # the blank sheet, whole
    # --force is about files that exist, not about the inputs: the problem file is still refused.
    refused(here, "template", here / "p.yaml", "-o", here / "p.yaml", "--force", message="-o would overwrite the problem file")


def test_template_force_replaces_a_code_starter_too(tmp_path):
    target = tmp_path / "hw4.py"
    target.write_text("my work")
    fresh = run_cli("template", CONTRACT / "numpy_net.yaml")
    assert fresh.returncode == 0 and "def linear_forward(x, w, b):" in fresh.stdout
    done = run_cli("template", CONTRACT / "numpy_net.yaml", "-o", target, "--force")
    assert done.returncode == 0, done.stderr
    assert target.read_text() == fresh.stdout


def test_gradescope_onto_the_sheet_or_the_problem(here):
    refused(here, "grade", here / "p.yaml", here / "s.yaml", "--gradescope", here / "s.yaml", message="--gradescope would overwrite the answer sheet")
    refused(here, "grade", here / "p.yaml", here / "s.yaml", "--gradescope", here / "p.yaml", message="--gradescope would overwrite the problem file")


def test_report_onto_a_sheet_named_explicitly_or_through_a_folder_link(here):
    shutil.copy(ALICE, here / "s.json")
    refused(here, "grade", here / "p.yaml", here / "s.json", "--report", here / "s.json", message="--report would overwrite the answer sheet")
    shutil.copy(ALICE, here / "class" / "a.json")
    (here / "also").symlink_to(here / "class")  # the same file through a linked folder
    refused(here, "grade", here / "p.yaml", here / "class" / "a.json", "--report", here / "also" / "a.json", message="--report would overwrite the answer sheet")
    os.link(here / "class" / "alice.yaml", here / "hard.json")  # a hard link to a sheet found in the folder
    refused(here, "grade", here / "p.yaml", here / "class", "--report", here / "hard.json", message="--report would overwrite the answer sheet")
    (here / "soft.json").symlink_to(here / "class" / "alice.yaml")
    refused(here, "grade", here / "p.yaml", here / "class", "--gradescope", here / "soft.json", message="--gradescope would overwrite the answer sheet")


def test_two_outputs_onto_one_file(here):
    refused(here, "grade", here / "p.yaml", here / "s.yaml", "--report", here / "r.json", "--gradescope", here / "r.json",
            message="--report and --gradescope both name this file")
    refused(here, "grade", here / "p.yaml", here / "s.yaml", "--report", here / "r.json", "--report", here / "class" / ".." / "r.json",
            message="--report and --report both name this file")


def test_interactive_save_onto_the_problem(here):
    refused(here, "grade", here / "p.yaml", "--save", here / "p.yaml", message="--save would overwrite the problem file")


@pytest.mark.parametrize("special", ["fifo", "device"])
def test_fifo_or_device_as_report_refused_before_grading(here, special):
    if special == "fifo":
        target = here / "r.json"
        os.mkfifo(target)
    else:
        target = "/dev/null"
    done = run_cli("grade", here / "p.yaml", here / "class", "--report" if special == "fifo" else "--gradescope", target)
    assert done.returncode == 2 and done.stdout == ""
    assert ("named pipe (FIFO), not a regular file" if special == "fifo" else "is a device, not a regular file") in done.stderr
    if special == "fifo":
        assert target.is_fifo()
