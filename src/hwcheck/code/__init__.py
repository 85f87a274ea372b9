"""Code problems (contract §9): students' numpy functions, run sandboxed, checked against
hwcheck's own engine, with the mistake named.

The pieces, each with one job:

- :mod:`.load` reads a ``kind: code`` problem (tasks, input specs, training recipes);
- :mod:`.reference` draws the inputs and computes every expected value with the graph
  engine (``returns`` expressions, ``grad(SCALAR_EXPR, NAME)``, kink alternatives);
- :mod:`.train` composes functions into the training loop (the reference's or a student's);
- :mod:`.child` is the program that runs *inside* the sandbox: it imports the student's
  module once and serves calls over pipes (it imports nothing of hwcheck);
- :mod:`.protocol` is the parent's side of that pipe: plain framing, size-checked, never a
  pickle; :mod:`.sandbox` starts, times and kills the child (bubblewrap + rlimits);
- :mod:`.mistakes` names what is wrong with a result (generated from the task's expression);
- :mod:`.grade` grades one submission and a class; :mod:`.solve` is the worked reference;
  :mod:`.template` writes the starter module.
"""
