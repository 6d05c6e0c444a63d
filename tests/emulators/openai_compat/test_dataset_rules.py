"""The file rules applied while a job is validating_files (no server needed)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

import pytest

from service.emulators.openai_compat.dataset_rules import DatasetError, check_dataset
from service.emulators.openai_compat.records import DatasetReport
from service.emulators.openai_compat.reports import INLINE_BYTES, ReportCache
from tests.emulators.openai_compat.helpers import dpo_row, jsonl, sft_row, words

Edit = Callable[[dict[str, Any]], None]


def _dpo_file(edit: Edit | None = None, count: int = 10) -> bytes:
    rows = [dpo_row(index) for index in range(count)]
    if edit is not None:
        rows[1] = copy.deepcopy(rows[1])
        edit(rows[1])
    return jsonl(rows)


def _error(content: bytes, method: str = "dpo", param: str = "training_file") -> DatasetError:
    with pytest.raises(DatasetError) as info:
        check_dataset(content, method=method, file_id="file-x", param=param)
    return info.value


def test_a_good_dpo_file_reports_examples_and_words() -> None:
    rows = [dpo_row(index) for index in range(12)]
    report = check_dataset(
        jsonl(rows) + b"\n\n", method="dpo", file_id="file-x", param="training_file"
    )
    assert (report.examples, report.words) == (12, words(rows))


def test_too_few_examples_counts_them() -> None:
    error = _error(jsonl([dpo_row(1)] * 7), param="validation_file")
    assert error.code == "invalid_n_examples"
    assert error.param == "validation_file"
    assert error.message == "Validation file has 7 example(s), but must have at least 10 examples"


def _set(path: str, value: Any) -> Edit:
    def edit(row: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = row
        for key in parents:
            target = target[key]
        target[last] = value

    return edit


def _drop(key: str) -> Edit:
    return lambda row: row.pop(key)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (_drop("input"), "Example 2 is missing key 'input'."),
        (_set("input.messages", []), "'input.messages' must be a non-empty list"),
        (_set("input.messages", [{"content": "hi"}]), "message 1 Discriminator 'role' is missing"),
        (_set("input.messages", [{"role": "robot", "content": "hi"}]), "invalid role: 'robot'"),
        (_set("preferred_output", []), "'preferred_output' must be a list with exactly one"),
        (
            _set("non_preferred_output", [{"role": "assistant", "content": "a"}] * 2),
            "'non_preferred_output' must be a list with exactly one",
        ),
        (_set("preferred_output", [{"role": "user", "content": "a"}]), "role 'assistant'"),
        (_set("preferred_output", [{"role": "assistant", "content": None}]), "must be a string"),
    ],
)
def test_dpo_rules(edit: Edit, fragment: str) -> None:
    error = _error(_dpo_file(edit))
    assert error.code == "invalid_training_file"
    assert error.param == "training_file"
    assert error.message.startswith("The job failed due to an invalid training file.")
    assert fragment in error.message


def test_chat_format_for_a_dpo_job_gets_openais_message() -> None:
    error = _error(jsonl([sft_row(index) for index in range(10)]))
    assert error.message == (
        "The job failed due to an invalid training file. Invalid file format. Input file file-x is "
        "in the fine-tune-chat format, but the specified fine-tuning job is not using 'supervised' "
        "as the training method (provided method=dpo). "
    )


def test_unparseable_line() -> None:
    content = jsonl([dpo_row(index) for index in range(10)]) + b"{oops\n"
    error = _error(content)
    assert "Example 11 cannot be parsed" in error.message


@pytest.mark.parametrize(
    "edit",
    [
        _set("preferred_output", [{"role": "assistant", "content": "a", "weight": 1}]),
        _set("input.messages", [{"role": "user", "content": "<|fim_suffix|>"}]),
    ],
)
def test_newer_file_format_errors(edit: Edit) -> None:
    error = _error(_dpo_file(edit))
    assert error.code == "invalid_file_format"
    assert error.message.startswith(
        "The job failed due to a file format error in the training file."
    )


def test_supervised_rules() -> None:
    good = [sft_row(index) for index in range(10)]
    report = check_dataset(jsonl(good), method="supervised", file_id="f", param="training_file")
    ends_with_user = [*good[:9], {"messages": [{"role": "user", "content": "hi"}]}]
    dpo_data = [dpo_row(index) for index in range(10)]

    assert report.examples == 10
    assert (
        "last message must be from the assistant"
        in _error(jsonl(ends_with_user), "supervised").message
    )
    assert "missing key 'messages'" in _error(jsonl(dpo_data), "supervised").message


def test_big_files_are_checked_off_the_event_loop() -> None:
    rows = [dpo_row(index) for index in range(10)]
    content = jsonl(rows * (INLINE_BYTES // len(jsonl(rows)) + 1))
    key = ("file-big", "dpo", "training_file")

    async def scenario() -> tuple[bool, object]:
        cache = ReportCache()
        cache.request(key, content)
        pending = cache.pending(key) and cache.get(key) is None
        while cache.pending(key):  # noqa: ASYNC110  (polling the cache's public API is the point)
            await asyncio.sleep(0.01)
        return pending, cache.get(key)

    pending, outcome = asyncio.run(scenario())
    assert pending
    assert isinstance(outcome, DatasetReport)
    assert outcome.examples == content.count(b"\n")
