"""Together's words in ours (pure): statuses, stable event ids, metric names, our tag."""

from __future__ import annotations

import pytest

from service.jobs.states import JobStatus, from_provider, next_status
from service.providers.registry import TOGETHER, TOGETHER_SUFFIX_LIMIT
from service.providers.together_mapping import (
    EventFacts,
    after,
    carries_tag,
    event_ids,
    is_checkpoint,
    job_tag,
    metric_rows,
    our_status,
    tagged_suffix,
)


@pytest.mark.parametrize(
    ("together", "ours"),
    [
        ("pending", JobStatus.VALIDATING_FILES),
        ("queued", JobStatus.QUEUED),
        ("running", JobStatus.RUNNING),
        ("compressing", JobStatus.RUNNING),
        ("uploading", JobStatus.RUNNING),
        ("cancel_requested", JobStatus.CANCELLING),
        ("completed", JobStatus.SUCCEEDED),
        ("error", JobStatus.FAILED),
        ("user_error", JobStatus.FAILED),
        ("cancelled", JobStatus.CANCELLED),
    ],
)
def test_each_status_of_together_is_one_of_ours(together: str, ours: JobStatus) -> None:
    assert from_provider(our_status(together)) == ours


def test_an_unknown_status_moves_nothing_and_is_never_an_end() -> None:
    unknown = our_status("paused_for_maintenance")
    assert from_provider(unknown) is None
    for current in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.CANCELLING):
        assert next_status(current, unknown) is None


def test_cancel_requested_waits_for_togethers_final_word() -> None:
    assert next_status(JobStatus.RUNNING, our_status("cancel_requested")) == JobStatus.CANCELLING
    assert next_status(JobStatus.CANCELLING, our_status("running")) is None
    assert next_status(JobStatus.CANCELLING, our_status("cancelled")) == JobStatus.CANCELLED


def _event(
    second: int, message: str, step: int | None = None, digest: str | None = None
) -> EventFacts:
    return EventFacts(f"2026-12-07T10:00:{second:02d}Z", "checkpoint_save", message, step, digest)


def test_event_ids_are_stable_as_events_arrive() -> None:
    first = [_event(1, "started"), _event(2, "saved", 10)]
    later = [*first, _event(3, "saved", 20)]
    assert event_ids(later)[:2] == event_ids(first)
    assert len(set(event_ids(later))) == 3


def test_identical_events_get_distinct_ids_by_their_rank() -> None:
    twins = [_event(1, "retrying"), _event(1, "retrying")]
    ids = event_ids(twins)
    assert ids[0] != ids[1] and ids == event_ids(twins)


def test_togethers_own_hash_is_the_id_when_sent() -> None:
    assert event_ids([_event(1, "x", digest="abc123")]) == ["ev-abc123"]


def test_only_events_after_the_last_mirrored_one_are_new() -> None:
    ids = event_ids([_event(1, "a"), _event(2, "b"), _event(3, "c")])
    assert after(ids, None) == 0
    assert after(ids, ids[0]) == 1
    assert after(ids, ids[2]) == 3  # nothing new
    assert after(ids, "ev-gone") == 0  # no longer listed: everything, rather than a loss


def test_metric_rows_take_our_names_and_merge_a_steps_rows() -> None:
    rows = metric_rows(
        [
            {"train/global_step": 2, "train/loss": 0.4, "train/rewards/margins": 0.9},
            {"train/global_step": 1, "train/loss": 0.5},
            {"train/global_step": 2, "eval/loss": 0.45},
            {"train/loss": 0.3},  # no step: dropped
            {"train/global_step": 3, "train/loss": float("nan")},
        ]
    )
    assert rows == [
        {"step": 1, "train_loss": 0.5},
        {"step": 2, "train_loss": 0.4, "train_reward_margin": 0.9, "valid_loss": 0.45},
        {"step": 3},
    ]


def test_the_suffix_carries_our_tag_within_togethers_limit() -> None:
    longest = "s" * TOGETHER.suffix_limit.max_length
    suffix = tagged_suffix(longest, "job_01J")
    assert len(suffix) == TOGETHER_SUFFIX_LIMIT and suffix.endswith(job_tag("job_01J"))
    assert tagged_suffix(None, "job_01J") == job_tag("job_01J").lstrip("-")
    assert job_tag("job_01J") != job_tag("job_01K")


def test_a_job_is_ours_by_the_tag_in_its_output_name() -> None:
    output = f"acct/Qwen3-8B-{tagged_suffix('run', 'job_A')}-a1b2c3d4"
    assert carries_tag(output, None, "job_A")
    assert not carries_tag(output, None, "job_B")
    assert carries_tag(None, tagged_suffix(None, "job_A"), "job_A")


@pytest.mark.parametrize(
    ("model", "checkpoint"),
    [
        ("ft-7d4e2c", True),
        (f"acct/Qwen3-8B-{tagged_suffix(None, 'job_A')}-a1b2c3d4", True),
        ("Qwen/Qwen3-8B", False),
        ("meta-llama/Meta-Llama-3.1-8B-Instruct-Reference", False),
    ],
)
def test_a_model_we_tuned_there_continues_from_its_checkpoint(model: str, checkpoint: bool) -> None:
    assert is_checkpoint(model) is checkpoint
    assert TOGETHER.tunes("dpo", model) is checkpoint or model in TOGETHER.models["dpo"]
