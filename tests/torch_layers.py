"""Every hwcheck layer type as the torch.nn module a PyTorch user would write, and one
example of each (importable as `torch_layers`; torch itself is imported only when a
module is built, so the registry tests can check the tables without it).

A layer type added to hwcheck.architecture.layers.LAYER_TYPES without an entry in
BUILDERS and EXAMPLES fails tests/test_architecture_registry.py.
"""

from __future__ import annotations

from math import prod


def _padding(value):
    return value if value == "same" else tuple(value)


def _linear(torch, layer, shape):
    return torch.nn.Linear(shape[-1], layer.options["units"], bias=layer.options["bias"])


def _conv(torch, layer, shape):
    o = layer.options
    cls = torch.nn.Conv1d if layer.type == "conv1d" else torch.nn.Conv2d
    return cls(shape[0], o["filters"], tuple(o["kernel"]), stride=tuple(o["stride"]), padding=_padding(o["padding"]),
               dilation=tuple(o["dilation"]), groups=o["groups"], bias=o["bias"])


def _conv_transpose(torch, layer, shape):
    o = layer.options
    return torch.nn.ConvTranspose2d(shape[0], o["filters"], tuple(o["kernel"]), stride=tuple(o["stride"]),
                                    padding=tuple(o["padding"]), output_padding=tuple(o["output_padding"]),
                                    groups=o["groups"], bias=o["bias"], dilation=tuple(o["dilation"]))


def _pool(torch, layer, shape):
    o, t, nn = layer.options, layer.type, torch.nn
    stride = tuple(o["stride"]) if o["stride"] is not None else None
    if t == "maxpool1d":
        return nn.MaxPool1d(o["kernel"][0], stride and stride[0], o["padding"][0], o["dilation"][0], ceil_mode=o["ceil_mode"])
    if t == "maxpool2d":
        return nn.MaxPool2d(tuple(o["kernel"]), stride, tuple(o["padding"]), tuple(o["dilation"]), ceil_mode=o["ceil_mode"])
    if t == "avgpool1d":
        return nn.AvgPool1d(o["kernel"][0], stride and stride[0], o["padding"][0], ceil_mode=o["ceil_mode"])
    return nn.AvgPool2d(tuple(o["kernel"]), stride, tuple(o["padding"]), ceil_mode=o["ceil_mode"])


def _global(torch, layer, shape):
    reduce = torch.amax if layer.type == "global_maxpool" else torch.mean

    class Global(torch.nn.Module):
        def forward(self, x):
            return reduce(x, dim=tuple(range(2, x.dim())))
    return Global()


def _batchnorm(torch, layer, shape):
    return torch.nn.BatchNorm2d(shape[0]) if len(shape) == 3 else torch.nn.BatchNorm1d(shape[0])


