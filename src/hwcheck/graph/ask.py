"""What a graph question can ask (contract §2): `NAME`, `dOUT/dNAME`, each with an
optional 0-based element index such as `[1]` or `[0, 2]`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ASK = re.compile(
    r"\s*(?:[d∂](?P<out>[A-Za-z_]\w*)\s*/\s*[d∂](?P<wrt>[A-Za-z_]\w*)|(?P<name>[A-Za-z_]\w*))"
    r"\s*(?:\[(?P<index>[\s\d,]*)\])?\s*"
)


@dataclass(frozen=True)
class GraphAsk:
    name: str  # the leaf or step asked about
    output: str | None = None  # set for a gradient dOUT/dNAME
    index: tuple[int, ...] | None = None

    @property
    def is_gradient(self) -> bool:
        return self.output is not None


def parse_ask(text: str) -> GraphAsk | None:
    """The parsed ask, or None when the text is not of a form graph questions take."""
    match = _ASK.fullmatch(text)
    if not match:
        return None
    index = None
    if match.group("index") is not None:
        parts = [p.strip() for p in match.group("index").split(",")]
        if not parts or not all(p.isdigit() for p in parts):
            return None
        index = tuple(int(p) for p in parts)
    if match.group("name"):
        return GraphAsk(match.group("name"), None, index)
    return GraphAsk(match.group("wrt"), match.group("out"), index)
