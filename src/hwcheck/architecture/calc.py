"""The calculator: walk the layers in order, carrying the shape, and count as we go.

:func:`compute` is run once when a problem loads (so ``hwcheck validate`` catches a
network that cannot run) and again, with a mistake switched on or a student's wrong shape
substituted, to recognise how a wrong answer came about.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from .arith import count, memory_text
from .layers import LAYER_TYPES, Context, check_rank
from .model import LayerFault, LayerRow, LayerSpec, Network, Term

CONVENTION_NOTES = {
    "pytorch": ("PyTorch convention: recurrent layers keep two bias vectors per gate (b_ih and b_hh); "
                "batch-norm running mean and variance are buffers, not parameters; "
                "padding 'same' only with stride 1"),
    "keras": ("Keras convention: recurrent layers keep one bias vector per gate (GRU two, as with reset_after=True); "
              "batch-norm moving mean and variance are non-trainable parameters; "
              "padding 'same' with any stride gives ⌈in/stride⌉"),
}


def _sum_text(terms: Sequence[Term], times: str = "·") -> str:
    """``16·3·5·5 + 16 = 1216``; ``0`` for a layer without parameters."""
    if not terms:
        return "0"
    total = sum(term.value for term in terms)
    written = " + ".join(term.text(times) for term in terms)
    return written if len(terms) == 1 and len(terms[0].factors) == 1 else f"{written} = {count(total)}"


def compute(input_shape: Sequence[int], layers: Sequence[LayerSpec], convention: str = "pytorch",
            ctx: Context | None = None, override: Mapping[int, tuple[int, ...]] | None = None) -> Network:
    """Solve the network; raises LayerFault at the first layer that cannot run.

    ``ctx`` (whose convention then wins over ``convention``) carries a mistake to make on
    purpose and records where it changed something; ``override`` replaces the output
    shape of the layers with these 1-based indices (a student's earlier answer, to
    follow an error forward).
    """
    ctx = ctx or Context(convention)
    shape = tuple(input_shape)
    source: LayerSpec | None = None
    rows: list[LayerRow] = []
    running = 0
    for layer in layers:
        kind = LAYER_TYPES[layer.type]
        check_rank(kind, layer, shape, source)
        shaped = kind.output(layer, shape, ctx)
        counted = kind.params(layer, shape, ctx)
        out = tuple(override[layer.index]) if override and layer.index in override else shaped.shape
        params = sum(term.value for term in counted.trainable)
        stats = sum(term.value for term in counted.running)
        running += params
        keras = ctx.convention == "keras"
        macs, macs_text = kind.mult_adds(params, shape, out)
        rows.append(LayerRow(
            index=layer.index, name=layer.name, type=layer.type, input_shape=shape, output_shape=out,
            steps=shaped.steps, terms=counted.trainable, params=params, params_text=_sum_text(counted.trainable),
            non_trainable=stats if keras else 0,
            non_trainable_text=f"{_sum_text(counted.running)} (moving mean, variance)" if keras and stats else "0",
            buffers=0 if keras else stats,
            buffers_text=f"{_sum_text(counted.running)} (running mean, variance)" if stats and not keras else "0",
            mult_adds=macs, mult_adds_text=macs_text, running_total=running, running_total_text=count(running),
            notes=shaped.notes,
        ))
        shape, source = out, layer
    return _network(ctx.convention, tuple(input_shape), rows)


def _network(convention: str, input_shape: tuple[int, ...], rows: list[LayerRow]) -> Network:
    trainable = sum(row.params for row in rows)
    non_trainable = sum(row.non_trainable for row in rows)
    total = trainable + non_trainable
    formula = " + ".join(term.text("×") for row in rows for term in row.terms) or "0"
    param_bytes, memory = memory_text(total)
    mult_adds = sum(row.mult_adds for row in rows)
    return Network(
        convention=convention, input_shape=input_shape, rows=tuple(rows), trainable=trainable,
        non_trainable=non_trainable, total=total, buffers=sum(row.buffers for row in rows), mult_adds=mult_adds,
        formula=formula, formula_text=f"{formula} = {count(trainable)}", param_bytes=param_bytes, memory_text=memory,
        convention_note=CONVENTION_NOTES[convention],
        counts_text=f"trainable {count(trainable)} · non-trainable {count(non_trainable)} · total {count(total)}",
        mult_adds_total_text=count(mult_adds),
    )


def try_compute(*args, **kwargs) -> Network | None:
    """``compute``, or None when the network cannot run (a mistake or a wrong shape broke it)."""
    try:
        return compute(*args, **kwargs)
    except LayerFault:
        return None


__all__ = ["compute", "try_compute", "LayerFault", "CONVENTION_NOTES"]