def _recurrent(torch, layer, shape):
    o = layer.options
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[layer.type]
    cell = cls(shape[1], o["hidden"], num_layers=o["layers"], bias=o["bias"], batch_first=True,
               bidirectional=o["bidirectional"])

    class Recurrent(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cell, self.keep_all = cell, o["return_sequences"]

        def forward(self, x):
            out = self.cell(x)[0]
            return out if self.keep_all else out[:, -1, :]
    return Recurrent()


def _attention(torch, layer, shape):
    attention = torch.nn.MultiheadAttention(shape[1], layer.options["heads"], bias=layer.options["bias"], batch_first=True)

    class SelfAttention(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = attention

        def forward(self, x):
            return self.attention(x, x, x, need_weights=False)[0]
    return SelfAttention()


def _transformer(torch, layer, shape):
    o = layer.options
    one = torch.nn.TransformerEncoderLayer(shape[1], o["heads"], o["ff"], batch_first=True, norm_first=o["norm_first"])
    return torch.nn.TransformerEncoder(one, o["layers"], enable_nested_tensor=False)


def _residual(torch, layer, shape):
    main = chain(torch, layer.options["layers"], shape)
    shortcut = chain(torch, layer.options["shortcut"], shape)

    class Residual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.main, self.shortcut = main, shortcut

        def forward(self, x):
            return self.main(x) + self.shortcut(x)
    return Residual()


def _activation(name):
    def build(torch, layer, shape):
        nn = torch.nn
        if name == "leaky_relu":
            return nn.LeakyReLU(layer.options["slope"])
        return {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softmax": lambda: nn.Softmax(dim=-1),
                "gelu": nn.GELU}[name]()
    return build


BUILDERS = {
    "dense": _linear, "conv1d": _conv, "conv2d": _conv, "conv_transpose2d": _conv_transpose,
    "maxpool1d": _pool, "maxpool2d": _pool, "avgpool1d": _pool, "avgpool2d": _pool,
    "global_avgpool": _global, "global_maxpool": _global,
    "flatten": lambda torch, layer, shape: torch.nn.Flatten(),
    "batchnorm": _batchnorm, "layernorm": lambda torch, layer, shape: torch.nn.LayerNorm(shape[-1]),
    "dropout": lambda torch, layer, shape: torch.nn.Dropout(layer.options["rate"]),
    "embedding": lambda torch, layer, shape: torch.nn.Embedding(layer.options["num"], layer.options["dim"]),
    "rnn": _recurrent, "lstm": _recurrent, "gru": _recurrent,
    **{name: _activation(name) for name in ("relu", "sigmoid", "tanh", "softmax", "leaky_relu", "gelu")},
    "residual": _residual, "multihead_attention": _attention, "transformer_encoder": _transformer,
}

# one example per layer type: (input shape, the layer as a problem file writes it)
EXAMPLES = {
    "dense": ("[5, 8]", "{type: dense, units: 3}"),
    "conv1d": ("[4, 20]", "{type: conv1d, filters: 6, kernel: 3, stride: 2, padding: 1}"),
    "conv2d": ("[3, 12, 10]", "{type: conv2d, filters: 4, kernel: [3, 5], padding: same}"),
    "conv_transpose2d": ("[4, 5, 5]", "{type: conv_transpose2d, filters: 2, kernel: 3, stride: 2, output_padding: 1}"),
    "maxpool1d": ("[2, 11]", "{type: maxpool1d, kernel: 3, ceil_mode: true}"),
    "maxpool2d": ("[2, 9, 9]", "{type: maxpool2d, kernel: 3, stride: 2, padding: 1}"),
    "avgpool1d": ("[2, 11]", "{type: avgpool1d, kernel: 2}"),
    "avgpool2d": ("[2, 9, 9]", "{type: avgpool2d, kernel: 2, ceil_mode: true}"),
    "global_avgpool": ("[3, 4, 4]", "{type: global_avgpool}"),
    "global_maxpool": ("[3, 6]", "{type: global_maxpool}"),
    "flatten": ("[3, 4, 4]", "{type: flatten}"),
    "batchnorm": ("[3, 4, 4]", "{type: batchnorm}"),
    "layernorm": ("[5, 8]", "{type: layernorm}"),
    "dropout": ("[5, 8]", "{type: dropout, rate: 0.3}"),
    "embedding": ("[7]", "{type: embedding, num: 50, dim: 8}"),
    "rnn": ("[6, 5]", "{type: rnn, hidden: 4, layers: 2}"),
    "lstm": ("[6, 5]", "{type: lstm, hidden: 4, layers: 2, bidirectional: true}"),
    "gru": ("[6, 5]", "{type: gru, hidden: 3, return_sequences: false}"),
    "relu": ("[5, 8]", "{type: relu}"),
    "sigmoid": ("[5, 8]", "{type: sigmoid}"),
    "tanh": ("[5, 8]", "{type: tanh}"),
    "softmax": ("[5, 8]", "{type: softmax}"),
    "leaky_relu": ("[5, 8]", "{type: leaky_relu, slope: 0.2}"),
    "gelu": ("[5, 8]", "{type: gelu}"),
    "residual": ("[4, 8, 8]", "{type: residual, layers: [{type: conv2d, filters: 6, kernel: 3, stride: 2, padding: 1}, "
                              "{type: batchnorm}], shortcut: [{type: conv2d, filters: 6, kernel: 1, stride: 2, bias: false}]}"),
    "multihead_attention": ("[6, 16]", "{type: multihead_attention, heads: 4}"),
    "transformer_encoder": ("[6, 16]", "{type: transformer_encoder, heads: 2, ff: 32, layers: 2}"),
}


def module_for(torch, layer, shape):
    """The torch.nn module for one hwcheck layer on an input of ``shape`` (no batch axis)."""
    return BUILDERS[layer.type](torch, layer, shape)


def chain(torch, layers, shape):
    """nn.Sequential of the layers (empty: the identity), shapes carried with torch itself."""
    modules = []
    for layer in layers:
        module = module_for(torch, layer, shape)
        with torch.no_grad():
            shape = tuple(module.eval()(_sample(torch, layer, shape)).shape[1:])
        modules.append(module)
    return torch.nn.Sequential(*modules)


def _sample(torch, layer, shape):
    if layer.type == "embedding":
        return torch.randint(0, layer.options["num"], (1, *shape))
    return torch.randn(1, *shape)


def torchinfo_mult_adds(module, output_shape) -> int:
    """torchinfo's rule (LayerInfo.calculate_macs, after its pull request #318) for a batch of one,
    for a module whose parameters are its own (not a container of other counted modules)."""
    target = getattr(module, "cell", None) or getattr(module, "attention", None) or module
    name = type(target).__name__
    out = [1, *output_shape]
    total = 0
    for pname, param in target.named_parameters():
        if pname in ("weight", "bias") and name in ("Linear", "Embedding"):
            # once per position, prod(output_size[:-1]); the embedding likewise (its README's
            # LSTM example, 378.46M, needs it)
            total += param.numel() * prod(out[:-1])
        elif pname in ("weight", "bias"):
            total += param.numel() * (prod(out[:1] + out[2:]) if "Conv" in name else out[0])
        else:  # weight_ih_l0, in_proj_weight, out_proj.weight ...: once per time step
            total += param.numel() * prod(out[:2])
    return total
