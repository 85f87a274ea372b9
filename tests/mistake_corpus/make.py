"""Generate the labelled corpus of student mistakes (issue 10, "How it is measured").

    python tests/mistake_corpus/make.py        # rewrites dev/, heldout/ and cases.json

Every problem here is written for the corpus, and every value — the right answers and
each wrong answer — is worked out below by hand-written numpy (forward pass, then the
chain rule written out step by step, with the student's slip put in by a flag), never
by hwcheck. The wrong answers are what a student making that one slip would write
(4 significant figures); each is labelled with the mistake code it was made with, or
`none` for a wrong answer that is no known mistake. A few questions take a formula
(contract §10); the formulas typed there are the slips themselves. `also` lists codes
that are true of an answer too, in other words (y − p is the sign flipped; σ′ left out
of dL/dz is stopping at dL/da): naming one of them is a true diagnosis, not recall.

Two parts, told apart by folder and by `split` in cases.json:

- dev/      problems used while developing the diagnosis (may be tuned against);
- heldout/  other problems with other numbers: never used to tune anything.

The output files are committed; tests/test_mistake_corpus.py grades them with hwcheck.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REL, ABS = 0.01, 1e-6  # the contract's default tolerance (§4)


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def softmax_rows(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_cols(z):  # the slip: normalised down each column (the batch axis)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def r4(v):
    """What a student writes: 4 significant figures."""
    if isinstance(v, (list, tuple)):
        return [r4(x) for x in v]
    v = float(v)
    return 0.0 if v == 0 else float(f"{v:.4g}")


def written(v):
    if isinstance(v, str):
        return v  # a formula (contract §10), as the student types it
    if isinstance(v, np.ndarray):
        return r4(v.tolist())
    if isinstance(v, list) and all(isinstance(x, int) for x in v):
        return v  # a shape
    if isinstance(v, (int, np.integer)):
        return int(v)
    return r4(v)


def outside(a, e, margin=2.0) -> bool:
    """a is clearly wrong for e: some element off by more than `margin` × the tolerance."""
    if isinstance(e, (int, list)) and np.asarray(e).dtype.kind in "iu":
        return a != e  # shapes and counts are compared exactly
    a, e = np.asarray(a, dtype=float), np.asarray(e, dtype=float)
    if a.shape != e.shape:
        return True
    return bool(np.any(np.abs(a - e) > margin * (ABS + REL * np.abs(e))))


class Problem:
    def __init__(self, pid, split, yaml_text, questions, right):
        self.pid, self.split, self.yaml, self.questions, self.right = pid, split, yaml_text, questions, right
        self.skip_free = False  # True: no path of the graph is a skip connection
        self.cases = []  # (qid, label, value, other wrong answers {qid: (label, value)}, note)
        self.mistakes = {}  # qid -> {label: [values]}: every slip's value, to keep `none` clear of them

    def case(self, qid, label, value, note="", others=None, feeds=None, also=()):
        """`others`: the sheet's other wrong answers {qid: (label, value)}; `feeds`: those
        a carried-forward answer follows from (default: all of them); `also`: codes that
        say the same slip in other words (a formula's "you stopped at a" for a forgotten σ′)."""
        value = written(value)
        if isinstance(value, str):  # a formula: wrong by construction, the slip typed in
            self.cases.append((qid, label, value, others or {}, note, [], list(also)))
            return
        if not outside(value, self.right[qid]):
            raise SystemExit(f"{self.pid} {qid} {label}: the slip gives the right answer within the tolerance")
        if label != "none":
            self.mistakes.setdefault(qid, []).append(value)
        self.cases.append((qid, label, value, others or {}, note, list(others or {}) if feeds is None else feeds, list(also)))


def yaml_value(v) -> str:
    return json.dumps(v)


# -- graph problems -------------------------------------------------------------------
# Each `work(...)` returns every asked value with the slips named by its flags put in.


def p_sig_sq():
    """dev: one sigmoid neuron, squared error."""
    x, y, w, b = 1.5, 1.0, 0.8, -0.4
    text = f"""id: corpus-sig-sq
title: One sigmoid neuron with a squared error
kind: graph
inputs: {{x: {x}, y: {y}}}
params: {{w: {w}, b: {b}}}
steps:
  zw: w * x
  z: zw + b
  a: sigmoid(z)
  e: a - y
  L: e ** 2
questions:
  - {{id: Q1, ask: a}}
  - {{id: Q2, ask: L}}
  - {{id: Q3, ask: dL/dz}}
  - {{id: Q4, ask: dL/dw}}
  - {{id: Q5, ask: dL/db}}
  - {{id: Q6, ask: dL/dx}}
  - {{id: Q7, ask: dL/dz, answer: formula}}
"""

    def work(forget=False, confuse=False, half=False, round_a=None, factor_swap=False, dz_given=None):
        z = w * x + b
        a = sig(z)
        if round_a is not None:
            a = round(a, round_a)
        e = a - y
        de = (1.0 if half else 2.0) * e
        local = 1.0 if forget else (a if confuse else a * (1 - a))
        dz = de * local if dz_given is None else dz_given
        dw, dx = (dz * w, dz * x) if factor_swap else (dz * x, dz * w)
        return {"Q1": a, "Q2": e ** 2, "Q3": dz, "Q4": dw, "Q5": dz, "Q6": dx}

    right = {k: written(v) for k, v in work().items()}
    right["Q7"] = "2*(a - y)*a*(1 - a)"
    p = Problem("sig_sq", "dev", text, ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"], right)
    p.case("Q7", "derivative-forgotten", "2*(a - y)", "a formula: σ′ left out, which is dL/da", also=["formula-stopped-early"])
    p.case("Q7", "derivative-confused", "2*(a - y)*a", "a formula: σ′ taken as σ")
    p.case("Q7", "square-factor", "(a - y)*a*(1 - a)", "a formula: the factor 2 dropped")
    p.case("Q7", "sign-error", "2*(y - a)*a*(1 - a)", "a formula")
    p.case("Q7", "formula-local-derivative", "a*(1 - a)", "a formula: σ′ alone")
    p.case("Q7", "formula-value-not-gradient", "a", "a formula: the activation, not a gradient")
    p.case("Q7", "formula-only-at-values", str(right["Q3"]), "a formula: today's number typed in")
    p.case("Q7", "none", "2*(a - y)*(1 - a)", "a formula")
    R = work()
    p.case("Q4", "derivative-forgotten", work(forget=True)["Q4"])
    p.case("Q5", "derivative-forgotten", work(forget=True)["Q5"])
    p.case("Q3", "derivative-confused", work(confuse=True)["Q3"])
    p.case("Q4", "derivative-confused", work(confuse=True)["Q4"])
    p.case("Q4", "square-factor", work(half=True)["Q4"], "the factor 2 of e² dropped")
    p.case("Q5", "square-factor", work(half=True)["Q5"], "the factor 2 of e² dropped")
    p.case("Q4", "sign-error", -R["Q4"])
    p.case("Q6", "sign-error", -R["Q6"])
    p.case("Q4", "wrong-factor", work(factor_swap=True)["Q4"], "∂(w·x)/∂w taken as w")
    p.case("Q6", "wrong-factor", work(factor_swap=True)["Q6"], "∂(w·x)/∂x taken as x")
    p.case("Q4", "rounded-early", work(round_a=1)["Q4"], "a rounded to 0.7 before going on")
    their_dz = 0.25
    p.case("Q4", "carried-forward", their_dz * x, "from their own dL/dz", {"Q3": ("none", their_dz)})
    their_a = 0.72
    p.case("Q2", "carried-forward", (their_a - y) ** 2, "from their own a", {"Q1": ("none", their_a)})
    p.case("Q4", "carried-forward", their_dz * x, "from their own dL/dz; dL/dx wrong too, which does not feed dL/dw",
           {"Q3": ("none", their_dz), "Q6": ("sign-error", -R["Q6"])}, feeds=["Q3"])
    p.case("Q4", "none", -0.0731)
    p.case("Q6", "none", 0.2467)
    return p


def p_tanh_half():
    """dev: two scalar layers, tanh hidden, loss ½(o − y)²."""
    x, y, w1, b1, w2, b2 = 0.5, 0.2, 1.2, 0.3, -0.7, 0.1
    text = f"""id: corpus-tanh-half
title: Two scalar layers with tanh and a half squared error
kind: graph
inputs: {{x: {x}, y: {y}}}
params: {{w1: {w1}, b1: {b1}, w2: {w2}, b2: {b2}}}
steps:
  u: w1 * x
  s: u + b1
  h: tanh(s)
  v: w2 * h
  o: v + b2
  d: o - y
  q: d ** 2
  L: 0.5 * q
questions:
  - {{id: Q1, ask: h}}
  - {{id: Q2, ask: o}}
  - {{id: Q3, ask: L}}
  - {{id: Q4, ask: dL/dw2}}
  - {{id: Q5, ask: dL/db2}}
  - {{id: Q6, ask: dL/dh}}
  - {{id: Q7, ask: dL/dw1}}
  - {{id: Q8, ask: dL/db1}}
  - {{id: Q9, ask: dL/ds, answer: formula}}
"""

    def work(forget=False, one_minus=False, no_half=False, pre=False, swap=False, round_h=None, dh_given=None):
        s = w1 * x + b1
        h = np.tanh(s)
        if round_h is not None:
            h = round(h, round_h)
        o = w2 * h + b2
        d = o - y
        do = (2.0 if no_half else 1.0) * d
        dw2 = do * (s if pre else (w2 if swap else h))
        dh = do * w2 if dh_given is None else dh_given
        local = 1.0 if forget else ((1 - h) if one_minus else (1 - h * h))
        ds = dh * local
        dw1 = ds * (w1 if swap else x)
        return {"Q1": h, "Q2": o, "Q3": 0.5 * d * d, "Q4": dw2, "Q5": do, "Q6": dh, "Q7": dw1, "Q8": ds}

    right = {k: written(v) for k, v in work().items()}
    right["Q9"] = "(o - y)*w2*(1 - h**2)"
    p = Problem("tanh_half", "dev", text, [f"Q{i}" for i in range(1, 10)], right)
    p.case("Q9", "tanh-one-minus", "(o - y)*w2*(1 - h)", "a formula")
    p.case("Q9", "derivative-forgotten", "(o - y)*w2", "a formula: tanh′ left out, which is dL/dh", also=["formula-stopped-early"])
    p.case("Q9", "square-factor", "2*(o - y)*w2*(1 - h**2)", "a formula: the ½ left out")
    R = work()
    p.case("Q7", "derivative-forgotten", work(forget=True)["Q7"])
    p.case("Q8", "derivative-forgotten", work(forget=True)["Q8"])
    p.case("Q7", "tanh-one-minus", work(one_minus=True)["Q7"])
    p.case("Q8", "tanh-one-minus", work(one_minus=True)["Q8"])
    p.case("Q4", "square-factor", work(no_half=True)["Q4"], "the ½ of ½d² left out (factor 2 kept)")
    p.case("Q7", "square-factor", work(no_half=True)["Q7"], "the ½ of ½d² left out (factor 2 kept)")
    p.case("Q4", "pre-activation", work(pre=True)["Q4"], "s used for h in ∂(w2·h)/∂w2")
    p.case("Q4", "wrong-factor", work(swap=True)["Q4"], "∂(w2·h)/∂w2 taken as w2")
    p.case("Q7", "wrong-factor", work(swap=True)["Q7"], "∂(w1·x)/∂w1 taken as w1")
    p.case("Q5", "sign-error", -R["Q5"])
    p.case("Q6", "sign-error", -R["Q6"])
    p.case("Q7", "rounded-early", work(round_h=1)["Q7"], "h rounded to 0.7 before going on")
    their_dh = 0.35
    mine = work(dh_given=their_dh)
    p.case("Q7", "carried-forward", mine["Q7"], "from their own dL/dh", {"Q6": ("none", their_dh)})
    p.case("Q8", "carried-forward", mine["Q8"], "from their own dL/dh", {"Q6": ("none", their_dh)})
    p.case("Q7", "none", 0.1377)
    return p


def p_batch_cls():
    """dev: a batch of 2, ReLU hidden layer, softmax + cross-entropy, mean over the batch."""
    X = np.array([[1.0, -0.5], [0.3, 0.8]])
    Y = np.array([[0, 0, 1], [1, 0, 0]], dtype=float)
    W1 = np.array([[0.4, -0.6], [0.2, 0.5]])
    b1 = np.array([0.1, -0.2])
    W2 = np.array([[0.3, -0.1, 0.2], [-0.4, 0.6, 0.1]])
    b2 = np.array([0.0, 0.1, -0.1])
    N = 2
    text = f"""id: corpus-batch-cls
title: A batch of two through a ReLU layer and a softmax classifier
kind: graph
inputs:
  X: {X.tolist()}
  Y: {Y.astype(int).tolist()}
params:
  W1: {W1.tolist()}
  b1: {b1.tolist()}
  W2: {W2.tolist()}
  b2: {b2.tolist()}
steps:
  A1: X @ W1
  A: A1 + b1
  H: relu(A)
  Z1: H @ W2
  Z: Z1 + b2
  P: softmax(Z)
  CE: cross_entropy(P, Y)
  L: CE / 2
questions:
  - {{id: Q1, ask: P}}
  - {{id: Q2, ask: L}}
  - {{id: Q3, ask: dL/dZ}}
  - {{id: Q4, ask: dL/dW2}}
  - {{id: Q5, ask: dL/db2}}
  - {{id: Q6, ask: dL/dW1}}
  - {{id: Q7, ask: dL/db1}}
  - {{id: Q8, ask: dL/dZ, answer: formula}}
  - {{id: Q9, ask: dL/dW2, answer: formula}}
"""

    def work(no_mean=False, example=None, axis0=False, y_minus_p=False, no_t=False, no_gate=False, round_p=None, dz_given=None):
        A = X @ W1 + b1
        H = np.maximum(A, 0)
        Z = H @ W2 + b2
        P = softmax_cols(Z) if axis0 else softmax_rows(Z)
        if round_p is not None:
            P = np.round(P, round_p)
        G = (Y - P) if y_minus_p else (P - Y)
        dZ = G / (1 if no_mean else N)
        if example is not None:  # one example's loss: its row alone, no mean
            keep = np.zeros_like(G)
            keep[example] = G[example]
            dZ = keep
        if dz_given is not None:
            dZ = dz_given
        dW2 = (H @ dZ) if no_t else H.T @ dZ
        db2 = dZ.sum(axis=0)
        dH = dZ @ W2.T
        dA = dH if no_gate else dH * (A > 0)
        dW1 = (X @ dA) if no_t else X.T @ dA
        db1 = dA.sum(axis=0)
        L = -np.sum(Y * np.log(P)) / N
        return {"Q1": P, "Q2": L, "Q3": dZ, "Q4": dW2, "Q5": db2, "Q6": dW1, "Q7": db1}

    right = {k: written(v) for k, v in work().items()}
    right["Q8"] = "(P - Y) / 2"
    right["Q9"] = "transpose(H) @ (P - Y) / 2"
    p = Problem("batch_cls", "dev", text, [f"Q{i}" for i in range(1, 10)], right)
    p.case("Q8", "y-minus-p", "(Y - P) / 2", "a formula", also=["sign-error"])
    p.case("Q8", "missing-batch-mean", "P - Y", "a formula: the 1/2 left out")
    p.case("Q8", "formula-value-not-gradient", "P", "a formula: the probabilities, not a gradient")
    R = work()
    for q in ("Q3", "Q4", "Q6"):
        p.case(q, "missing-batch-mean", work(no_mean=True)[q])
    p.case("Q4", "one-example", work(example=0)["Q4"], "example 0 only")
    p.case("Q5", "one-example", work(example=1)["Q5"], "example 1 only")
    p.case("Q1", "softmax-axis", work(axis0=True)["Q1"])
    p.case("Q4", "softmax-axis", work(axis0=True)["Q4"])
    p.case("Q3", "y-minus-p", work(y_minus_p=True)["Q3"])
    p.case("Q4", "y-minus-p", work(y_minus_p=True)["Q4"])
    p.case("Q4", "missing-transpose", work(no_t=True)["Q4"], "H @ dZ for Hᵀ @ dZ")
    p.case("Q6", "missing-transpose", work(no_t=True)["Q6"], "X @ dA for Xᵀ @ dA")
    p.case("Q4", "transposed", R["Q4"].T)
    p.case("Q6", "transposed", R["Q6"].T)
    p.case("Q6", "relu-gate-ignored", work(no_gate=True)["Q6"])
    p.case("Q7", "relu-gate-ignored", work(no_gate=True)["Q7"])
    one = R["Q4"].copy()
    one[1][2] = -one[1][2] * 0.5
    p.case("Q4", "wrong-entry", one, "entry [1][2] wrong")
    one = R["Q6"].copy()
    one[0][1] = one[0][1] + 0.05
    p.case("Q6", "wrong-entry", one, "entry [0][1] wrong")
    p.case("Q4", "rounded-early", work(round_p=1)["Q4"], "P rounded to 1 decimal before going on")
    p.case("Q6", "sign-error", -R["Q6"])
    their = np.array(written(R["Q3"])) * np.array([[1, 1, 1], [1, 0.5, 1]])  # one entry halved
    mine = work(dz_given=np.array(written(their)))
    p.case("Q4", "carried-forward", mine["Q4"], "from their own dL/dZ", {"Q3": ("wrong-entry", their)})
    p.case("Q5", "carried-forward", mine["Q5"], "from their own dL/dZ", {"Q3": ("wrong-entry", their)})
    p.case("Q4", "none", R["Q4"] * np.array([[1.3, 0.7, 1.1], [0.9, 1.2, 0.8]]))
    p.case("Q6", "none", R["Q6"] + np.array([[0.03, -0.02], [0.05, 0.01]]))
    # The same two slips one step further down (Hᵀ carries them), and a wrong N.
    p.case("Q9", "y-minus-p", "transpose(H) @ (Y - P) / 2", "a formula", also=["sign-error"])
    p.case("Q9", "missing-batch-mean", "transpose(H) @ (P - Y)", "a formula: the 1/2 left out")
    p.case("Q8", "none", "(P - Y) / 4", "a formula: divided by 4, not the batch's 2")
    return p


def p_batch_reg():
    """dev: a batch of 3, sigmoid hidden layer, mse of the 3 predictions."""
    X = np.array([[0.5, -1.0, 0.2], [1.2, 0.3, -0.4], [-0.7, 0.8, 1.0]])
    y = np.array([0.4, -0.2, 0.9])
    W1 = np.array([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6]])
    b1 = np.array([0.05, -0.1])
    w2 = np.array([1.5, -0.8])
    b2 = 0.2
    N = 3
    text = f"""id: corpus-batch-reg
title: A batch of three through a sigmoid layer, mean squared error
kind: graph
inputs:
  X: {X.tolist()}
  y: {y.tolist()}
params:
  W1: {W1.tolist()}
  b1: {b1.tolist()}
  w2: {w2.tolist()}
  b2: {b2}
steps:
  A1: X @ W1
  A: A1 + b1
  H: sigmoid(A)
  yh1: H @ w2
  yhat: yh1 + b2
  L: mse(yhat, y)
questions:
  - {{id: Q1, ask: yhat}}
  - {{id: Q2, ask: L}}
  - {{id: Q3, ask: dL/dyhat}}
  - {{id: Q4, ask: dL/dw2}}
  - {{id: Q5, ask: dL/db2}}
  - {{id: Q6, ask: dL/dW1}}
  - {{id: Q7, ask: dL/db1}}
  - {{id: Q8, ask: dL/dyhat, answer: formula}}
  - {{id: Q9, ask: dL/dw2, answer: formula}}
"""

    def work(half=False, no_mean=False, example=None, forget=False, confuse=False, no_t=False, pre=False, round_h=None):
        A = X @ W1 + b1
        H = sig(A)
        if round_h is not None:
            H = np.round(H, round_h)
        yhat = H @ w2 + b2
        g = (1.0 if half else 2.0) * (yhat - y)
        dy = g / (1 if no_mean else N)
        if example is not None:
            keep = np.zeros_like(g)
            keep[example] = g[example]
            dy = keep
        dw2 = (A if pre else H).T @ dy
        db2 = dy.sum()
        dH = np.outer(dy, w2)
        local = 1.0 if forget else (H if confuse else H * (1 - H))
        dA = dH * local
        dW1 = (X @ dA) if no_t else X.T @ dA
        db1 = dA.sum(axis=0)
        return {"Q1": yhat, "Q2": np.mean((yhat - y) ** 2), "Q3": dy, "Q4": dw2, "Q5": db2, "Q6": dW1, "Q7": db1}

    right = {k: written(v) for k, v in work().items()}
    right["Q8"] = "2 * (yhat - y) / 3"
    right["Q9"] = "transpose(H) @ (2 * (yhat - y) / 3)"
    p = Problem("batch_reg", "dev", text, [f"Q{i}" for i in range(1, 10)], right)
    R = work()
    for q in ("Q3", "Q4", "Q6"):
        p.case(q, "square-factor", work(half=True)[q], "the factor 2 of the square dropped")
    p.case("Q4", "missing-batch-mean", work(no_mean=True)["Q4"])
    p.case("Q6", "missing-batch-mean", work(no_mean=True)["Q6"])
    p.case("Q4", "one-example", work(example=0)["Q4"], "example 0 only")
    p.case("Q6", "one-example", work(example=2)["Q6"], "example 2 only")
    p.case("Q6", "derivative-forgotten", work(forget=True)["Q6"])
    p.case("Q7", "derivative-forgotten", work(forget=True)["Q7"])
    p.case("Q6", "derivative-confused", work(confuse=True)["Q6"])
    p.case("Q7", "derivative-confused", work(confuse=True)["Q7"])
    p.case("Q6", "missing-transpose", work(no_t=True)["Q6"], "X @ dA for Xᵀ @ dA")
    p.case("Q6", "transposed", R["Q6"].T)
    p.case("Q4", "pre-activation", work(pre=True)["Q4"], "A used for H in ∂(H @ w2)/∂w2")
    one = R["Q6"].copy()
    one[2][0] = one[2][0] * 1.5
    p.case("Q6", "wrong-entry", one, "entry [2][0] wrong")
    p.case("Q6", "rounded-early", work(round_h=1)["Q6"], "H rounded to 1 decimal before going on")
    p.case("Q4", "sign-error", -R["Q4"])
    p.case("Q6", "none", R["Q6"] * np.array([[1.2, 0.8], [0.9, 1.1], [1.3, 0.7]]))
    p.case("Q8", "missing-batch-mean", "2 * (yhat - y)", "a formula: the 1/3 of the mse left out")
    p.case("Q9", "missing-batch-mean", "transpose(H) @ (2 * (yhat - y))", "a formula: the 1/3 of the mse left out")
    return p


def p_paths_tanh():
    """dev: three chain-rule paths from a to the output, through tanh and two skips."""
    x, w, b, v = 0.5, 0.6, 0.2, -1.5
    text = f"""id: corpus-paths-tanh
title: A tanh unit with two skip connections
kind: graph
inputs: {{x: {x}}}
params: {{w: {w}, b: {b}, v: {v}}}
steps:
  a: w * x
  s: a + b
  h: tanh(s)
  g: v * h
  r: g + s
  t: r + a
questions:
  - {{id: Q1, ask: h}}
  - {{id: Q2, ask: t}}
  - {{id: Q3, ask: dt/da}}
  - {{id: Q4, ask: dt/dw}}
  - {{id: Q5, ask: dt/db}}
  - {{id: Q6, ask: dt/dx}}
  - {{id: Q7, ask: dt/dv}}
"""
    s = w * x + b
    h = math.tanh(s)
    t = v * h + s + w * x
    tanh_path = v * (1 - h * h)  # a → s → h → g → r → t
    skip_s, skip_a = 1.0, 1.0  # a → s → r → t, and a → t
    da = tanh_path + skip_s + skip_a
    ds = tanh_path + skip_s
    right = {"Q1": r4(h), "Q2": r4(t), "Q3": r4(da), "Q4": r4(da * x), "Q5": r4(ds), "Q6": r4(da * w), "Q7": r4(h)}
    p = Problem("paths_tanh", "dev", text, [f"Q{i}" for i in range(1, 8)], right)
    p.case("Q3", "missing-path", skip_s + skip_a, "the tanh path left out")
    p.case("Q4", "missing-path", (tanh_path + skip_s) * x, "the skip a → t left out")
    p.case("Q5", "missing-path", tanh_path, "the skip s → r left out")
    p.case("Q3", "one-path-only", tanh_path, "only the tanh path")
    p.case("Q6", "one-path-only", tanh_path * w, "only the tanh path")
    p.case("Q3", "derivative-forgotten", v + 2)
    p.case("Q5", "derivative-forgotten", v + 1)
    p.case("Q3", "tanh-one-minus", v * (1 - h) + 2)
    p.case("Q5", "tanh-one-minus", v * (1 - h) + 1)
    p.case("Q4", "wrong-factor", da * w, "∂(w·x)/∂w taken as w")
    p.case("Q7", "wrong-factor", v, "∂(v·h)/∂v taken as v")
    p.case("Q5", "sign-error", -ds)
    p.case("Q7", "sign-error", -h)
    their = 0.9
    p.case("Q4", "carried-forward", their * x, "from their own dt/da", {"Q3": ("none", their)})
    p.case("Q6", "carried-forward", their * w, "from their own dt/da", {"Q3": ("none", their)})
    p.case("Q4", "none", 0.3377)
    return p


def p_shared_weight():
    """dev: one weight used twice (no skip connection): c = w · tanh(w · x)."""
    x, w = 0.7, 0.9
    text = f"""id: corpus-shared-weight
title: A weight used twice
kind: graph
inputs: {{x: {x}}}
params: {{w: {w}}}
steps:
  a: w * x
  h: tanh(a)
  c: w * h
questions:
  - {{id: Q1, ask: h}}
  - {{id: Q2, ask: c}}
  - {{id: Q3, ask: dc/dw}}
  - {{id: Q4, ask: dc/dx}}
"""
    h = math.tanh(w * x)
    inner = w * (1 - h * h) * x  # w → a → h → c
    right = {"Q1": r4(h), "Q2": r4(w * h), "Q3": r4(h + inner), "Q4": r4(w * (1 - h * h) * w)}
    p = Problem("shared_weight", "dev", text, ["Q1", "Q2", "Q3", "Q4"], right)
    p.skip_free = True  # no path here bypasses anything through an addition
    p.case("Q3", "missing-path", inner, "the outer use of w (w → c) left out")
    p.case("Q3", "missing-path", h, "the inner use of w (w → a → h → c) left out")
    p.case("Q3", "derivative-forgotten", h + w * x)
    p.case("Q3", "tanh-one-minus", h + w * (1 - h) * x)
    p.case("Q4", "sign-error", -w * (1 - h * h) * w)
    p.case("Q3", "none", 0.9321)
    return p


def p_sig_tanh():
    """held-out: sigmoid hidden unit, tanh output, squared error."""
    x, y, w1, b1, w2, b2 = 0.9, -0.3, 0.7, -0.2, 1.1, -0.5
    text = f"""id: corpus-sig-tanh
title: A sigmoid unit feeding a tanh unit, squared error
kind: graph
inputs: {{x: {x}, y: {y}}}
params: {{w1: {w1}, b1: {b1}, w2: {w2}, b2: {b2}}}
steps:
  u: w1 * x
  z1: u + b1
  h: sigmoid(z1)
  m: w2 * h
  z2: m + b2
  o: tanh(z2)
  e: o - y
  L: e ** 2
questions:
  - {{id: Q1, ask: h}}
  - {{id: Q2, ask: o}}
  - {{id: Q3, ask: L}}
  - {{id: Q4, ask: dL/dw2}}
  - {{id: Q5, ask: dL/db2}}
  - {{id: Q6, ask: dL/dh}}
  - {{id: Q7, ask: dL/dw1}}
  - {{id: Q8, ask: dL/db1}}
  - {{id: Q9, ask: dL/dz2, answer: formula}}
"""

    def work(forget_sig=False, forget_tanh=False, confuse_sig=False, one_minus=False, half=False, pre=False, swap=False, round_h=None, round_o=None, dh_given=None):
        z1 = w1 * x + b1
        h = sig(z1)
        if round_h is not None:
            h = round(h, round_h)
        z2 = w2 * h + b2
        o = np.tanh(z2)
        if round_o is not None:
            o = round(o, round_o)
        e = o - y
        de = (1.0 if half else 2.0) * e
        tl = 1.0 if forget_tanh else ((1 - o) if one_minus else (1 - o * o))
        dz2 = de * tl
        dw2 = dz2 * (z1 if pre else (w2 if swap else h))
        dh = dz2 * w2 if dh_given is None else dh_given
        sl = 1.0 if forget_sig else (h if confuse_sig else h * (1 - h))
        dz1 = dh * sl
        dw1 = dz1 * (w1 if swap else x)
        return {"Q1": h, "Q2": o, "Q3": e * e, "Q4": dw2, "Q5": dz2, "Q6": dh, "Q7": dw1, "Q8": dz1}

    right = {k: written(v) for k, v in work().items()}
    right["Q9"] = "2*(o - y)*(1 - o**2)"
    p = Problem("sig_tanh", "heldout", text, [f"Q{i}" for i in range(1, 10)], right)
    p.case("Q9", "derivative-forgotten", "2*(o - y)", "a formula: tanh′ left out, which is dL/do", also=["formula-stopped-early"])
    p.case("Q9", "tanh-one-minus", "2*(o - y)*(1 - o)", "a formula")
    p.case("Q9", "square-factor", "(o - y)*(1 - o**2)", "a formula: the ½ convention")
    p.case("Q9", "sign-error", "2*(y - o)*(1 - o**2)", "a formula")
    p.case("Q9", "formula-local-derivative", "1 - o**2", "a formula: tanh′ alone")
    p.case("Q9", "formula-value-not-gradient", "o", "a formula: the output, not a gradient")
    p.case("Q9", "formula-only-at-values", str(right["Q5"]), "a formula: today's number typed in")
    # tanh′ taken as tanh: the activation used for its derivative (first labelled `none`;
    # relabelled when the diagnosis named it, since the sentence is true of it).
    p.case("Q9", "derivative-confused", "2*(o - y)*o", "a formula: tanh′ taken as tanh")
    p.case("Q9", "none", "2*(o - y)*(1 + o**2)", "a formula")
    R = work()
    p.case("Q5", "derivative-forgotten", work(forget_tanh=True)["Q5"], "tanh′ left out")
    p.case("Q7", "derivative-forgotten", work(forget_sig=True)["Q7"], "σ′ left out")
    p.case("Q8", "derivative-forgotten", work(forget_tanh=True)["Q8"], "tanh′ left out")
    p.case("Q7", "derivative-confused", work(confuse_sig=True)["Q7"], "σ′ taken as σ")
    p.case("Q8", "derivative-confused", work(confuse_sig=True)["Q8"], "σ′ taken as σ")
    p.case("Q4", "tanh-one-minus", work(one_minus=True)["Q4"])
    p.case("Q5", "tanh-one-minus", work(one_minus=True)["Q5"])
    p.case("Q4", "square-factor", work(half=True)["Q4"], "the ½ convention: factor 2 dropped")
    p.case("Q7", "square-factor", work(half=True)["Q7"], "the ½ convention: factor 2 dropped")
    p.case("Q4", "pre-activation", work(pre=True)["Q4"], "z1 used for h in ∂(w2·h)/∂w2")
    p.case("Q4", "wrong-factor", work(swap=True)["Q4"], "∂(w2·h)/∂w2 taken as w2")
    p.case("Q7", "wrong-factor", work(swap=True)["Q7"], "∂(w1·x)/∂w1 taken as w1")
    p.case("Q6", "sign-error", -R["Q6"])
    p.case("Q7", "rounded-early", work(round_h=1, round_o=1)["Q7"], "h and o rounded to 1 decimal before going on")
    their = -0.45
    mine = work(dh_given=their)
    p.case("Q7", "carried-forward", mine["Q7"], "from their own dL/dh", {"Q6": ("none", their)})
    p.case("Q8", "carried-forward", mine["Q8"], "from their own dL/dh", {"Q6": ("none", their)})
    p.case("Q7", "none", 0.3124)
    p.case("Q5", "none", 0.6512)
    return p


def p_batch_tanh_ce():
    """held-out: a batch of 3, tanh hidden layer, 2 classes, cross-entropy / 3."""
    X = np.array([[0.6, -1.1], [-0.3, 0.9], [1.4, 0.2]])
    Y = np.array([[1, 0], [0, 1], [0, 1]], dtype=float)
    W1 = np.array([[0.5, -0.3, 0.8], [0.2, 0.7, -0.4]])
    b1 = np.array([0.1, 0.0, -0.2])
    W2 = np.array([[0.9, -0.2], [-0.5, 0.4], [0.3, 0.6]])
    b2 = np.array([0.05, -0.05])
    N = 3
    text = f"""id: corpus-batch-tanh-ce
title: A batch of three through a tanh layer and a two-class softmax
kind: graph
inputs:
  X: {X.tolist()}
  Y: {Y.astype(int).tolist()}
params:
  W1: {W1.tolist()}
  b1: {b1.tolist()}
  W2: {W2.tolist()}
  b2: {b2.tolist()}
steps:
  A1: X @ W1
  A: A1 + b1
  H: tanh(A)
  Z1: H @ W2
  Z: Z1 + b2
  P: softmax(Z)
  CE: cross_entropy(P, Y)
  L: CE / 3
questions:
  - {{id: Q1, ask: P}}
  - {{id: Q2, ask: L}}
  - {{id: Q3, ask: dL/dZ}}
  - {{id: Q4, ask: dL/dW2}}
  - {{id: Q5, ask: dL/db2}}
  - {{id: Q6, ask: dL/dH}}
  - {{id: Q7, ask: dL/dW1}}
  - {{id: Q8, ask: dL/db1}}
  - {{id: Q9, ask: dL/dZ, answer: formula}}
  - {{id: Q10, ask: dL/dW2, answer: formula}}
"""

    def work(no_mean=False, example=None, axis0=False, y_minus_p=False, no_t=False, forget=False, one_minus=False, round_p=None, dh_given=None):
        A = X @ W1 + b1
        H = np.tanh(A)
        Z = H @ W2 + b2
        P = softmax_cols(Z) if axis0 else softmax_rows(Z)
        if round_p is not None:
            P = np.round(P, round_p)
        G = (Y - P) if y_minus_p else (P - Y)
        dZ = G / (1 if no_mean else N)
        if example is not None:
            keep = np.zeros_like(G)
            keep[example] = G[example]
            dZ = keep
        dW2 = (H @ dZ) if no_t else H.T @ dZ
        db2 = dZ.sum(axis=0)
        dH = dZ @ W2.T if dh_given is None else dh_given
        local = 1.0 if forget else ((1 - H) if one_minus else (1 - H * H))
        dA = dH * local
        dW1 = X.T @ dA
        db1 = dA.sum(axis=0)
        L = -np.sum(Y * np.log(P)) / N
        return {"Q1": P, "Q2": L, "Q3": dZ, "Q4": dW2, "Q5": db2, "Q6": dH, "Q7": dW1, "Q8": db1}

    right = {k: written(v) for k, v in work().items()}
    right["Q9"] = "(P - Y) / 3"
    right["Q10"] = "transpose(H) @ (P - Y) / 3"
    p = Problem("batch_tanh_ce", "heldout", text, [f"Q{i}" for i in range(1, 11)], right)
    p.case("Q9", "y-minus-p", "(Y - P) / 3", "a formula", also=["sign-error"])
    p.case("Q9", "missing-batch-mean", "P - Y", "a formula: the 1/3 left out")
    p.case("Q9", "formula-value-not-gradient", "P", "a formula: the probabilities, not a gradient")
    R = work()
    p.case("Q3", "missing-batch-mean", work(no_mean=True)["Q3"])
    p.case("Q7", "missing-batch-mean", work(no_mean=True)["Q7"])
    p.case("Q4", "one-example", work(example=2)["Q4"], "example 2 only")
    p.case("Q8", "one-example", work(example=0)["Q8"], "example 0 only")
    p.case("Q1", "softmax-axis", work(axis0=True)["Q1"])
    p.case("Q4", "softmax-axis", work(axis0=True)["Q4"])
    p.case("Q3", "y-minus-p", work(y_minus_p=True)["Q3"])
    p.case("Q5", "y-minus-p", work(y_minus_p=True)["Q5"])
    p.case("Q4", "missing-transpose", work(no_t=True)["Q4"], "H @ dZ for Hᵀ @ dZ")
    p.case("Q4", "transposed", R["Q4"].T)
    p.case("Q7", "transposed", R["Q7"].T)
    one = R["Q4"].copy()
    one[2][1] = one[2][1] * 2
    p.case("Q4", "wrong-entry", one, "entry [2][1] wrong")
    one = R["Q7"].copy()
    one[1][0] = -one[1][0]
    p.case("Q7", "wrong-entry", one, "entry [1][0] wrong")
    p.case("Q4", "rounded-early", work(round_p=1)["Q4"], "P rounded to 1 decimal before going on")
    p.case("Q7", "derivative-forgotten", work(forget=True)["Q7"])
    p.case("Q8", "derivative-forgotten", work(forget=True)["Q8"])
    p.case("Q7", "tanh-one-minus", work(one_minus=True)["Q7"])
    p.case("Q8", "tanh-one-minus", work(one_minus=True)["Q8"])
    p.case("Q6", "sign-error", -R["Q6"])
    their = np.array(written(R["Q6"])) * np.array([[1, 1, 1], [1, 1, 1], [1, -1, 1]])  # one sign slip
    mine = work(dh_given=np.array(written(their)))
    p.case("Q7", "carried-forward", mine["Q7"], "from their own dL/dH", {"Q6": ("wrong-entry", their)})
    p.case("Q8", "carried-forward", mine["Q8"], "from their own dL/dH", {"Q6": ("wrong-entry", their)})
    p.case("Q7", "none", R["Q7"] * np.array([[0.8, 1.2, 1.1], [1.3, 0.9, 0.7]]))
    # The same two slips one step further down (Hᵀ carries them), and a wrong N.
    p.case("Q10", "y-minus-p", "transpose(H) @ (Y - P) / 3", "a formula", also=["sign-error"])
    p.case("Q10", "missing-batch-mean", "transpose(H) @ (P - Y)", "a formula: the 1/3 left out")
    p.case("Q9", "none", "(P - Y) / 2", "a formula: divided by 2, not the batch's 3")
    return p


def p_batch_relu_mse():
    """held-out: a batch of 2, ReLU hidden layer (one unit closed), mse."""
    X = np.array([[0.9, -0.4], [0.2, 1.3]])
    y = np.array([1.0, -0.5])
    W1 = np.array([[0.6, -0.7, 0.2], [0.3, -0.5, -0.9]])
    b1 = np.array([0.1, 0.2, 0.3])
    w2 = np.array([0.8, -1.2, 0.5])
    b2 = -0.1
    N = 2
    text = f"""id: corpus-batch-relu-mse
title: A batch of two through a ReLU layer, mean squared error
kind: graph
inputs:
  X: {X.tolist()}
  y: {y.tolist()}
params:
  W1: {W1.tolist()}
  b1: {b1.tolist()}
  w2: {w2.tolist()}
  b2: {b2}
steps:
  A1: X @ W1
  A: A1 + b1
  H: relu(A)
  yh1: H @ w2
  yhat: yh1 + b2
  L: mse(yhat, y)
questions:
  - {{id: Q1, ask: yhat}}
  - {{id: Q2, ask: L}}
  - {{id: Q3, ask: dL/dyhat}}
  - {{id: Q4, ask: dL/dw2}}
  - {{id: Q5, ask: dL/db2}}
  - {{id: Q6, ask: dL/dW1}}
  - {{id: Q7, ask: dL/db1}}
  - {{id: Q8, ask: dL/dyhat, answer: formula}}
"""

    def work(half=False, no_mean=False, example=None, no_gate=False, no_t=False, pre=False):
        A = X @ W1 + b1
        H = np.maximum(A, 0)
        yhat = H @ w2 + b2
        g = (1.0 if half else 2.0) * (yhat - y)
        dy = g / (1 if no_mean else N)
        if example is not None:
            keep = np.zeros_like(g)
            keep[example] = g[example]
            dy = keep
        dw2 = (A if pre else H).T @ dy
        dA = np.outer(dy, w2) * (1.0 if no_gate else (A > 0))
        dW1 = (X @ dA) if no_t else X.T @ dA
        return {"Q1": yhat, "Q2": np.mean((yhat - y) ** 2), "Q3": dy, "Q4": dw2, "Q5": dy.sum(), "Q6": dW1, "Q7": dA.sum(axis=0)}

    right = {k: written(v) for k, v in work().items()}
    right["Q8"] = "2 * (yhat - y) / 2"
    p = Problem("batch_relu_mse", "heldout", text, [f"Q{i}" for i in range(1, 9)], right)
    R = work()
    p.case("Q6", "relu-gate-ignored", work(no_gate=True)["Q6"])
    p.case("Q7", "relu-gate-ignored", work(no_gate=True)["Q7"])
    p.case("Q3", "square-factor", work(half=True)["Q3"], "the factor 2 of the square dropped")
    p.case("Q6", "square-factor", work(half=True)["Q6"], "the factor 2 of the square dropped")
    p.case("Q4", "missing-batch-mean", work(no_mean=True)["Q4"])
    p.case("Q6", "missing-batch-mean", work(no_mean=True)["Q6"])
    p.case("Q4", "one-example", work(example=1)["Q4"], "example 1 only")
    p.case("Q6", "one-example", work(example=0)["Q6"], "example 0 only")
    p.case("Q6", "missing-transpose", work(no_t=True)["Q6"], "X @ dA for Xᵀ @ dA")
    p.case("Q6", "transposed", R["Q6"].T)
    one = R["Q6"].copy()
    one[1][2] = one[1][2] - 0.3
    p.case("Q6", "wrong-entry", one, "entry [1][2] wrong")
    p.case("Q4", "pre-activation", work(pre=True)["Q4"], "A used for H in ∂(H @ w2)/∂w2")
    p.case("Q5", "sign-error", -R["Q5"])
    p.case("Q6", "none", R["Q6"] * np.array([[1.25, 0.8, 1.0], [0.9, 1.15, 1.3]]) + 0.01)
    p.case("Q8", "missing-batch-mean", "2 * (yhat - y)", "a formula: the 1/2 of the mse left out")
    return p


def p_paths_sig():
    """held-out: three paths from a to the output, through a sigmoid and two skips."""
    x, w, b, c = 0.8, 0.5, -0.3, 1.6
    text = f"""id: corpus-paths-sig
title: A sigmoid unit with two skip connections
kind: graph
inputs: {{x: {x}}}
params: {{w: {w}, b: {b}, c: {c}}}
steps:
  a: w * x
  s: a + b
  h: sigmoid(s)
  m: c * h
  r: m + a
  t: r + s
questions:
  - {{id: Q1, ask: h}}
  - {{id: Q2, ask: t}}
  - {{id: Q3, ask: dt/da}}
  - {{id: Q4, ask: dt/dw}}
  - {{id: Q5, ask: dt/db}}
  - {{id: Q6, ask: dt/dx}}
  - {{id: Q7, ask: dt/dc}}
  - {{id: Q8, ask: dt/ds, answer: formula}}
"""
    s = w * x + b
    h = 1 / (1 + math.exp(-s))
    t = c * h + w * x + s
    sig_path = c * h * (1 - h)  # a → s → h → m → r → t
    da = sig_path + 1 + 1  # ... + a → r → t + a → s → t
    ds = sig_path + 1
    right = {"Q1": r4(h), "Q2": r4(t), "Q3": r4(da), "Q4": r4(da * x), "Q5": r4(ds), "Q6": r4(da * w), "Q7": r4(h)}
    right["Q8"] = "c*h*(1 - h) + 1"
    p = Problem("paths_sig", "heldout", text, [f"Q{i}" for i in range(1, 9)], right)
    p.case("Q8", "derivative-confused", "c*h + 1", "a formula: σ′ taken as σ")
    p.case("Q8", "derivative-forgotten", "c + 1", "a formula: σ′ left out")
    p.case("Q3", "missing-path", 2.0, "the sigmoid path left out")
    p.case("Q5", "missing-path", sig_path, "the skip s → t left out")
    p.case("Q4", "missing-path", (sig_path + 1) * x, "one skip left out")
    p.case("Q3", "one-path-only", sig_path, "only the sigmoid path")
    p.case("Q6", "one-path-only", sig_path * w, "only the sigmoid path")
    p.case("Q3", "derivative-forgotten", c + 2)
    p.case("Q5", "derivative-forgotten", c + 1)
    p.case("Q3", "derivative-confused", c * h + 2, "σ′ taken as σ")
    p.case("Q5", "derivative-confused", c * h + 1, "σ′ taken as σ")
    p.case("Q4", "wrong-factor", da * w, "∂(w·x)/∂w taken as w")
    p.case("Q7", "wrong-factor", c, "∂(c·h)/∂c taken as c")
    p.case("Q6", "sign-error", -da * w)
    their = 2.6
    p.case("Q4", "carried-forward", their * x, "from their own dt/da", {"Q3": ("none", their)})
    p.case("Q6", "carried-forward", their * w, "from their own dt/da", {"Q3": ("none", their)})
    p.case("Q4", "carried-forward", their * x, "from their own dt/da; dt/dc wrong too, which does not feed dt/dw",
           {"Q3": ("none", their), "Q7": ("sign-error", -h)}, feeds=["Q3"])
    p.case("Q4", "none", 1.571)
    return p


# -- architecture problems ------------------------------------------------------------
# Output sizes by PyTorch's formula, params by hand; a slip is applied to every layer, as a
# student who has it wrong has it wrong throughout.


def out_size(n, k, s, pad, mistake=None, ceil=False):
    if mistake == "forgot-padding":
        pad = 0
    if mistake == "forgot-stride":
        s = 1
    if mistake == "wrong-rounding":
        ceil = not ceil
    q = (n + 2 * pad - k) / s
    q = math.ceil(q) if ceil else math.floor(q)
    return q if mistake == "forgot-plus-one" else q + 1


def conv_params(cin, cout, k, mistake=None):
    weights = cout * (1 if mistake == "forgot-input-channels" else cin) * k * k
    return weights + (0 if mistake == "forgot-bias" else cout)


def dense_params(fin, fout, mistake=None):
    return fin * fout + (0 if mistake == "forgot-bias" else fout)


def bn_params(c, mistake=None):
    return c * (4 if mistake == "bn-stats-learnable" else 2)


def cl(shape, mistake):
    """Channels last: what a Keras user writes."""
    return shape[1:] + shape[:1] if mistake == "channels-last" else shape


def p_cnn_a():
    text = """id: corpus-cnn-a
title: A small convolutional network on 3x32x32 images
kind: architecture
input: [3, 32, 32]
layers:
  - {name: c1, type: conv2d, filters: 16, kernel: 3, padding: 1}
  - {type: relu}
  - {name: p1, type: maxpool2d, kernel: 2}
  - {name: c2, type: conv2d, filters: 32, kernel: 5, stride: 2}
  - {name: bn, type: batchnorm}
  - {type: flatten}
  - {name: fc, type: dense, units: 10}
questions:
  - {id: Q1, ask: c1}
  - {id: Q2, ask: p1}
  - {id: Q3, ask: c2}
  - {id: Q4, ask: "params(c1)"}
  - {id: Q5, ask: "params(c2)"}
  - {id: Q6, ask: "params(bn)"}
  - {id: Q7, ask: "params(fc)"}
  - {id: Q8, ask: params}
"""

    def work(m=None, p1_given=None):
        h1 = out_size(32, 3, 1, 1, m)
        h2 = out_size(h1, 2, 2, 0, m)
        if p1_given is not None:
            h2 = p1_given[1]
        h3 = out_size(h2, 5, 2, 0, m)
        pc1, pc2, pbn, pfc = conv_params(3, 16, 3, m), conv_params(16, 32, 5, m), bn_params(32, m), dense_params(32 * h3 * h3, 10, m)
        return {"Q1": cl([16, h1, h1], m), "Q2": cl([16, h2, h2], m), "Q3": cl([32, h3, h3], m), "Q4": pc1, "Q5": pc2, "Q6": pbn, "Q7": pfc, "Q8": pc1 + pc2 + pbn + pfc}

    right = work()
    p = Problem("cnn_a", "dev", text, [f"Q{i}" for i in range(1, 9)], right)
    for code, qs in {
        "forgot-padding": ("Q1", "Q2"), "forgot-plus-one": ("Q1", "Q3", "Q8"), "forgot-stride": ("Q2", "Q3", "Q8"),
        "wrong-rounding": ("Q3", "Q8"), "forgot-input-channels": ("Q4", "Q5"), "forgot-bias": ("Q4", "Q7"),
        "bn-stats-learnable": ("Q6", "Q8"), "channels-last": ("Q1", "Q3"),
    }.items():
        for q in qs:
            p.case(q, code, work(code)[q])
    their = [16, 8, 8]
    p.case("Q3", "carried-forward", work(p1_given=their)["Q3"], "from their own p1", {"Q2": ("none", their)})
    p.case("Q3", "none", [32, 5, 5])
    p.case("Q5", "none", 12864)
    return p


def lstm_params(fin, hidden, gates, m=None):
    g = 1 if m == "one-gate" else gates
    return g * (hidden * fin + hidden * hidden + (0 if m == "forgot-bias" else 2 * hidden))


def mha_params(e, heads, m=None):
    # The slip: every head its own query, key, value and output projections, E×E and E each.
    per = heads if m == "per-head-projections" else 1
    return per * (4 * e * e + (0 if m == "forgot-bias" else 4 * e))


def p_seq_a():
    text = """id: corpus-seq-a
title: An LSTM, self-attention and a dense head on sequences of 20
kind: architecture
input: [20, 8]
layers:
  - {name: rnn, type: lstm, hidden: 16}
  - {name: att, type: multihead_attention, heads: 4}
  - {name: fc, type: dense, units: 5}
questions:
  - {id: Q1, ask: rnn}
  - {id: Q2, ask: "params(rnn)"}
  - {id: Q3, ask: "params(att)"}
  - {id: Q4, ask: "params(fc)"}
  - {id: Q5, ask: params}
"""

    def work(m=None, rnn_given=None):
        e = 16 if rnn_given is None else rnn_given[1]
        pr, pa, pf = lstm_params(8, 16, 4, m), mha_params(e, 4, m), dense_params(e, 5, m)
        return {"Q1": [20, 16], "Q2": pr, "Q3": pa, "Q4": pf, "Q5": pr + pa + pf}

    right = work()
    p = Problem("seq_a", "dev", text, [f"Q{i}" for i in range(1, 6)], right)
    for code, qs in {"forgot-bias": ("Q2", "Q4"), "one-gate": ("Q2", "Q5"), "per-head-projections": ("Q3", "Q5")}.items():
        for q in qs:
            p.case(q, code, work(code)[q])
    their = [20, 64]
    p.case("Q4", "carried-forward", work(rnn_given=their)["Q4"], "from their own rnn shape", {"Q1": ("none", their)})
    p.case("Q2", "none", 1700)
    return p


def p_cnn_b():
    text = """id: corpus-cnn-b
title: A convolutional network on 1x28x28 images with a ceil-mode pool
kind: architecture
input: [1, 28, 28]
layers:
  - {name: c1, type: conv2d, filters: 8, kernel: 5, padding: 2}
  - {type: relu}
  - {name: p1, type: maxpool2d, kernel: 3, stride: 2, ceil_mode: true}
  - {name: c2, type: conv2d, filters: 16, kernel: 3, stride: 2, padding: 1}
  - {name: bn, type: batchnorm}
  - {type: flatten}
  - {name: fc, type: dense, units: 10}
questions:
  - {id: Q1, ask: c1}
  - {id: Q2, ask: p1}
  - {id: Q3, ask: c2}
  - {id: Q4, ask: "params(c1)"}
  - {id: Q5, ask: "params(c2)"}
  - {id: Q6, ask: "params(bn)"}
  - {id: Q7, ask: "params(fc)"}
  - {id: Q8, ask: params}
"""

    def work(m=None, c1_given=None):
        h1 = out_size(28, 5, 1, 2, m)
        if c1_given is not None:
            h1 = c1_given[1]
        h2 = out_size(h1, 3, 2, 0, m, ceil=True)
        h3 = out_size(h2, 3, 2, 1, m)
        pc1, pc2, pbn, pfc = conv_params(1, 8, 5, m), conv_params(8, 16, 3, m), bn_params(16, m), dense_params(16 * h3 * h3, 10, m)
        return {"Q1": cl([8, h1, h1], m), "Q2": cl([8, h2, h2], m), "Q3": cl([16, h3, h3], m), "Q4": pc1, "Q5": pc2, "Q6": pbn, "Q7": pfc, "Q8": pc1 + pc2 + pbn + pfc}

    right = work()
    p = Problem("cnn_b", "heldout", text, [f"Q{i}" for i in range(1, 9)], right)
    for code, qs in {
        "forgot-padding": ("Q1", "Q3"), "forgot-plus-one": ("Q1", "Q2"), "forgot-stride": ("Q2", "Q3"),
        "wrong-rounding": ("Q2",), "forgot-input-channels": ("Q5", "Q8"), "forgot-bias": ("Q4", "Q7"),
        "bn-stats-learnable": ("Q6", "Q8"), "channels-last": ("Q1", "Q2"),
    }.items():
        for q in qs:
            p.case(q, code, work(code)[q])
    their = [8, 26, 26]
    p.case("Q2", "carried-forward", work(c1_given=their)["Q2"], "from their own c1", {"Q1": ("none", their)})
    p.case("Q3", "none", [16, 6, 6])
    p.case("Q8", "none", 9268)
    return p


def p_seq_b():
    text = """id: corpus-seq-b
title: A GRU, self-attention and a dense head on sequences of 12
kind: architecture
input: [12, 6]
layers:
  - {name: rnn, type: gru, hidden: 10}
  - {name: att, type: multihead_attention, heads: 2}
  - {name: fc, type: dense, units: 3}
questions:
  - {id: Q1, ask: rnn}
  - {id: Q2, ask: "params(rnn)"}
  - {id: Q3, ask: "params(att)"}
  - {id: Q4, ask: "params(fc)"}
  - {id: Q5, ask: params}
"""

    def work(m=None):
        pr, pa, pf = lstm_params(6, 10, 3, m), mha_params(10, 2, m), dense_params(10, 3, m)
        return {"Q1": [12, 10], "Q2": pr, "Q3": pa, "Q4": pf, "Q5": pr + pa + pf}

    right = work()
    p = Problem("seq_b", "heldout", text, [f"Q{i}" for i in range(1, 6)], right)
    for code, qs in {"forgot-bias": ("Q2", "Q4"), "one-gate": ("Q2", "Q5"), "per-head-projections": ("Q3", "Q5")}.items():
        for q in qs:
            p.case(q, code, work(code)[q])
    p.case("Q3", "none", 460)
    return p


PROBLEMS = [p_sig_sq, p_tanh_half, p_batch_cls, p_batch_reg, p_paths_tanh, p_shared_weight, p_cnn_a, p_seq_a,
            p_sig_tanh, p_batch_tanh_ce, p_batch_relu_mse, p_paths_sig, p_cnn_b, p_seq_b]


def sheet_text(student, answers) -> str:
    lines = [f"student: {student}", "answers:"]
    lines += [f"  {qid}: {yaml_value(v)}" for qid, v in answers.items()]
    return "\n".join(lines) + "\n"


def wrong_entry(value, right) -> list[int]:
    """The index of the one entry that differs (a `wrong-entry` answer has exactly one)."""
    off = np.argwhere(np.asarray(value) != np.asarray(right))
    if len(off) != 1:
        raise SystemExit(f"a wrong-entry answer must differ in exactly one entry, not {len(off)}")
    return [int(i) for i in off[0]]


def main(out: Path = HERE) -> None:
    cases = []
    for split in ("dev", "heldout"):
        shutil.rmtree(out / split, ignore_errors=True)
    for make in PROBLEMS:
        p = make()
        folder = out / p.split
        (folder / p.pid).mkdir(parents=True, exist_ok=True)
        (folder / f"{p.pid}.yaml").write_text(p.yaml, encoding="utf-8")
        for n, (qid, label, value, others, note, feeds, also) in enumerate(p.cases, 1):
            if label == "none" and not isinstance(value, str):  # a wrong answer that is no known slip: clear of every slip's value
                for slip in p.mistakes.get(qid, []):
                    if not outside(value, slip, margin=5.0):
                        raise SystemExit(f"{p.pid} {qid}: the 'none' answer is close to a labelled slip")
            student = f"{p.pid}-{n:02d}-{label}"
            answers = dict(p.right)
            answers[qid] = value
            for other_q, (_, other_value) in others.items():
                answers[other_q] = written(other_value)
            (folder / p.pid / f"{student}.yaml").write_text(sheet_text(student, answers), encoding="utf-8")
            labelled = {qid: label, **{q: lab for q, (lab, _) in others.items()}}
            for q, lab in labelled.items():
                case = {"split": p.split, "problem": f"{p.split}/{p.pid}.yaml", "sheet": f"{p.split}/{p.pid}/{student}.yaml",
                        "question": q, "label": lab, "note": note if q == qid else "the earlier wrong answer it carries"}
                if isinstance(answers[q], str):
                    case["formula"] = True
                if q == qid and also:
                    case["also"] = also
                if lab == "carried-forward":
                    case["from"] = feeds
                if p.skip_free:
                    case["skip_free"] = True
                if lab == "wrong-entry":
                    case["entry"] = wrong_entry(answers[q], p.right[q])
                cases.append(case)
    (out / "cases.json").write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(cases)} labelled answers on {len({c['sheet'] for c in cases})} sheets of {len(PROBLEMS)} problems")


if __name__ == "__main__":
    main()
