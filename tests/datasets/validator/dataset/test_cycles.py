"""Preference cycles within one prompt: found with their lines, bounded, never confused with
orderings or with contradictions (reported apart)."""

from __future__ import annotations

import random
from array import array

from service.datasets.validator.dataset.cycles import PreferenceGraphs, find_cycle

A, B, C, D = 11, 22, 33, 44


def test_three_preferences_that_go_round_are_a_cycle() -> None:
    assert find_cycle([(A, B, 3), (B, C, 5), (C, A, 9)]) == [3, 5, 9]


def test_an_ordering_is_not_a_cycle() -> None:
    assert find_cycle([(A, B, 1), (B, C, 2), (A, C, 3), (C, D, 4), (A, D, 5)]) is None


def test_a_longer_cycle_among_other_edges_is_found() -> None:
    edges = [(A, D, 1), (A, B, 2), (B, C, 3), (D, B, 4), (C, D, 7)]
    assert find_cycle(edges) == [3, 4, 7]  # B > C > D > B; A > ... is no part of it


def test_contradictory_pairs_are_left_to_their_own_check() -> None:
    assert find_cycle([(A, B, 1), (B, A, 2), (A, C, 3)]) is None


def graphs_of(rows: list[tuple[int, int, int]], **kw: int) -> PreferenceGraphs:
    """(prompt, better, worse) rows on lines 1, 2, ...; added as blocks of two rows."""
    graphs = PreferenceGraphs(**kw)
    for start in range(0, len(rows), 2):
        block = rows[start : start + 2]
        graphs.extend(
            array("q", range(start + 1, start + 1 + len(block))),
            array("q", (p for p, _, _ in block)),
            array("q", (b for _, b, _ in block)),
            array("q", (w for _, _, w in block)),
        )
    return graphs


def test_graphs_are_kept_per_prompt() -> None:
    rows = [(1, A, B), (2, B, C), (1, B, C), (2, C, A), (1, C, A), (2, A, D)]
    assert list(graphs_of(rows).cycles()) == [[1, 3, 5]]  # prompt 2's edges close no cycle


def test_identical_outputs_are_no_edge() -> None:
    rows = [(1, A, B), (1, B, B), (1, B, C), (1, C, C), (1, C, A)]
    assert list(graphs_of(rows).cycles()) == [[1, 3, 5]]


def test_the_store_is_bounded_and_says_from_which_line() -> None:
    rows = [(1, A, B), (1, B, C), (1, C, A), (1, A, D), (1, D, A)]
    graphs = graphs_of(rows, max_edges=3)
    assert graphs.first_refused == 4
    assert list(graphs.cycles()) == [[1, 2, 3]]
    assert graphs_of(rows[:3], max_edges=3).first_refused is None


def test_distinct_prompts_skip_the_search() -> None:
    assert list(graphs_of([(p, A, B) for p in range(1, 50)]).cycles()) == []


def _has_cycle(edges: list[tuple[int, int, int]]) -> bool:
    """Kahn's algorithm on the same graph (two-way pairs left out): not every node sorts."""
    stated = {(b, w) for b, w, _ in edges}
    kept = {(b, w) for b, w in stated if (w, b) not in stated and b != w}
    nodes = {n for edge in kept for n in edge}
    incoming = {n: sum(1 for _, w in kept if w == n) for n in nodes}
    ready = [n for n, k in incoming.items() if k == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for b, w in kept:
            if b == node:
                incoming[w] -= 1
                if incoming[w] == 0:
                    ready.append(w)
    return seen < len(nodes)


def test_random_graphs_agree_with_a_topological_sort() -> None:
    rng = random.Random(7)
    for _ in range(300):
        edges = [(rng.randint(1, 5), rng.randint(1, 5), line) for line in range(rng.randint(0, 9))]
        edges = [(b, w, line) for b, w, line in edges if b != w]
        found = find_cycle(edges)
        assert (found is not None) == _has_cycle(edges), edges
        if found is not None:  # the lines name edges that chain round
            chosen = [next(e for e in edges if e[2] == line) for line in found]
            starts = sorted(b for b, _, _ in chosen)
            assert len(chosen) >= 3 and starts == sorted(w for _, w, _ in chosen), edges
