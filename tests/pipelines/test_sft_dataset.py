"""Building the SFT file from a DPO file: the row conversion and the reproducible selection
(pure, no fixtures)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest

from service.pipelines import sft_dataset
from service.pipelines.rules import selection_size
from tests.support.data import dpo_row, dpo_rows, jsonl

TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]


def test_the_preferred_output_becomes_the_final_assistant_turn() -> None:
    row = dpo_row(3)
    row["input"]["messages"].insert(0, {"role": "system", "content": "Be careful."})
    assert sft_dataset.sft_row(row) == {
        "messages": [
            {"role": "system", "content": "Be careful."},
            {"role": "user", "content": "Question number 3?"},
            {"role": "assistant", "content": "A careful answer to 3."},
        ]
    }


def test_tools_come_along_and_the_rejected_output_does_not() -> None:
    row = dpo_row(1)
    row["input"] |= {"tools": TOOLS, "parallel_tool_calls": False}
    call = {"id": "c1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
    row["preferred_output"] = [{"role": "assistant", "tool_calls": [call]}]
    line = sft_dataset.sft_line(json.dumps(row).encode())
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    converted = json.loads(line)
    assert list(converted) == ["messages", "tools", "parallel_tool_calls"]
    assert converted["messages"][-1] == {"role": "assistant", "tool_calls": [call]}
    assert converted["tools"] == TOOLS and converted["parallel_tool_calls"] is False
    assert "Whatever" not in line.decode()


def test_rows_skip_blank_lines_and_a_leading_bom() -> None:
    lines = [b"\xef\xbb\xbf{}\n", b"\n", b"  \r\n", b'{"a":1}\r\n']
    assert list(sft_dataset.rows(lines)) == [b"{}\n", b'{"a":1}\r\n']


@pytest.mark.parametrize(("total", "size"), [(10, 10), (100, 37), (1000, 1), (57, 56)])
def test_the_selection_has_exactly_the_requested_size_in_file_order(total: int, size: int) -> None:
    examples = [str(i).encode() for i in range(total)]
    picked = list(sft_dataset.select(examples, total=total, size=size, seed=7))
    assert len(picked) == size
    assert picked == sorted(picked, key=int)


def test_the_same_seed_picks_the_same_rows_and_another_seed_others() -> None:
    examples = [str(i).encode() for i in range(200)]

    def pick(seed: int) -> list[bytes]:
        return list(sft_dataset.select(examples, total=200, size=50, seed=seed))

    assert pick(1) == pick(1)
    assert pick(1) != pick(2)


def test_the_selection_is_spread_evenly() -> None:
    """Every row about equally likely over many seeds (Algorithm S is uniform)."""
    hits = [0] * 20
    for seed in range(2000):
        for example in sft_dataset.select(range_bytes(20), total=20, size=5, seed=seed):
            hits[int(example)] += 1
    assert all(400 < count < 600 for count in hits), hits  # 500 expected each


def range_bytes(n: int) -> Iterator[bytes]:
    return (str(i).encode() for i in range(n))


def test_the_selection_streams() -> None:
    """It takes an iterator and stops reading once it has enough."""
    consumed: list[int] = []

    def examples() -> Iterator[bytes]:
        for i in range(10_000):
            consumed.append(i)
            yield str(i).encode()

    picked = list(sft_dataset.select(examples(), total=10_000, size=10_000, seed=0))
    assert len(picked) == 10_000 == len(consumed)
    first = list(sft_dataset.select(examples(), total=10_000, size=1, seed=0))
    assert len(first) == 1


def test_draws_are_uniform_numbers_fixed_by_seed_and_index() -> None:
    draws = [sft_dataset.draw(5, i) for i in range(1000)]
    assert all(0 <= d < 1 for d in draws)
    assert draws == [sft_dataset.draw(5, i) for i in range(1000)]
    assert draws != [sft_dataset.draw(6, i) for i in range(1000)]
    assert 0.45 < sum(draws) / len(draws) < 0.55


def test_build_writes_sft_rows_for_the_chosen_fraction() -> None:
    source = io.BytesIO(b"\xef\xbb\xbf" + jsonl(dpo_rows(30)).replace(b"\n", b"\n\n", 3))
    sink = io.BytesIO()
    assert sft_dataset.build(source, sink, size=selection_size(0.5, 30), seed=3) == 15
    written = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert len(written) == 15
    assert all(row["messages"][-1]["content"].startswith("A careful") for row in written)
    again = io.BytesIO()
    sft_dataset.build(io.BytesIO(source.getvalue()), again, size=15, seed=3)
    assert again.getvalue() == sink.getvalue()


@pytest.mark.parametrize(
    ("fraction", "total", "size"),
    [(1, 12, 12), (0.5, 12, 6), (0.3, 10, 3), (0.01, 10, 1), (0.999, 1000, 999), (0.7, 100, 70)],
)
def test_selection_size_rounds_up_without_float_noise(
    fraction: float, total: int, size: int
) -> None:
    assert selection_size(fraction, total) == size
