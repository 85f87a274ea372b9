"""Graph problems: expressions, the computation graph, the autodiff engine and the derivation."""
