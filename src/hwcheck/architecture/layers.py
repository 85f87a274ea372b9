"""Every layer type in one place each: its keys and defaults, its shape arithmetic, its
parameter formula and its mult-adds (micrograd-style locality).

Shapes carry no batch axis and are channels first (``[features]``, ``[C, L]``,
``[C, H, W]``, ``[L, features]`` for sequences), or channels last under Keras' convention
(``[L, C]``, ``[H, W, C]``: see :func:`split_channels`). Formulas and defaults are PyTorch's; the
:class:`Context` says which framework's counting to follow where they differ, and which
typical student mistake (if any) to make on purpose, so that the grader can recognise
the answer that mistake gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from ..graph import terms as T
from .arith import ints, pad_terms, same_keras, same_pad_keras, same_pad_pytorch, slide, slide_divides, transpose_slide
from .keys import COUNT, FLAG, LAYERS, NONNEG, NUMBER, PADDING, RATE, SIZE, Key
from .model import LayerFault, LayerSpec, ShapeStep, Term, shape_text

# The catalogue of counting mistakes, code → what the student did, in the order a diagnosis
# lists them; each layer type names the ones it invites (`LayerType.mistakes`), and a test
# checks the two agree.
MISTAKES = {
    "forgot-bias": "left out the biases",
    "forgot-padding": "left out the padding in the output-size formula",
    "forgot-plus-one": "left out the + 1 at the end of the output-size formula",
    "forgot-stride": "ignored the stride (a pooling layer's stride defaults to its kernel)",
    "wrong-rounding": "rounded the wrong way: ⌈…⌉ where PyTorch floors, or ⌊…⌋ where ceil_mode rounds up",
    "forgot-input-channels": "left out the input channels in the weights (filters·k·k instead of filters·C_in·k·k)",
    "one-gate": "counted one gate instead of four (LSTM) or three (GRU)",
    "bn-stats-learnable": ("counted batch norm's running mean and variance as learnable parameters "
                           "(they are buffers in PyTorch, non-trainable weights in Keras)"),
    "channels-last": "wrote an image's or signal's shape in the other framework's layout (Keras' channels last [H, W, C] for PyTorch's [C, H, W], or the reverse)",
    "per-head-projections": ("gave every attention head its own E×E projections (heads·4·E·E); the heads split "
                             "E between them, so the projections are 4·E·E in all"),
}

# The mistakes read off the right answer (the shape written in the other layout) rather than
# made by the calculator with the mistake switched on (Context.mistake).
LAYOUT_MISTAKES = ("channels-last",)


@dataclass
class Context:
    """How to count (``convention``) and which mistake, if any, to make on purpose."""

    convention: str = "pytorch"
    mistake: str | None = None
    touched: dict[int, str] = field(default_factory=dict)  # layer index -> label, where the mistake changed something

    def applies(self, code: str, layer: LayerSpec, matters: bool = True) -> bool:
        if self.mistake != code or not matters:
            return False
        self.touched.setdefault(layer.index, layer.label)
        return True


def channels_last(ctx: Context) -> bool:
    """Keras lays images and signals out channels last ([H, W, C], [L, C]), as model.summary() prints them."""
    return ctx.convention == "keras"


def split_channels(shape: tuple[int, ...], ctx: Context) -> tuple[int, tuple[int, ...]]:
    """(channels, spatial sizes) of an image or signal in the convention's layout."""
    return (shape[-1], shape[:-1]) if channels_last(ctx) else (shape[0], shape[1:])


def join_channels(channels: int, spatial, ctx: Context) -> tuple[int, ...]:
    return (*spatial, channels) if channels_last(ctx) else (channels, *spatial)


def channel_steps(channel: ShapeStep, spatial, ctx: Context) -> tuple[ShapeStep, ...]:
    """The working in the order of the axes: C first (PyTorch) or last (Keras)."""
    return (*spatial, channel) if channels_last(ctx) else (channel, *spatial)


