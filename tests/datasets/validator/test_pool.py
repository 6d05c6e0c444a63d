"""The pool: workers forked with the tokenizer, and a parent that then gives its copy back."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from service.datasets.validator.dataset.dedup import SeenTable
from tests.datasets.helpers import good, jsonl

# In a fresh interpreter: the fork pool is only used by a process with one thread.
CHECK_RELEASE = """
import sys
from pathlib import Path
from service.datasets.validator import tokens
from service.datasets.validator.ingest import ingest_file

result = ingest_file(Path(sys.argv[1]), None, workers=2)
print(result.report.valid, result.report.stats.total_tokens > 0)
print(tokens._COUNTER is None, tokens.encoding.cache_info().currsize)
"""


def test_the_parent_of_forked_workers_lets_its_tokenizer_go(tmp_path: Path) -> None:
    src = tmp_path / "rows.jsonl"
    src.write_bytes(jsonl(good(12)))
    out = subprocess.run(
        [sys.executable, "-c", CHECK_RELEASE, str(src)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Tokens were counted (by the workers), and the parent holds no tokenizer afterwards.
    assert out.stdout.split() == ["True", "True", "True", "0"], out.stderr


def test_a_seen_table_slot_is_twelve_bytes() -> None:
    """What the memory bound rests on: an 8-byte key and a 4-byte line per slot."""
    table = SeenTable()
    assert table._keys.itemsize + table._lines.itemsize == 12
    table.add(1, 2**32 - 1)  # the largest line a slot holds
    assert table.get(1) == 2**32 - 1
