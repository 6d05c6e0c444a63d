"""Preference cycles: for one prompt, A preferred to B, B to C, and C to A.

DPO assumes the preferences for a prompt can be ordered; a cycle cannot be, so its pairs pull
the model in circles (the DPO cookbook asks for transitivity; nothing checks it). A cycle of
two (A over B and B over A) is a contradictory pair, reported as such; this finds the longer
ones.

Every row's edge (its two output keys and its line) goes into flat arrays, chained per prompt
through a compact table of each prompt's latest edge: about 40 bytes a row, up to `max_edges`
rows (15 MB), after which the caller reports the limit. The graphs are walked once, at the
end, for the prompts with three or more edges.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

from service.datasets.dedup import SeenTable

MAX_EDGES = 350_000  # 8.4 MB of edges and a table of 512k slots (6 MB)


class PreferenceGraphs:
    def __init__(self, *, max_edges: int = MAX_EDGES) -> None:
        self._max = max_edges
        self._latest = SeenTable(max_slots=1 << 20)  # prompt -> index of its latest edge
        self._better, self._worse = array("q"), array("q")
        self._lines, self._previous = array("I"), array("i")  # previous: -1 ends a chain
        self.first_refused: int | None = None

    def add(self, prompt: int, better: int, worse: int, line: int) -> None:
        if better == worse:
            return  # identical outputs: an error of its own, and no edge
        index = len(self._lines)
        if index >= self._max:
            self._refuse(line)
            return
        previous = self._latest.swap(prompt, index)
        if previous is None and self._latest.full:
            self._refuse(line)
            return
        self._better.append(better)
        self._worse.append(worse)
        self._lines.append(line)
        self._previous.append(-1 if previous is None else previous)

    def _refuse(self, line: int) -> None:
        if self.first_refused is None:
            self.first_refused = line

    def cycles(self) -> Iterator[list[int]]:
        """For each prompt whose preferences go round, the lines of one such cycle, in file
        order."""
        for _, latest in self._latest.items():
            edges = self._chain(latest)
            if len(edges) >= 3:
                found = find_cycle(edges)
                if found is not None:
                    yield found

    def _chain(self, index: int) -> list[tuple[int, int, int]]:
        edges = []
        while index >= 0:
            edges.append((self._better[index], self._worse[index], self._lines[index]))
            index = self._previous[index]
        edges.reverse()  # file order
        return edges


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
