"""The calculator: walk the layers in order, carrying the shape, and count as we go.

:func:`compute` is run once when a problem loads (so ``hwcheck validate`` catches a
network that cannot run) and again, with a mistake switched on or a student's wrong shape
substituted, to recognise how a wrong answer came about.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Mapping, Sequence

from ..graph import terms as T
from .arith import memory
from .layers import LAYER_TYPES, Context, Shaped, check_rank
from .model import Branch, LayerFault, LayerRow, LayerSpec, Network, Term

LAYOUTS = {"pytorch": "no batch axis, channels first", "keras": "no batch axis, channels last"}
CONVENTION_NOTES = {
    "pytorch": ("PyTorch convention: recurrent layers keep two bias vectors per gate (b_ih and b_hh); "
                "batch-norm running mean and variance are buffers, not parameters; "
                "padding 'same' only with stride 1"),
    "keras": ("Keras convention: shapes are channels last ([H, W, C], [L, C]), as model.summary() prints them; "
              "convolution kernels are [k_h, k_w, C_in, filters]; "
              "recurrent layers keep one bias vector per gate (GRU two, as with reset_after=True); "
              "batch-norm moving mean and variance are non-trainable parameters; "
              "padding 'same' with any stride gives ⌈in/stride⌉"),
}


@lru_cache(maxsize=4096)  # as arith.slide: the same layer's working is built once, across runs too
def _sum(terms: tuple[Term, ...]) -> T.Term:
    """``16·3·5·5 + 16 = 1216``; ``0`` for a layer without parameters."""
    if not terms:
        return T.Int(0)
    written = T.Sum(tuple(term.product() for term in terms)) if len(terms) > 1 else terms[0].product()
    if len(terms) == 1 and len(terms[0].factors) == 1:
        return written
    return T.equation(written, T.Tally(sum(term.value for term in terms)))


def _statistics(formula: T.Term, which: str) -> T.Term:
    """Batch norm's statistics, in words beside their count: ``64 + 64 = 128 (running mean, variance)``."""
    return T.Noted(formula, (f"{which} mean, variance",))


def compute(input_shape: Sequence[int], layers: Sequence[LayerSpec], convention: str = "pytorch",
            ctx: Context | None = None, override: Mapping[int, tuple[int, ...]] | None = None) -> Network:
    """Solve the network; raises LayerFault at the first layer that cannot run.

    ``ctx`` (whose convention then wins over ``convention``) carries a mistake to make on
    purpose and records where it changed something; ``override`` replaces the output
    shape of the layers with these indices (LayerSpec.index; a student's earlier answer,
    to follow an error forward).
    """
    walker = _Walker(ctx or Context(convention), override or {})
    rows, _ = walker.chain(layers, tuple(input_shape), None)
    return _network(walker.ctx.convention, tuple(input_shape), rows)