@dataclass(frozen=True)
class Shaped:
    shape: tuple[int, ...]
    steps: tuple[ShapeStep, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counted:
    trainable: tuple[Term, ...] = ()
    running: tuple[Term, ...] = ()  # batch-norm statistics: buffers (PyTorch) or non-trainable (Keras)


class LayerType:
    """One layer type: its keys, and what it does to a shape and how many weights it has.

    ``output`` maps the input shape to the output shape with the working written out,
    ``params`` lists the parameter terms (weights and biases apart), ``mult_adds``
    counts as torchinfo does; the base class is a layer that changes nothing.
    """

    name: str = ""
    keys: dict[str, Key] = {}
    ndim: int = 1  # how many axes a kernel/stride/padding pair covers
    min_rank, max_rank = 1, None
    expects = "[..., features]"
    expects_keras = ""  # the input it needs written channels last, when that differs
    shape_rule = ""
    weight_rule = "no parameters"
    learnable = False  # whether the type has weights at all (for hints)
    mistakes: tuple[str, ...] = ()  # the counting mistakes (codes of MISTAKES) this type invites

    def param_rule(self, convention: str) -> str:
        return f"{self.name}: {self.weight_rule}"

    def output(self, layer: LayerSpec, shape: tuple[int, ...], ctx: Context) -> Shaped:
        return Shaped(shape)

    def params(self, layer: LayerSpec, shape: tuple[int, ...], ctx: Context) -> Counted:
        return Counted()

    def mult_adds(self, params: int, shape: tuple[int, ...], out: tuple[int, ...],
                  terms: tuple[Term, ...] = ()) -> tuple[int, T.Term]:
        # torchinfo: (batch = 1) × every weight and bias of a norm layer, once
        return params, T.Tally(params)

    def branches(self, layer: LayerSpec) -> tuple[tuple[str, tuple[LayerSpec, ...]], ...]:
        """A block's branches as (name, layers); a plain layer has none."""
        return ()

    def combine(self, layer: LayerSpec, shape: tuple[int, ...], outputs: tuple[tuple[int, ...], ...],
                ctx: Context) -> Shaped:
        """A block's output from its branches' outputs (only blocks have branches)."""
        raise NotImplementedError  # pragma: no cover - only called when branches() is not empty


def times_positions(count: int, positions: tuple[int, ...], total: int) -> T.Term:
    """``1216·32·32 = 1,245,184``: a count once per position."""
    return T.equation(T.Prod((T.Tally(count), *ints(*positions))), T.Tally(total))


def per_position(params: int, positions: tuple[int, ...]) -> tuple[int, T.Term]:
    """Mult-adds of a layer applied at every position: each weight and bias once per position.

    torchinfo after its pull request #318 counts ``nn.Linear`` on ``[L, F]`` as
    ``params·L`` (``prod(output_size[:-1])``); an embedding likewise once per index.
    """
    total = params * prod(positions)
    if prod(positions) == 1:
        return total, T.Tally(total)
    return total, times_positions(params, positions, total)


def _bias(layer: LayerSpec, ctx: Context, factors: tuple[int, ...]) -> list[Term]:
    if not layer.options.get("bias", True) or ctx.applies("forgot-bias", layer):
        return []
    return [Term(factors, "bias")]


class Dense(LayerType):
    learnable = True
    name = "dense"
    mistakes = ("forgot-bias",)
    keys = {"units": Key(COUNT, example="units: 10"), "bias": Key(FLAG, True)}
    shape_rule = "dense: the last axis becomes units; the other axes stay"
    weight_rule = "in·units weights + units biases (in = the size of the input's last axis)"

    def output(self, layer, shape, ctx):
        units = layer.options["units"]
        return Shaped(shape[:-1] + (units,), (ShapeStep("features (units)", T.Int(units)),))

    def params(self, layer, shape, ctx):
        units = layer.options["units"]
        return Counted((Term((shape[-1], units), "weight"), *_bias(layer, ctx, (units,))))

    def mult_adds(self, params, shape, out, terms=()):
        return per_position(params, shape[:-1])  # once per position along the other axes


AXES = {1: (("L", "length"),), 2: (("H", "height"), ("W", "width"))}


def _windows(layer: LayerSpec, spatial: tuple[int, ...], ctx: Context, *, kernel, stride, padding,
             dilation, ceil_mode: bool = False, pool: bool = False) -> tuple[list[int], list[ShapeStep], list[str]]:
    """Output size along each spatial axis of a convolution or pooling layer, worked out."""
    sizes, steps, notes = [], [], []
    for axis, size in enumerate(spatial):
        label, axis_name = AXES[len(spatial)][axis]
        k, s, d = kernel[axis], stride[axis], dilation[axis]
        if ctx.applies("forgot-stride", layer, s != 1):
            s = 1
        if padding == "same" and ctx.applies("forgot-padding", layer):
            pad = (0, 0)
        elif padding == "same" and ctx.convention == "keras" and s > 1:
            # Keras/TensorFlow: ⌈in/s⌉ windows whatever the kernel, padded as needed
            rounding_up = not ctx.applies("wrong-rounding", layer, size % s != 0)
            result = same_keras(size, s, ceil=rounding_up)
            before, after = same_pad_keras(size, k, s, d)
            sizes.append(result.out)
            steps.append(ShapeStep(label, result.working))
            notes.append(f"{label}: 'same' pads {before} before and {after} after (TensorFlow puts the odd one at the end)")
            continue
        elif padding == "same":
            if s != 1:
                raise LayerFault(layer, f"padding 'same' with stride {s}: PyTorch refuses it (it supports 'same' only for stride 1); "
                                 "write the padding as a number, or set convention: keras", key="padding")
            pad = same_pad_pytorch(k, d)
            notes.append(f"{label}: 'same' pads {d}·({k} − 1) = {pad[0] + pad[1]}: {pad[0]} before, {pad[1]} after "
                         "(the odd one goes on the right/bottom)")
        else:
            pad = (padding[axis],) * 2
            if pool and pad[0] > k // 2:
                raise LayerFault(layer, f"padding {pad[0]} is more than half the kernel {k}; PyTorch refuses it "
                                 f"(pad should be at most half of kernel size): use padding ≤ {k // 2}", key="padding")
            if ctx.applies("forgot-padding", layer, pad != (0, 0)):
                pad = (0, 0)
        ceil = ceil_mode
        if ctx.applies("wrong-rounding", layer, not slide_divides(size, k, s, pad, d)):
            ceil = not ceil
        plus_one = not ctx.applies("forgot-plus-one", layer)
        result = slide(size, k, s, pad, d, ceil=ceil, plus_one=plus_one, border_rule=pool and ceil and ceil_mode)
        if result.out <= 0:
            reach = d * (k - 1) + 1
            from ..render.typeset import unicode  # deliberate: only a layer that cannot run writes its working here

            padded = T.equation(T.BoardSum((T.Int(size), *pad_terms(pad))), T.Int(size + sum(pad)))
            raise LayerFault(layer, f"output {axis_name} {unicode(result.working)} ≤ 0: the window spans {d}·({k} − 1) + 1 = {reach} "
                             f"but the padded input is only {unicode(padded)}; "
                             "use a smaller kernel or dilation, more padding, or a larger input", key="kernel")
        sizes.append(result.out)
        steps.append(ShapeStep(label, result.working))
        if result.border:
            steps.append(ShapeStep(f"{label} (ceil_mode)", result.border,
                                   "the last window would start in the right padding, so PyTorch drops it"))
    return sizes, _merge_axes(steps), notes


def _merge_axes(steps: list[ShapeStep]) -> list[ShapeStep]:
    """H and W worked out identically are written once, as ``H, W``."""
    if len(steps) == 2 and steps[0].working == steps[1].working and steps[0].label == "H" and steps[1].label == "W":
        return [ShapeStep("H, W", steps[0].working)]
    return steps


def _check_groups(layer: LayerSpec, channels: int, filters: int) -> int:
    groups = layer.options["groups"]
    for what, size in (("input channels", channels), ("filters", filters)):
        if size % groups:
            raise LayerFault(layer, f"groups {groups} does not divide the {size} {what} ({size}/{groups} is not whole); "
                             f"groups must divide both the input channels ({channels}) and filters ({filters})", key="groups")
    return groups


class Conv(LayerType):
    learnable = True
    mistakes = ("forgot-bias", "forgot-padding", "forgot-plus-one", "forgot-stride", "wrong-rounding", "forgot-input-channels", "channels-last")
    keys = {"filters": Key(COUNT, example="filters: 16"), "kernel": Key(SIZE, example="kernel: 3"),
            "stride": Key(SIZE, 1), "padding": Key(PADDING, 0, words=("same",)), "dilation": Key(SIZE, 1),
            "groups": Key(COUNT, 1), "bias": Key(FLAG, True)}

    def __init__(self, name: str, ndim: int):
        self.name, self.ndim = name, ndim
        self.min_rank = self.max_rank = ndim + 1
        self.expects = "[C, L]" if ndim == 1 else "[C, H, W]"
        self.expects_keras = "[L, C]" if ndim == 1 else "[H, W, C]"
        k = "k" if ndim == 1 else "k_h·k_w"
        self.shape_rule = (f"{name}: channels become filters; each spatial size becomes "
                           "⌊(in + 2·padding − dilation·(kernel − 1) − 1)/stride⌋ + 1 ('same' keeps it, stride 1)")
        self.weight_rule = f"filters·(C_in/groups)·{k} weights + filters biases"

    def output(self, layer, shape, ctx):
        o = layer.options
        channels, spatial = split_channels(shape, ctx)
        _check_groups(layer, channels, o["filters"])
        sizes, steps, notes = _windows(layer, spatial, ctx, kernel=o["kernel"], stride=o["stride"],
                                       padding=o["padding"], dilation=o["dilation"])
        return Shaped(join_channels(o["filters"], sizes, ctx),
                      channel_steps(ShapeStep("C (filters)", T.Int(o["filters"])), steps, ctx), tuple(notes))

    def params(self, layer, shape, ctx):
        o = layer.options
        per_group = split_channels(shape, ctx)[0] // o["groups"]
        forgot = ctx.applies("forgot-input-channels", layer, per_group != 1)
        ins = () if forgot else (per_group,)
        # PyTorch stores the weight [filters, C_in/groups, k_h, k_w]; Keras its kernel [k_h, k_w, C_in/groups, filters]
        weight = (*o["kernel"], *ins, o["filters"]) if channels_last(ctx) else (o["filters"], *ins, *o["kernel"])
        return Counted((Term(weight, "weight"), *_bias(layer, ctx, (o["filters"],))))

    def mult_adds(self, params, shape, out, terms=()):
        # torchinfo: every weight and bias once per output position (channels aside)
        return params * prod(out[1:]), times_positions(params, out[1:], params * prod(out[1:]))


class ConvTranspose2d(Conv):
    mistakes = ("forgot-bias", "forgot-padding", "forgot-plus-one", "forgot-stride", "forgot-input-channels", "channels-last")
    keys = {"filters": Key(COUNT, example="filters: 16"), "kernel": Key(SIZE, example="kernel: 3"),
            "stride": Key(SIZE, 1), "padding": Key(PADDING, 0), "output_padding": Key(NONNEG, 0),
            "dilation": Key(SIZE, 1), "groups": Key(COUNT, 1), "bias": Key(FLAG, True)}

    def __init__(self):
        super().__init__("conv_transpose2d", 2)
        self.shape_rule = ("conv_transpose2d: channels become filters; each spatial size becomes "
                           "(in − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1")
        self.weight_rule = "C_in·(filters/groups)·k_h·k_w weights + filters biases"

    def output(self, layer, shape, ctx):
        o = layer.options
        channels, spatial = split_channels(shape, ctx)
        _check_groups(layer, channels, o["filters"])
        if channels_last(ctx) and o["groups"] != 1:
            raise LayerFault(layer, "Keras' Conv2DTranspose takes no groups; write groups: 1, or set convention: pytorch",
                             key="groups")
        sizes, steps = [], []
        for axis, size in enumerate(spatial):
            label, axis_name = AXES[2][axis]
            k, s, d, p, op = (o[key][axis] for key in ("kernel", "stride", "dilation", "padding", "output_padding"))
            if op >= max(s, d):
                raise LayerFault(layer, f"output_padding {op} must be smaller than the stride ({s}) or the dilation ({d}); "
                                 "PyTorch refuses it", key="output_padding")
            if ctx.applies("forgot-stride", layer, s != 1):
                s = 1
            if ctx.applies("forgot-padding", layer, p != 0):
                p = 0
            result = transpose_slide(size, k, s, p, d, op, plus_one=not ctx.applies("forgot-plus-one", layer))
            if result.out <= 0:
                from ..render.typeset import unicode  # deliberate: only a layer that cannot run writes its working here

                raise LayerFault(layer, f"output {axis_name} {unicode(result.working)} ≤ 0; use less padding", key="padding")
            sizes.append(result.out)
            steps.append(ShapeStep(label, result.working))
        return Shaped(join_channels(o["filters"], sizes, ctx),
                      channel_steps(ShapeStep("C (filters)", T.Int(o["filters"])), _merge_axes(steps), ctx))

    def params(self, layer, shape, ctx):
        o = layer.options
        channels = split_channels(shape, ctx)[0]
        ins = () if ctx.applies("forgot-input-channels", layer, channels != 1) else (channels,)
        # PyTorch stores [C_in, C_out/g, k_h, k_w]; Keras' Conv2DTranspose its kernel [k_h, k_w, filters, C_in]
        if channels_last(ctx):
            weight = (*o["kernel"], o["filters"], *ins)
        else:
            weight = (*ins, o["filters"] // o["groups"], *o["kernel"])
        return Counted((Term(weight, "weight"), *_bias(layer, ctx, (o["filters"],))))


class Pool(LayerType):
    mistakes = ("forgot-padding", "forgot-plus-one", "forgot-stride", "wrong-rounding", "channels-last")
    def __init__(self, name: str, ndim: int, how: str):
        self.name, self.ndim, self.how = name, ndim, how
        self.min_rank = self.max_rank = ndim + 1
        self.expects = "[C, L]" if ndim == 1 else "[C, H, W]"
        self.expects_keras = "[L, C]" if ndim == 1 else "[H, W, C]"
        self.keys = {"kernel": Key(SIZE, example="kernel: 2"), "stride": Key(SIZE, None),
                     "padding": Key(PADDING, 0, words=("same",)), "ceil_mode": Key(FLAG, False)}
        if how == "max":
            self.keys["dilation"] = Key(SIZE, 1)
        self.shape_rule = (f"{name}: channels stay; each spatial size becomes "
                           "⌊(in + 2·padding − dilation·(kernel − 1) − 1)/stride⌋ + 1 (stride defaults to the kernel; "
                           "ceil_mode rounds up, but a last window may not start in the right padding)")

    def output(self, layer, shape, ctx):
        o = layer.options
        notes = []
        stride = o["stride"]
        if stride is None:
            stride = o["kernel"]
            written = str(stride[0]) if len(set(stride)) == 1 else shape_text(stride)
            notes.append(f"stride = kernel = {written} (the default)")
        if o["padding"] == "same" and ctx.convention != "keras":
            raise LayerFault(layer, "PyTorch's pooling layers take no 'same' padding; write a number, or set convention: keras",
                             key="padding")
        channels, spatial = split_channels(shape, ctx)
        sizes, steps, more = _windows(layer, spatial, ctx, kernel=o["kernel"], stride=stride, padding=o["padding"],
                                      dilation=o.get("dilation", (1,) * self.ndim), ceil_mode=o["ceil_mode"], pool=True)
        return Shaped(join_channels(channels, sizes, ctx),
                      channel_steps(ShapeStep("C (unchanged)", T.Int(channels)), steps, ctx), tuple(notes + more))

    def mult_adds(self, params, shape, out, terms=()):
        return 0, T.Tally(0)


class GlobalPool(LayerType):
    min_rank = 2
    expects = "[C, ...]"
    expects_keras = "[..., C]"

    def __init__(self, name: str):
        self.name = name
        self.shape_rule = f"{name}: [C, ...] ([..., C] under Keras) becomes [C], one value per channel"

    def output(self, layer, shape, ctx):
        channels = split_channels(shape, ctx)[0]
        return Shaped((channels,), (ShapeStep("C (one value per channel)", T.Int(channels)),))


class Flatten(LayerType):
    name = "flatten"
    shape_rule = "flatten: [C, H, W] becomes [C·H·W]"

    def output(self, layer, shape, ctx):
        size = prod(shape)
        working = T.equation(T.Prod(ints(*shape)), T.Tally(size)) if len(shape) > 1 else T.Int(size)
        return Shaped((size,), (ShapeStep("features", working),))


class BatchNorm(LayerType):
    learnable = True
    mistakes = ("bn-stats-learnable",)
    name = "batchnorm"
    max_rank = 3
    expects = "[C], [C, L] or [C, H, W]"
    expects_keras = "[C], [L, C] or [H, W, C]"
    shape_rule = "batchnorm: the shape stays"
    weight_rule = "C scales γ + C shifts β (C = the channel axis: the first, the last under Keras)"

    def param_rule(self, convention):
        stats = ("buffers, not parameters" if convention == "pytorch" else "non-trainable parameters")
        return f"batchnorm: {self.weight_rule}; the running mean and variance (C + C) are {stats}"

    def output(self, layer, shape, ctx):
        channels = split_channels(shape, ctx)[0]
        module = ("Keras: BatchNormalization(axis=-1)" if channels_last(ctx)
                  else f"PyTorch: {'BatchNorm2d' if len(shape) == 3 else 'BatchNorm1d'}")
        return Shaped(shape, notes=(f"normalizes each of the {channels} channels ({module})",))

    def params(self, layer, shape, ctx):
        c = split_channels(shape, ctx)[0]
        learned = (Term((c,), "scale"), Term((c,), "shift"))
        running = (Term((c,), "running"), Term((c,), "running"))
        if ctx.applies("bn-stats-learnable", layer):
            return Counted(learned + running)
        return Counted(learned, running)


class LayerNorm(LayerType):
    learnable = True
    name = "layernorm"
    shape_rule = "layernorm: the shape stays"
    weight_rule = "F scales γ + F shifts β (F = the size of the last axis)"

    def params(self, layer, shape, ctx):
        return Counted((Term((shape[-1],), "scale"), Term((shape[-1],), "shift")))


class Dropout(LayerType):
    name = "dropout"
    keys = {"rate": Key(RATE, 0.5)}
    shape_rule = "dropout: the shape stays"


class Embedding(LayerType):
    learnable = True
    name = "embedding"
    keys = {"num": Key(COUNT, example="num: 10000"), "dim": Key(COUNT, example="dim: 64")}
    expects = "[L] of token indices"
    shape_rule = "embedding: each index becomes a vector of size dim, [L] → [L, dim]"
    weight_rule = "num·dim weights (one vector per index), no bias"

    def output(self, layer, shape, ctx):
        dim = layer.options["dim"]
        return Shaped(shape + (dim,), (ShapeStep("dim", T.Int(dim)),),
                      (f"the input holds indices 0 … {layer.options['num'] - 1}",))

    def params(self, layer, shape, ctx):
        return Counted((Term((layer.options["num"], layer.options["dim"]), "weight"),))

    def mult_adds(self, params, shape, out, terms=()):
        return per_position(params, shape)  # once per index looked up


class Recurrent(LayerType):
    learnable = True
    keys = {"hidden": Key(COUNT, example="hidden: 128"), "layers": Key(COUNT, 1, maximum=1000), "bidirectional": Key(FLAG, False),
            "bias": Key(FLAG, True), "return_sequences": Key(FLAG, True)}
    min_rank = max_rank = 2
    expects = "[L, features]"

    def __init__(self, name: str, gates: int):
        self.name, self.gates = name, gates
        self.mistakes = ("forgot-bias", "one-gate") if gates > 1 else ("forgot-bias",)
        self.weight_rule = "per layer and direction: input weights, recurrent weights and biases for each gate"
        self.shape_rule = (f"{name}: [L, features] becomes [L, directions·hidden], or [directions·hidden] "
                           "with return_sequences: false")

    def bias_vectors(self, convention: str) -> int:
        # PyTorch keeps b_ih and b_hh; Keras one bias, except GRU with its default reset_after=True
        return 2 if convention == "pytorch" or self.name == "gru" else 1

    def param_rule(self, convention):
        g = f"{self.gates}·" if self.gates > 1 else ""
        biases = " + ".join([f"{g}H"] * self.bias_vectors(convention))
        return (f"{self.name}: per layer and direction {g}H·in + {g}H·H + {biases} "
                f"({self.gates} gate{'s' if self.gates > 1 else ''}; in = features for the first layer, "
                "directions·H above it; ×2 when bidirectional)")

    def output(self, layer, shape, ctx):
        o = layer.options
        directions = 2 if o["bidirectional"] else 1
        width = directions * o["hidden"]
        step = (ShapeStep("features (directions·hidden)", T.equation(T.Prod(ints(2, o["hidden"])), T.Tally(width)))
                if directions == 2 else ShapeStep("features (hidden)", T.Int(width)))
        if o["return_sequences"]:
            return Shaped((shape[0], width), (step,))
        return Shaped((width,), (step,), ("return_sequences: false keeps the last time step only",))

    def params(self, layer, shape, ctx):
        o = layer.options
        hidden, directions = o["hidden"], 2 if o["bidirectional"] else 1
        gates = 1 if ctx.applies("one-gate", layer, self.gates > 1) else self.gates
        front = ((directions,) if directions > 1 else ()) + ((gates,) if gates > 1 else ())
        terms: list[Term] = []
        for depth in range(o["layers"]):
            width_in = shape[1] if depth == 0 else directions * hidden
            terms += [Term(front + (hidden, width_in), "weight"), Term(front + (hidden, hidden), "weight")]
            terms += _bias(layer, ctx, front + (hidden,)) * self.bias_vectors(ctx.convention)
        return Counted(tuple(terms))

    def mult_adds(self, params, shape, out, terms=()):
        # torchinfo: each weight and bias once per time step; the module itself always returns all L steps
        steps = shape[0]
        return params * steps, times_positions(params, (steps,), params * steps)


def _heads(layer: LayerSpec, width: int) -> int:
    heads = layer.options["heads"]
    if width % heads:
        raise LayerFault(layer, f"heads {heads} does not divide the embedding size {width} ({width}/{heads} is not whole); "
                         f"each head gets E/heads of the {width} features: use a number of heads that divides {width}",
                         key="heads")
    return heads


def _attention_terms(layer: LayerSpec, width: int, bias: bool, ctx: Context, front: tuple[int, ...] = ()) -> list[Term]:
    """nn.MultiheadAttention(E, heads): in_proj_weight [3E, E] (query, key, value), in_proj_bias [3E],
    out_proj [E, E] + [E]: 4·E·E + 4·E. Each head uses E/heads of the projected features,
    so the heads add no parameters."""
    copies = (layer.options["heads"],) if ctx.applies("per-head-projections", layer, layer.options["heads"] > 1) else ()
    terms = [Term(front + copies + (3, width, width), "weight")]
    terms += _bias(layer, ctx, front + copies + (3, width)) if bias else []
    terms += [Term(front + copies + (width, width), "weight")]
    terms += _bias(layer, ctx, front + copies + (width,)) if bias else []
    return terms


def _once_per_position(params: int, shape: tuple[int, ...], terms: tuple[Term, ...]) -> tuple[int, T.Term]:
    """torchinfo: weights and biases once per position (L), norm scales and shifts once."""
    norms = sum(term.value for term in terms if term.role in ("scale", "shift"))
    projected, positions = params - norms, shape[0]
    total = projected * positions + norms
    once = T.Prod((T.Tally(projected), T.Int(positions)))
    return total, T.equation(T.Sum((once, T.Tally(norms))) if norms else once, T.Tally(total))


class Attention(LayerType):
    """Layers on a sequence [L, E] that attend over it; [L, E] in and out, counted per position."""

    learnable = True
    min_rank = max_rank = 2
    expects = "[L, E]"
    mistakes = ("forgot-bias", "per-head-projections")

    def mult_adds(self, params, shape, out, terms=()):
        # torchinfo counts in_proj_weight and out_proj.weight (not plain "weight") once per step,
        # and a transformer layer's linear layers once per position; norms once
        return _once_per_position(params, shape, terms)


class MultiheadAttention(Attention):
    name = "multihead_attention"
    keys = {"heads": Key(COUNT, example="heads: 8"), "bias": Key(FLAG, True)}
    shape_rule = "multihead_attention: [L, E] stays [L, E] (self-attention; each of the heads sees E/heads features)"
    weight_rule = ("3·E·E query, key and value weights + 3·E biases + E·E output weights + E biases = 4·E·E + 4·E "
                   "(the heads split E, they add no parameters)")

    def output(self, layer, shape, ctx):
        width = shape[1]
        heads = _heads(layer, width)
        return Shaped(shape, (ShapeStep("E (unchanged)", T.Int(width)),),
                      (f"{heads} heads of E/heads = {width}/{heads} = {width // heads} features each",))

    def params(self, layer, shape, ctx):
        return Counted(tuple(_attention_terms(layer, shape[1], layer.options["bias"], ctx)))


class TransformerEncoder(Attention):
    name = "transformer_encoder"
    keys = {"heads": Key(COUNT, example="heads: 8"), "ff": Key(COUNT, 2048), "layers": Key(COUNT, 1, maximum=1000),
            "norm_first": Key(FLAG, False)}
    shape_rule = "transformer_encoder: [L, E] stays [L, E] (self-attention, then a feed-forward E → ff → E, each added back)"
    weight_rule = ("per layer: self-attention 4·E·E + 4·E, feed-forward E·ff + ff + ff·E + E, two layer norms 2·E + 2·E; "
                   "× layers")

    def output(self, layer, shape, ctx):
        o, width = layer.options, shape[1]
        heads = _heads(layer, width)
        order = "norm, then sublayer, then add" if o["norm_first"] else "sublayer, add, then norm"
        stacked = f"{o['layers']} layers, each: " if o["layers"] > 1 else ""
        return Shaped(shape, (ShapeStep("E (unchanged)", T.Int(width)),),
                      (f"{stacked}self-attention ({heads} heads of {width // heads}), feed-forward {width} → {o['ff']} → {width}; "
                       f"{order} (norm_first: {'true' if o['norm_first'] else 'false'})",))

    def params(self, layer, shape, ctx):
        # nn.TransformerEncoderLayer(E, heads, ff): self_attn, linear1 [ff, E] + [ff], linear2 [E, ff] + [E],
        # norm1 and norm2 (γ, β of E each); nn.TransformerEncoder stacks `layers` copies of it
        o, width = layer.options, shape[1]
        front = (o["layers"],) if o["layers"] > 1 else ()
        terms = _attention_terms(layer, width, True, ctx, front)
        terms += [Term(front + (width, o["ff"]), "weight"), *_bias(layer, ctx, front + (o["ff"],))]
        terms += [Term(front + (o["ff"], width), "weight"), *_bias(layer, ctx, front + (width,))]
        terms += [Term(front + (width,), role) for role in ("scale", "shift", "scale", "shift")]
        return Counted(tuple(terms))


class Residual(LayerType):
    learnable = True
    name = "residual"
    keys = {"layers": Key(LAYERS, example="layers: [{type: conv2d, filters: 64, kernel: 3, padding: 1}]"),
            "shortcut": Key(LAYERS, (), example="shortcut: [{type: conv2d, filters: 128, kernel: 1, stride: 2}]")}
    expects = "any shape its first layers take"
    shape_rule = ("residual: carry the shape through the main branch (layers) and through the shortcut (the identity "
                  "when empty); the two must be equal, and the output, main + shortcut, has that shape")
    weight_rule = "the parameters of the layers in both branches; the addition has none"

    def branches(self, layer):
        return (("main", layer.options["layers"]), ("shortcut", layer.options["shortcut"]))

    def combine(self, layer, shape, outputs, ctx):
        main, shortcut = outputs
        identity = not layer.options["shortcut"]
        written = "identity: the block's input" if identity else "shortcut"
        if main != shortcut:
            raise LayerFault(layer, f"the main branch gives {shape_text(main)} but the shortcut ({written}) gives "
                             f"{shape_text(shortcut)}; they are added, so their shapes must be equal: "
                             "give the shortcut a projection (e.g. a conv2d with kernel 1 and the main branch's filters "
                             "and stride) or change the main branch")
        step = ShapeStep("main + shortcut", T.equation(T.Sum((T.ShapeList(main), T.ShapeList(shortcut))), T.ShapeList(main)),
                         "the identity" if identity else "")
        return Shaped(main, (step,))


class Activation(LayerType):
    def __init__(self, name: str, keys: dict[str, Key] | None = None):
        self.name = name
        self.keys = keys or {}
        self.shape_rule = f"{name}: the shape stays"


LAYER_TYPES: dict[str, LayerType] = {t.name: t for t in (
    Dense(), Conv("conv1d", 1), Conv("conv2d", 2), ConvTranspose2d(),
    Pool("maxpool1d", 1, "max"), Pool("maxpool2d", 2, "max"), Pool("avgpool1d", 1, "avg"), Pool("avgpool2d", 2, "avg"),
    GlobalPool("global_avgpool"), GlobalPool("global_maxpool"), Flatten(), BatchNorm(), LayerNorm(), Dropout(),
    Embedding(), Recurrent("rnn", 1), Recurrent("lstm", 4), Recurrent("gru", 3),
    Activation("relu"), Activation("sigmoid"), Activation("tanh"), Activation("softmax"),
    Activation("leaky_relu", {"slope": Key(NUMBER, 0.01)}), Activation("gelu"),
    Residual(), MultiheadAttention(), TransformerEncoder(),
)}


def check_rank(kind: LayerType, layer: LayerSpec, shape: tuple[int, ...], source: LayerSpec | None,
               ctx: Context | None = None) -> None:
    """Refuse an input whose rank the layer cannot take, saying where it came from."""
    rank = len(shape)
    if rank >= kind.min_rank and (kind.max_rank is None or rank <= kind.max_rank):
        return
    expects = kind.expects_keras if ctx is not None and channels_last(ctx) and kind.expects_keras else kind.expects
    given = source.title if source else "the input"
    need = f"rank {kind.min_rank}" if kind.max_rank == kind.min_rank else f"rank ≥ {kind.min_rank}"
    if kind.max_rank not in (None, kind.min_rank):
        need = f"rank {kind.min_rank} to {kind.max_rank}"
    message = f"needs an input {expects} ({need}), but {given} gives {shape_text(shape)} (rank {rank})"
    if source is not None and source.type in ("flatten", "global_avgpool", "global_maxpool", "dense") and rank < kind.min_rank:
        message += f"; a {layer.type} cannot come after {source.type}: move {source.type} after the last layer that needs {expects}"
    else:
        message += "; check `input` and the layers before this one"
    raise LayerFault(layer, message)
