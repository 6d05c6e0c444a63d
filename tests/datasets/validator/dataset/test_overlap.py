"""Validation rows whose prompt is in the training data: counted exactly, named by line."""

from __future__ import annotations

import io
import json

from service.datasets.validator.dataset.overlap import SHOWN_LINES, Overlap, find_overlap
from tests.datasets.helpers import dpo, good, jsonl, msg, sft


def lines(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def test_disjoint_files_share_nothing() -> None:
    found = find_overlap(lines(jsonl(good(10))), lines(jsonl(good(5, start=10))), "dpo")
    assert found == Overlap(5, 0, 0, ())
    assert found.message().startswith("none of the 5 validation examples")


def test_shared_prompts_and_identical_examples_are_told_apart() -> None:
    training = jsonl(good(10))
    validation = jsonl(
        [
            dpo(100),  # line 1: new
            dpo(3),  # line 2: the same example as training row 4
            dpo(7, pref="Four."),  # line 3: same prompt, other answers
            dpo(3),  # line 4: the same again
            dpo(7, system=None),  # line 5: another prompt (no system turn)
        ]
    )
    found = find_overlap(lines(training), lines(validation), "dpo")
    assert found == Overlap(5, 3, 2, (2, 3, 4))
    assert found.message().startswith(
        "3 of 5 validation examples have a prompt that is also in the training data "
        "(2 are identical examples; validation lines 2, 3, 4)"
    )
    assert found.as_data() == {
        "validation_rows": 5,
        "shared_prompts": 3,
        "identical_rows": 2,
        "lines": [2, 3, 4],
        "partial": False,
    }


def test_outputs_swapped_is_the_same_prompt_but_not_the_same_example() -> None:
    row = dpo(1)
    swapped = dpo(1, pref=row["non_preferred_output"][0]["content"], nonpref="The answer is 4.")
    found = find_overlap(lines(jsonl([row])), lines(jsonl([swapped])), "dpo")
    assert (found.shared_prompts, found.identical_rows) == (1, 0)


def test_lines_count_blank_lines_and_the_list_is_capped() -> None:
    training = jsonl(good(50))
    validation = b"\n" + jsonl(good(50))  # line 1 blank: rows are on lines 2..51
    found = find_overlap(lines(training), lines(validation), "dpo")
    assert (found.validation_rows, found.shared_prompts, found.identical_rows) == (50, 50, 50)
    assert found.lines == tuple(range(2, 2 + SHOWN_LINES))
    assert found.message().count(", ...") == 1


def test_sft_prompt_is_everything_before_the_last_reply() -> None:
    training = jsonl([sft(1), sft(2)])
    other_reply = {"messages": [msg("user", "Say hi (1)"), msg("assistant", "Hello.")]}
    longer = {"messages": [*sft(2)["messages"], msg("user", "Again"), msg("assistant", "Hi!")]}
    validation = jsonl([other_reply, sft(2), longer])
    found = find_overlap(lines(training), lines(validation), "sft")
    assert found == Overlap(3, 2, 1, (1, 2))


def test_lines_that_are_not_rows_are_skipped() -> None:
    validation = jsonl(good(2)) + b"not json\n" + json.dumps({"x": 1}).encode() + b"\n"
    found = find_overlap(lines(jsonl(good(1))), lines(validation), "dpo")
    assert found == Overlap(2, 1, 1, (1,))


def test_a_huge_validation_file_is_checked_up_to_a_bound_and_says_so() -> None:
    found = find_overlap(lines(jsonl(good(3))), lines(jsonl(good(10))), "dpo", max_rows=4)
    assert found == Overlap(4, 3, 3, (1, 2, 3), partial=True)
    assert found.message().endswith("(only the first 4 were checked)")
    assert found.as_data()["partial"] is True
    exact = find_overlap(lines(jsonl(good(3))), lines(jsonl(good(4))), "dpo", max_rows=4)
    assert exact.partial is False


def test_a_bom_and_crlf_as_uploaded_do_not_hide_rows() -> None:
    bom, crlf = b"\xef\xbb\xbf", jsonl(good(2)).replace(b"\n", b"\r\n")
    found = find_overlap(lines(bom + crlf), lines(bom + crlf), "dpo")
    assert found == Overlap(2, 2, 2, (1, 2))