class _Walker:
    """Carries the shape through a list of layers, and through each branch of a block."""

    def __init__(self, ctx: Context, override: Mapping[int, tuple[int, ...]]):
        self.ctx, self.override = ctx, override
        self.running = 0  # learnable parameters so far, in the order the rows are worked out

    def chain(self, layers: Sequence[LayerSpec], shape: tuple[int, ...], source: LayerSpec | None,
              block: LayerSpec | None = None, branch: str | None = None) -> tuple[list[LayerRow], tuple[int, ...]]:
        rows: list[LayerRow] = []
        for layer in layers:
            row = self.layer(layer, shape, source, block, branch)
            rows.append(row)
            shape, source = row.output_shape, layer
        return rows, shape

    def layer(self, layer: LayerSpec, shape: tuple[int, ...], source: LayerSpec | None,
              block: LayerSpec | None, branch: str | None) -> LayerRow:
        ctx = self.ctx
        kind = LAYER_TYPES[layer.type]
        check_rank(kind, layer, shape, source, ctx)
        place = {"index": layer.index, "name": layer.name, "type": layer.type, "input_shape": shape,
                 "number": layer.number or str(layer.index), "block": block.label if block else None, "branch": branch}
        if kind.branches(layer):
            return self._block(kind, layer, shape, source, place)
        shaped = kind.output(layer, shape, ctx)
        counted = kind.params(layer, shape, ctx)
        out = tuple(self.override.get(layer.index, shaped.shape))
        params = sum(term.value for term in counted.trainable)
        stats = sum(term.value for term in counted.running)
        self.running += params
        keras = ctx.convention == "keras"
        macs, macs_formula = kind.mult_adds(params, shape, out, counted.trainable)
        return LayerRow(
            **place, output_shape=out, steps=shaped.steps, terms=counted.trainable, params=params,
            params_formula=_sum(counted.trainable),
            non_trainable=stats if keras else 0,
            non_trainable_formula=_statistics(_sum(counted.running), "moving") if keras and stats else T.Int(0),
            buffers=0 if keras else stats,
            buffers_formula=_statistics(_sum(counted.running), "running") if stats and not keras else T.Int(0),
            mult_adds=macs, mult_adds_formula=macs_formula, running_total=self.running, notes=shaped.notes,
        )

    def _block(self, kind, layer: LayerSpec, shape: tuple[int, ...], source: LayerSpec | None, place: dict) -> LayerRow:
        """Each branch from the block's input, then the branches joined; the counts are the branches'."""
        branches = []
        for name, layers in kind.branches(layer):
            rows, out = self.chain(layers, shape, source, layer, name)
            branches.append(Branch(name, tuple(rows), out))
        outputs = tuple(branch.output_shape for branch in branches)
        try:
            shaped = kind.combine(layer, shape, outputs, self.ctx)
        except LayerFault:
            if not (self.override or self.ctx.mistake):
                raise
            # following a student's wrong shape or mistake inside one branch: the branches no
            # longer agree, but a student goes on from the main branch's shape
            shaped = Shaped(outputs[0])
        inner = [row for branch in branches for row in branch.rows]
        out = tuple(self.override.get(layer.index, shaped.shape))
        return LayerRow(
            **place, output_shape=out, steps=shaped.steps, terms=(), branches=tuple(branches),
            params=sum(row.params for row in inner), params_formula=_parts([row.params for row in inner]),
            non_trainable=sum(row.non_trainable for row in inner),
            non_trainable_formula=_block_statistics([row.non_trainable for row in inner], "moving"),
            buffers=sum(row.buffers for row in inner),
            buffers_formula=_block_statistics([row.buffers for row in inner], "running"),
            mult_adds=sum(row.mult_adds for row in inner), mult_adds_formula=_parts([row.mult_adds for row in inner]),
            running_total=self.running, notes=shaped.notes,
        )


def _block_statistics(parts: Sequence[int], which: str) -> T.Term:
    """A block's batch-norm statistics, worded as a norm layer's: ``256 + 256 = 512 (running mean, variance)``."""
    return _statistics(_parts(parts), which) if sum(parts) else T.Int(0)


def _parts(parts: Sequence[int]) -> T.Term:
    """A block's count as the sum of its layers' (those that have any): ``9408 + 128 = 9536``."""
    parts = [part for part in parts if part]
    if len(parts) <= 1:
        return T.Tally(sum(parts))
    return T.equation(T.Sum(tuple(T.Tally(part) for part in parts)), T.Tally(sum(parts)))


def _network(convention: str, input_shape: tuple[int, ...], rows: list[LayerRow]) -> Network:
    trainable = sum(row.params for row in rows)
    non_trainable = sum(row.non_trainable for row in rows)
    total = trainable + non_trainable
    formula = T.Sum(tuple(term.times() for top in rows for row in top.walk() for term in row.terms) or (T.Int(0),))
    param_bytes, memory_term = memory(total)
    return Network(
        convention=convention, input_shape=input_shape, rows=tuple(rows), trainable=trainable,
        non_trainable=non_trainable, total=total, buffers=sum(row.buffers for row in rows),
        mult_adds=sum(row.mult_adds for row in rows), formula=formula, formula_total=T.equation(formula, T.Tally(trainable)),
        param_bytes=param_bytes, memory=memory_term, convention_note=CONVENTION_NOTES[convention],
        layout_text=LAYOUTS[convention],
        counts=T.Phrase(("trainable ", T.Tally(trainable), " · non-trainable ", T.Tally(non_trainable),
                         " · total ", T.Tally(total))),
    )


def try_compute(*args, **kwargs) -> Network | None:
    """``compute``, or None when the network cannot run (a mistake or a wrong shape broke it)."""
    try:
        return compute(*args, **kwargs)
    except LayerFault:
        return None


__all__ = ["compute", "try_compute", "LayerFault", "CONVENTION_NOTES"]
