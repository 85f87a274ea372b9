"""What a graph question can ask (contract §2): `NAME`, `dOUT/dNAME`, each with an
optional 0-based element index such as `[1]` or `[0, 2]`.

Read by splitting at the fixed characters ``/``, ``[`` and ``,`` rather than by one regular
expression: an ask is file-controlled text, and a pattern with several optional runs of
spaces backtracks in quadratic time on a long run of them (40,000 spaces took 6 s).
"""

from __future__ import annotations

import re

from ..record import Record

_NAME = re.compile(r"[A-Za-z_]\w*")
_D = ("d", "∂")


class GraphAsk(Record):
    name: str  # the leaf or step asked about
    output: str | None = None  # set for a gradient dOUT/dNAME
    index: tuple[int, ...] | None = None

    @property
    def is_gradient(self) -> bool:
        return self.output is not None


def parse_ask(text: str) -> GraphAsk | None:
    """The parsed ask, or None when the text is not of a form graph questions take."""
    head, index = text.strip(), None
    if head.endswith("]"):
        opening = head.rfind("[")
        if opening < 0:
            return None
        parts = [p.strip() for p in head[opening + 1:-1].split(",")]
        if not all(p.isdecimal() and len(p) <= 18 for p in parts):  # int() of 4,300+ digits fails
            return None
        head, index = head[:opening].rstrip(), tuple(int(p) for p in parts)
    if "/" not in head:
        return GraphAsk(head, None, index) if _NAME.fullmatch(head) else None
    out, wrt = (part.strip() for part in head.split("/", 1))
    if out[:1] in _D and wrt[:1] in _D and _NAME.fullmatch(out[1:]) and _NAME.fullmatch(wrt[1:]):
        return GraphAsk(wrt[1:], out[1:], index)
    return None
