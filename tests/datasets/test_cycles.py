"""Preference cycles within one prompt: found with their lines, bounded, never confused with
orderings or with contradictions (reported apart)."""

from __future__ import annotations

import random
from functools import partial
from pathlib import Path

import pytest

from service.datasets import aggregate
from service.datasets.cycles import PreferenceGraphs, find_cycle
from service.datasets.dedup import SeenTable
from service.datasets.ingest import ingest_file
from tests.datasets.helpers import dpo, findings, good, jsonl

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


def test_graphs_are_kept_per_prompt() -> None:
    graphs = PreferenceGraphs()
    for line, (prompt, better, worse) in enumerate(
        [(1, A, B), (2, B, C), (1, B, C), (2, C, A), (1, C, A), (2, A, D)], 1
    ):
        graphs.add(prompt, better, worse, line)
    assert list(graphs.cycles()) == [[1, 3, 5]]  # prompt 2's edges do not close a cycle


def test_identical_outputs_are_no_edge_and_the_store_is_bounded() -> None:
    graphs = PreferenceGraphs(max_edges=3)
    graphs.add(1, A, A, 1)  # no edge
    for line, (better, worse) in enumerate([(A, B), (B, C), (C, A), (A, D)], 2):
        graphs.add(1, better, worse, line)
    assert graphs.first_refused == 5
    assert list(graphs.cycles()) == [[2, 3, 4]]


def test_swap_stores_the_new_value_and_returns_the_old() -> None:
    table = SeenTable(slots=16)
    assert table.swap(7, 1) is None
    assert table.swap(7, 2) == 1
    assert table.get(7) == 2
    assert table.swap(0, 5) is None and table.get(0) == 5  # key 0 is stored as 1, as in add
    assert sorted(table.items()) == [(1, 5), (7, 2)]


def test_a_file_past_the_bound_says_where_cycle_checks_stop(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(aggregate, "PreferenceGraphs", partial(PreferenceGraphs, max_edges=3))
    rows = [*good(10), dpo(2, pref="A.", nonpref="B."), dpo(2, pref="B.", nonpref="A.")]
    src = tmp_path / "rows.jsonl"
    src.write_bytes(jsonl(rows))
    report = ingest_file(src, None, count_tokens=False).report
    assert findings(report) == [(4, "cycle_limit_reached"), (12, "contradictory_pair")]
    [limit] = [i for i in report.warnings if i.code == "cycle_limit_reached"]
    assert limit.message == "preference cycles are checked among the rows before line 4 only"


def test_the_report_names_the_lines_of_a_cycle(tmp_path: Path) -> None:
    rows = [*good(10), *(dpo(2, pref=p, nonpref=n) for p, n in [("A.", "B."), ("B.", "C.")])]
    src = tmp_path / "rows.jsonl"
    src.write_bytes(jsonl([*rows, dpo(2, pref="C.", nonpref="A.")]))
    [cycle] = ingest_file(src, None, count_tokens=False).report.warnings
    assert (cycle.line, cycle.code) == (13, "preference_cycle")
    assert cycle.message.startswith("lines 11, 12 and 13 state preferences for the same input")


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
