"""Validation rows whose prompt is also in the training data.

A validation example the model was trained on measures memory, not generalisation: its loss
looks better than the model is. Nobody checks this before the money is spent, so a job that
names both files is checked before anything goes to OpenAI (see `jobs.submission`). The verdict
is a warning, not a refusal: reusing a prompt with other answers can be deliberate.

The validation side is held in memory (two dicts of 64-bit keys), the training side streams
past; keys are `hash()` values, comparable because both files are read in one process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import msgspec

from service.datasets.validator.reading.lines import BOM
from service.datasets.validator.report import DatasetKind
from service.datasets.validator.row.keys import encoded_key, input_key, output_key, pair_key
from service.datasets.validator.row.typed import DPO_DECODER, SFT_DECODER, DpoRow, SftRow, text_of

# Lines named in the report; the counts are exact.
SHOWN_LINES = 20
# Validation rows held in memory (~300 bytes each): validation sets are usually a few thousand
# rows; past this many, the rest are not checked and the report says so.
MAX_VALIDATION_ROWS = 100_000
_ENCODER = msgspec.json.Encoder()


@dataclass(frozen=True)
class Overlap:
    validation_rows: int
    shared_prompts: int  # validation rows whose prompt is in the training data
    identical_rows: int  # validation rows whose whole example is
    lines: tuple[int, ...]  # the first validation lines with a shared prompt
    partial: bool = False  # only the first MAX_VALIDATION_ROWS rows were checked

    def message(self) -> str:
        scope = f" (only the first {self.validation_rows:,} were checked)" if self.partial else ""
        if not self.shared_prompts:
            return (
                f"none of the {self.validation_rows:,} validation examples has a prompt that "
                f"is also in the training data{scope}"
            )
        shown = ", ".join(str(n) for n in self.lines)
        more = ", ..." if self.shared_prompts > len(self.lines) else ""
        return (
            f"{self.shared_prompts:,} of {self.validation_rows:,} validation examples have a "
            f"prompt that is also in the training data ({self.identical_rows:,} are identical "
            f"examples; validation lines {shown}{more}): their validation loss measures what "
            f"the model memorised, not how it generalises{scope}"
        )

    def as_data(self) -> dict[str, object]:
        return {
            "validation_rows": self.validation_rows,
            "shared_prompts": self.shared_prompts,
            "identical_rows": self.identical_rows,
            "lines": list(self.lines),
            "partial": self.partial,
        }


def find_overlap(
    training: Iterable[bytes],
    validation: Iterable[bytes],
    kind: DatasetKind,
    *,
    max_rows: int = MAX_VALIDATION_ROWS,
) -> Overlap:
    """Compare two stored datasets (JSONL lines, already validated) of the same kind."""
    by_prompt: dict[int, list[int]] = {}
    by_example: dict[int, list[int]] = {}
    rows, partial = 0, False
    for line, raw in enumerate(_without_bom(validation), 1):
        keys = example_keys(raw, kind)
        if keys is None:
            continue
        if rows == max_rows:
            partial = True
            break
        rows += 1
        by_prompt.setdefault(keys[0], []).append(line)
        by_example.setdefault(keys[1], []).append(line)
    shared: list[int] = []
    identical = 0
    for raw in _without_bom(training):
        if not by_prompt and not by_example:
            break  # every validation row is accounted for
        keys = example_keys(raw, kind)
        if keys is None:
            continue
        shared.extend(by_prompt.pop(keys[0], ()))
        identical += len(by_example.pop(keys[1], ()))
    shared.sort()
    return Overlap(rows, len(shared), identical, tuple(shared[:SHOWN_LINES]), partial)


def _without_bom(lines: Iterable[bytes]) -> Iterator[bytes]:
    """A stored file keeps the bytes as uploaded: a UTF-8 BOM (a warning) may start it."""
    it = iter(lines)
    first = next(it, None)
    if first is not None:
        yield first.removeprefix(BOM)
    yield from it


def example_keys(raw: bytes, kind: DatasetKind) -> tuple[int, int] | None:
    """(prompt key, example key) of one line; None for a line that is not a valid row."""
    try:
        row = DPO_DECODER.decode(raw) if kind == "dpo" else SFT_DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None  # blank lines and the like: stored datasets hold no invalid rows
    if isinstance(row, DpoRow):
        prompt = input_key(row.input)
        good, bad = row.preferred_output[0], row.non_preferred_output[0]
        return prompt, pair_key(
            prompt, output_key(good, text_of(good.content)), output_key(bad, text_of(bad.content))
        )
    assert isinstance(row, SftRow)
    # An SFT example's prompt is everything before the reply it trains on: the last turn.
    head = msgspec.structs.replace(row, messages=row.messages[:-1])
    return encoded_key(_ENCODER.encode(head)), encoded_key(_ENCODER.encode(row))
