"""Chain-rule paths from the output down to a node: counted always, listed when few.

A residual chain of n blocks has 2ⁿ paths from its output to its input, so paths are
never enumerated to be counted. The count is one reverse sweep of dynamic programming:
paths(output) = 1 and paths(operand) += paths(consumer) for every edge (an operand used
twice, as in ``x * x``, is two edges). Python integers never overflow, and the sweep is
linear in the number of edges.

Listing is a depth-first walk *up* from the node through its consumers, restricted to
nodes that lie below the output; it is only done when the count is small, so its cost is
bounded by (number of paths) × (path length).
"""

from __future__ import annotations

from .build import Graph

Edge = tuple[int, int]  # (consumer node, operand position k)


def count_paths(graph: Graph, start: int) -> list[int]:
    """For every node, how many distinct paths lead from `start` down to it."""
    counts = [0] * len(graph)
    counts[start] = 1
    for index in range(start, -1, -1):
        if counts[index] == 0:
            continue
        for operand in graph.nodes[index].operands:
            if isinstance(operand, int):
                counts[operand] += counts[index]
    return counts


def list_paths(graph: Graph, start: int, target: int, counts: list[int]) -> list[list[Edge]]:
    """Every path from `start` down to `target`, each a list of edges from the top."""
    paths: list[list[Edge]] = []
    # Each record is (node, the edge that led up to it, index of the parent record), so a
    # step costs O(1) and each path is rebuilt once, when it reaches the start.
    records: list[tuple[int, Edge | None, int]] = [(target, None, -1)]
    stack = [0]
    while stack:
        at = stack.pop()
        node = records[at][0]
        if node == start:
            path, i = [], at
            while records[i][1] is not None:
                path.append(records[i][1])
                i = records[i][2]
            paths.append(path)  # walking the parents back gives the edges from the top down
            continue
        # Push in reverse so that the first consumer is explored first.
        for consumer, k in reversed(graph.consumers[node]):
            if consumer <= start and counts[consumer] > 0:
                records.append((consumer, (consumer, k), at))
                stack.append(len(records) - 1)
    return paths


def nodes_between(graph: Graph, start: int, target: int) -> list[int]:
    """Nodes on some path from `start` down to `target` (both included), in order."""
    below = count_paths(graph, start)
    reaches = [False] * len(graph)  # reaches[i]: node i depends on target
    reaches[target] = True
    for node in graph.nodes[target + 1 : start + 1]:
        reaches[node.index] = any(isinstance(o, int) and reaches[o] for o in node.operands)
    return [i for i in range(target, start + 1) if below[i] > 0 and reaches[i]]
