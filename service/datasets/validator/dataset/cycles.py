"""Preference cycles: for one prompt, A preferred to B, B to C, and C to A.

DPO assumes the preferences for a prompt can be ordered; a cycle cannot be, so its pairs pull
the model in circles (the DPO cookbook asks for transitivity; nothing checks it). A cycle of
two (A over B and B over A) is a contradictory pair, reported as such; this finds the longer
ones.

Each block's edges (its rows' prompt and two output keys, and their lines) are appended to flat
arrays in one call per column, so the parent, which shares the cores with the workers, does no
work per row for this: 32 bytes a row, up to `max_edges` rows (11 MB), after which the caller
reports the limit. At the end, unless every prompt was distinct, the rows are grouped by prompt
and the graphs of prompts with three or more rows are searched.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

MAX_EDGES = 350_000
_INDEX_BITS = 20  # row indices below MAX_EDGES fit
_INDEX_MASK = (1 << _INDEX_BITS) - 1


class PreferenceGraphs:
    def __init__(self, *, max_edges: int = MAX_EDGES) -> None:
        assert max_edges <= _INDEX_MASK
        self._max = max_edges
        self._prompts, self._better, self._worse = array("q"), array("q"), array("q")
        self._lines = array("q")
        self.first_refused: int | None = None

    @property
    def full(self) -> bool:
        return len(self._lines) >= self._max

    def extend(
        self, lines: array[int], prompts: array[int], better: array[int], worse: array[int]
    ) -> None:
        """A block's rows, in file order (arrays: each column is one C-level copy)."""
        room = self._max - len(self._lines)
        if room < len(lines) and self.first_refused is None:
            self.first_refused = lines[room]
        self._lines.extend(lines[:room])
        self._prompts.extend(prompts[:room])
        self._better.extend(better[:room])
        self._worse.extend(worse[:room])

    def cycles(self, *, all_distinct: bool = False) -> Iterator[list[int]]:
        """For each prompt whose preferences go round, the lines of one such cycle, in file
        order. `all_distinct`: the caller knows no prompt came twice, so there is no search."""
        if all_distinct:
            return
        # Rows grouped by prompt with one sort of one list: prompt and row index packed in an
        # int (~44 bytes a row, for the moment), rather than a tuple per edge for every prompt.
        packed = [prompt << _INDEX_BITS | i for i, prompt in enumerate(self._prompts)]
        packed.sort()
        start = 0
        for end in range(1, len(packed) + 1):
            if end == len(packed) or packed[end] >> _INDEX_BITS != packed[start] >> _INDEX_BITS:
                if end - start >= 3:
                    rows = [p & _INDEX_MASK for p in packed[start:end]]  # in file order
                    found = self._search(rows)
                    if found is not None:
                        yield found
                start = end

    def _search(self, rows: list[int]) -> list[int] | None:
        edges = [
            (self._better[i], self._worse[i], self._lines[i])
            for i in rows
            if self._better[i] != self._worse[i]  # identical outputs: no preference
        ]
        return find_cycle(edges) if len(edges) >= 3 else None


def find_cycle(edges: list[tuple[int, int, int]]) -> list[int] | None:
    """The lines of a cycle of three or more preferences among `edges` (better, worse, line),
    or None. Pairs stated both ways are left out: they are contradictions, reported apart."""
    stated = {(b, w) for b, w, _ in edges}
    graph: dict[int, list[tuple[int, int]]] = {}
    for better, worse, line in edges:
        if (worse, better) not in stated:
            graph.setdefault(better, []).append((worse, line))
    done: set[int] = set()
    for start in graph:
        if start not in done:
            found = _walk(graph, start, done)
            if found is not None:
                return found
    return None


def _walk(graph: dict[int, list[tuple[int, int]]], start: int, done: set[int]) -> list[int] | None:
    """Depth-first from `start` without recursion; a way back to a node on the current path
    closes a cycle, whose edges' lines are returned."""
    on_path: dict[int, int] = {start: 0}  # node -> its position in `path`
    path: list[tuple[int, int]] = [(start, 0)]  # (node, line of the edge that reached it)
    todo = [iter(graph.get(start, ()))]
    while todo:
        step = next(todo[-1], None)
        if step is None:
            node, _ = path.pop()
            del on_path[node]
            done.add(node)
            todo.pop()
            continue
        node, line = step
        if node in on_path:
            lines = [edge_line for _, edge_line in path[on_path[node] + 1 :]]
            return sorted([*lines, line])
        if node not in done:
            on_path[node] = len(path)
            path.append((node, line))
            todo.append(iter(graph.get(node, ())))
    return None
