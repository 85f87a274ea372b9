"""The contract's softmax_ce_t4.yaml graded on the T4 part of carol's and dave's sheets
(contract §10 formula answers, §12 partial credit). The sheets answer the whole homework, so
their T1–T3 keys are reported as unknown here; hw4.yaml grades them as one (issue 12).

Carol: T4.L 1 + T4.h 2 + T4.rule 3 (softmax(x3) - y) + T4.w2 2 = 8 of 8.
Dave: T4.L 1 + T4.h 2 + T4.rule 0 (y - x4, the sign) + T4.w2 1 (three of its six entries
right, partial: entries → 3/6 of 2 points) = 4 of 8.
"""

from __future__ import annotations

import json

from support import CONTRACT, run_cli


def _results(tmp_path, student):
    report = tmp_path / f"{student}.json"
    done = run_cli("grade", CONTRACT / "softmax_ce_t4.yaml", CONTRACT / "submissions" / student / "answers.yaml", "--report", report)
    assert done.returncode in (0, 1), done.stderr
    (sheet,) = json.loads(report.read_text(encoding="utf-8"))["sheets"]
    return sheet, {r["id"]: r for r in sheet["results"]}


def test_carol_earns_every_t4_point(tmp_path):
    sheet, results = _results(tmp_path, "carol")
    assert (sheet["score"], sheet["max_score"]) == (8, 8)
    assert all(r["correct"] for r in results.values())


def test_dave_loses_the_sign_of_the_rule_and_half_of_w2(tmp_path):
    sheet, results = _results(tmp_path, "dave")
    assert (sheet["score"], sheet["max_score"]) == (4, 8)
    assert [results[q]["earned"] for q in ("T4.L", "T4.h", "T4.rule", "T4.w2")] == [1, 2, 0, 1]
    assert "sign-error" in results["T4.rule"]["mistakes"] or "y-minus-p" in results["T4.rule"]["mistakes"]
    assert results["T4.w2"]["credit"] == {"rule": "entries", "right": 3, "of": 6}
