"""Fine-tuning jobs through the real SDK on a hand-driven clock: create (after the SDK's limits
and price calls), the whole life to completed with events, checkpoints and metrics, cancel, list,
delete, a bad file ending `user_error`, the server's own refusals and price estimates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import together

from service.emulators.together.models import CATALOGUE
from tests.emulators.together.helpers import (
    KEY,
    MODEL,
    PATH,
    PHASE,
    Manual,
    control,
    create_raw,
    dpo_job,
    dpo_row,
    error_of,
    sft_row,
    together_state,
    upload,
    wait_until,
)

ROWS = [dpo_row(index) for index in range(40)]


def test_create_asks_for_the_limits_and_the_price_first(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    before = dict(manual.emulator.state()["requests"])

    job = dpo_job(manual.sdk, training, suffix="mine")

    requests = manual.emulator.state()["requests"]
    calls = {key: requests[key] - before.get(key, 0) for key in requests}
    assert {key: count for key, count in calls.items() if count} == {
        "GET /models/limits": 1,
        "POST /estimate-price": 1,
        "POST /": 1,
    }
    assert re.fullmatch(r"ft-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", job.id)
    assert job.status == "pending"
    assert job.output_name is not None
    assert re.fullmatch(
        r"ftjobs-emulator/Meta-Llama-3\.1-8B-Instruct-Reference-mine-[0-9a-f]{8}", job.output_name
    )
    assert job.training_method is not None
    assert job.training_method.model_dump() == {
        "method": "dpo",
        "dpo_beta": 0.1,
        "dpo_normalize_logratios_by_length": False,
        "dpo_reference_free": False,
        "rpo_alpha": 0.0,
        "simpo_gamma": 0.0,
    }
    assert job.training_type is not None
    assert job.training_type.model_dump() == {
        "type": "Lora",
        "lora_r": 64,
        "lora_alpha": 128,
        "lora_dropout": 0.0,
        "lora_trainable_modules": "all-linear",
    }
    assert (job.batch_size, job.learning_rate, job.n_epochs, job.suffix) == (
        32,  # "max": the model's largest DPO batch for LoRA
        1e-5,
        1,
        "mine",
    )
    assert (job.token_count, job.total_price) == (None, None)  # known once tokenized
    assert [getattr(event, "type", event) for event in job.events or []] == ["job_pending"]


def test_a_job_runs_to_completed_with_events_checkpoints_and_metrics(
    manual: Manual, tmp_path: Path
) -> None:
    sdk = manual.sdk
    training = upload(sdk, tmp_path, ROWS)
    validation = upload(sdk, tmp_path, ROWS[:8], "valid.jsonl")
    job = dpo_job(
        sdk,
        training,
        validation_file=validation,
        batch_size=8,
        lora=True,
        n_epochs=2,
        n_checkpoints=3,
        n_evals=2,
        random_seed=7,
    )

    manual.after(PHASE + 0.1)
    assert manual.status(job.id) == "queued"
    manual.after(PHASE)
    assert manual.status(job.id) == "running"
    manual.after(PHASE / 2)  # half of the 10 steps (5 per epoch of 40 rows at batch 8)
    halfway = sdk.fine_tuning.retrieve(job.id)
    assert halfway.status == "running"
    assert halfway.model_extra is not None
    assert halfway.model_extra["steps_completed"] == 5
    assert halfway.epochs_completed == 1
    manual.after(PHASE / 2)
    assert manual.status(job.id) == "compressing"
    manual.after(PHASE)
    assert manual.status(job.id) == "uploading"
    manual.after(PHASE)
    done = sdk.fine_tuning.retrieve(job.id)

    assert done.status == "completed"
    assert done.batch_size == 8
    estimate = sdk.fine_tuning.estimate_price(
        training_file=training,
        validation_file=validation,
        model=MODEL,
        n_epochs=2,
        n_evals=2,
        training_method={"method": "dpo"},
    ).model_dump()
    tokens = estimate["estimated_train_token_count"] + estimate["estimated_eval_token_count"]
    assert done.token_count == tokens
    assert done.total_price == round(estimate["estimated_total_price"] * 100)
    assert done.epochs_completed == 2
    assert done.model_extra is not None
    assert (done.model_extra["steps_completed"], done.model_extra["total_steps"]) == (10, 10)
    assert done.model_extra["evals_completed"] == 2
    assert done.x_model_output_path is not None
    events = sdk.fine_tuning.list_events(job.id).data
    assert [(event.type, event.step) for event in events] == [
        ("job_pending", None),
        ("job_start", None),
        ("model_downloading", None),
        ("model_download_complete", None),
        ("training_data_downloading", None),
        ("training_data_download_complete", None),
        ("training_start", None),
        ("checkpoint_save", 4),
        ("eval_complete", 5),
        ("epoch_complete", 5),
        ("checkpoint_save", 7),
        ("eval_complete", 10),
        ("epoch_complete", 10),
        ("training_complete", 10),
        ("model_compressing", None),
        ("model_compression_complete", None),
        ("model_uploading", None),
        ("model_upload_complete", None),
        ("job_complete", 10),
    ]
    assert all(event.object == "fine-tune-event" and event.created_at for event in events)
    assert events[-1].x_model_path == done.x_model_output_path
    checkpoints = sdk.fine_tuning.list_checkpoints(job.id).data
    assert [(c.step, c.checkpoint_type, c.checkpoint) for c in checkpoints] == [
        (10, "Final adapter (step 10)", "adapter"),
        (7, "Intermediate (step 7)", "adapter"),
        (4, "Intermediate (step 4)", "adapter"),
    ]
    assert checkpoints[2].path == events[7].checkpoint_path
    metrics = sdk.fine_tuning.list_metrics(job.id).metrics or []
    assert [row["train/global_step"] for row in metrics] == list(range(1, 11))
    assert [row["train/global_step"] for row in metrics if "eval/loss" in row] == [5, 10]
    assert all("train/rewards/accuracies" in row and "train/loss" in row for row in metrics)
    assert metrics[-1]["train/loss"] < metrics[0]["train/loss"]
    filtered = sdk.fine_tuning.list_metrics(job.id, global_step_from=4, global_step_to=6).metrics
    assert [row["train/global_step"] for row in filtered or []] == [4, 5, 6]
    sampled = sdk.fine_tuning.list_metrics(job.id, resolution=3).metrics
    assert [row["train/global_step"] for row in sampled or []] == [1, 5, 10]


def test_sft_metrics_have_no_rewards(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, [sft_row(index) for index in range(3)])
    job = manual.sdk.fine_tuning.create(training_file=training, model="Qwen/Qwen3-8B")
    wait_until(manual, job.id, "completed")
    [row] = manual.sdk.fine_tuning.list_metrics(job.id).metrics or []
    assert set(row) == {"train/global_step", "train/epoch", "train/loss", "train/learning_rate"}


def test_cancel_goes_through_cancel_requested(manual: Manual, tmp_path: Path) -> None:
    job = dpo_job(manual.sdk, upload(manual.sdk, tmp_path, ROWS))
    manual.after(PHASE + 0.1)

    cancelling = manual.sdk.fine_tuning.cancel(job.id)
    again = manual.sdk.fine_tuning.cancel(job.id)
    manual.after(PHASE)
    cancelled = manual.sdk.fine_tuning.retrieve(job.id)

    assert (cancelling.status, again.status, cancelled.status) == (
        "cancel_requested",
        "cancel_requested",
        "cancelled",
    )
    types = [event.type for event in manual.sdk.fine_tuning.list_events(job.id).data]
    assert types[-2:] == ["cancel_requested", "job_stopped"]
    assert types.count("cancel_requested") == 1
    with pytest.raises(together.BadRequestError) as info:
        manual.sdk.fine_tuning.cancel(job.id)
    assert "already ended (cancelled)" in error_of(info.value)["message"]


def test_a_cancelled_job_pays_for_the_steps_it_ran(manual: Manual, tmp_path: Path) -> None:
    big = "meta-llama/Meta-Llama-3.1-70B-Instruct-Reference"
    training = upload(manual.sdk, tmp_path, [dpo_row(index) for index in range(400)])
    job = dpo_job(manual.sdk, training, model=big, lora=True, batch_size=8, n_epochs=3)
    quote = manual.sdk.fine_tuning.estimate_price(
        training_file=training, model=big, n_epochs=3, training_method={"method": "dpo"}
    ).model_dump()
    whole = round(quote["estimated_total_price"] * 100)

    manual.after(2 * PHASE + PHASE / 2)  # running, about half of its 150 steps done
    running = manual.sdk.fine_tuning.retrieve(job.id)
    manual.sdk.fine_tuning.cancel(job.id)
    manual.after(PHASE)
    cancelled = manual.sdk.fine_tuning.retrieve(job.id)

    assert whole >= 4  # cents: enough to tell a share from the whole
    assert running.total_price == whole
    assert running.model_extra is not None
    steps = running.model_extra["steps_completed"]
    assert 0 < steps < 150
    assert cancelled.total_price == round(quote["estimated_total_price"] * 100 * steps / 150)
    assert cancelled.total_price is not None
    assert cancelled.total_price < whole


def test_a_bad_file_ends_the_job_user_error_naming_the_line(manual: Manual, tmp_path: Path) -> None:
    rows = [dpo_row(index) for index in range(5)]
    rows[2]["preferred_output"].append({"role": "assistant", "content": "and more"})
    training = upload(manual.sdk, tmp_path, rows)
    job = dpo_job(manual.sdk, training)  # the create accepts it: the data is checked later
    assert job.status == "pending"

    manual.after(PHASE + 0.1)

    assert manual.status(job.id) == "user_error"  # the SDK's generated type lacks it
    last = manual.sdk.fine_tuning.list_events(job.id).data[-1]
    assert (last.type, last.level) == ("job_error", "error")
    assert last.message == (
        f"Invalid training file {training}: line 3 at /preferred_output: must be a list of "
        "exactly one message."
    )


def test_the_estimate_says_when_a_file_is_invalid(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, [sft_row(0)])
    estimate = manual.sdk.fine_tuning.estimate_price(
        training_file=training, model=MODEL, training_method={"method": "dpo"}
    )
    assert estimate.estimation_available is False
    assert estimate.model_dump()["unavailable_reason"] == "train_file_invalid"


def test_list_is_every_job_newest_first_and_delete_forgets(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    first = dpo_job(manual.sdk, training)
    second = dpo_job(manual.sdk, training, model="Qwen/Qwen3-8B")

    assert [job.id for job in manual.sdk.fine_tuning.list().data] == [second.id, first.id]
    assert manual.sdk.fine_tuning.delete(first.id).message == f"Fine-tune job {first.id} deleted"
    with pytest.raises(together.NotFoundError):
        manual.sdk.fine_tuning.retrieve(first.id)
    assert [job.id for job in manual.sdk.fine_tuning.list().data] == [second.id]


def test_jobs_queue_in_order(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    jobs = [dpo_job(manual.sdk, training).id for _ in range(2)]
    manual.after(PHASE + 0.1)
    depths = {
        job.id: (job.model_extra or {})["queue_depth"] for job in manual.sdk.fine_tuning.list().data
    }
    assert depths == {jobs[0]: 0, jobs[1]: 1}


def test_from_checkpoint_continues_a_completed_job(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    parent = manual.sdk.fine_tuning.create(
        training_file=upload(manual.sdk, tmp_path, [sft_row(i) for i in range(40)], "sft.jsonl"),
        model=MODEL,
        lora=False,
        batch_size=8,
        n_checkpoints=2,
    )
    wait_until(manual, parent.id, "completed")
    steps = [c.step for c in manual.sdk.fine_tuning.list_checkpoints(parent.id).data]
    assert steps == [5, 3]

    child = manual.sdk.fine_tuning.create(
        training_file=training, from_checkpoint=f"{parent.id}:3", training_method="dpo"
    )
    assert (child.model, child.from_checkpoint) == (MODEL, f"{parent.id}:3")
    assert child.training_type is not None
    assert child.training_type.type == "Full"  # inherited from the parent
    by_name = create_raw(
        manual.emulator,
        {"training_file": training, "from_checkpoint": parent.output_name},
    )
    assert by_name.status_code == 200
    missing = create_raw(
        manual.emulator, {"training_file": training, "from_checkpoint": f"{parent.id}:4"}
    )
    assert missing.status_code == 400
    assert missing.json()["error"]["param"] == "from_checkpoint"
    assert "no checkpoint at step 4" in missing.json()["error"]["message"]


def test_a_running_job_is_not_a_checkpoint_yet(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    job = dpo_job(manual.sdk, training)
    response = create_raw(manual.emulator, {"training_file": training, "from_checkpoint": job.id})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "from_checkpoint"


def test_the_price_refusal(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    assert control(manual.emulator, "limit", {"user_limit": 0}).status_code == 200

    estimate = manual.sdk.fine_tuning.estimate_price(
        training_file=training, model=MODEL, n_epochs=3, training_method={"method": "dpo"}
    )
    with pytest.raises(together.APIStatusError) as info:
        dpo_job(manual.sdk, training)

    assert estimate.estimation_available is True
    dumped = estimate.model_dump()
    assert dumped["allowed_to_proceed"] is False
    assert dumped["user_limit"] == 0
    assert dumped["estimated_total_price"] > 0
    assert dumped["estimated_train_token_count"] > 0
    assert info.value.status_code == 402
    assert error_of(info.value)["type"] == "insufficient_balance"
    assert together_state(manual.emulator)["jobs"] == 0


def test_the_estimate_counts_epochs_and_evaluations(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    validation = upload(manual.sdk, tmp_path, ROWS[:4], "valid.jsonl")

    def estimate(**extra: Any) -> dict[str, Any]:
        result = manual.sdk.fine_tuning.estimate_price(
            training_file=training, model=MODEL, training_method={"method": "dpo"}, **extra
        )
        return result.model_dump()

    one = estimate()
    three = estimate(n_epochs=3, validation_file=validation, n_evals=2)
    assert one["allowed_to_proceed"] is True
    assert three["estimated_train_token_count"] == 3 * one["estimated_train_token_count"]
    assert one["estimated_eval_token_count"] == 0
    assert three["estimated_eval_token_count"] > 0
    tokens = three["estimated_train_token_count"] + three["estimated_eval_token_count"]
    rate = CATALOGUE[MODEL].lora_price_per_million
    assert three["estimated_total_price"] == round(tokens * rate / 1e6, 6)


GOOD = {"model": MODEL, "training_method": {"method": "dpo"}}


@pytest.mark.parametrize(
    ("change", "param", "words"),
    [
        ({"batch_size": 33}, "batch_size", "maximum allowed value of 32"),
        ({"batch_size": 4}, "batch_size", "minimum allowed value of 8"),
        (
            {"batch_size": 20, "training_type": {"type": "Full"}},
            "batch_size",
            "maximum allowed value of 16",
        ),
        ({"learning_rate": 2.0}, "learning_rate", "at most 1"),
        ({"learning_rate": 0}, "learning_rate", "greater than 0"),
        ({"n_evals": 2}, "n_evals", "validation_file"),
        ({"n_epochs": 0}, "n_epochs", "between 1 and 20"),
        ({"n_checkpoints": 21}, "n_checkpoints", "between 1 and 20"),
        ({"suffix": "x" * 41}, "suffix", "at most 40"),
        (
            {"training_method": {"method": "dpo", "train_on_inputs": True}},
            "train_on_inputs",
            "only supported for SFT",
        ),
        ({"training_method": {"method": "ppo"}}, "training_method", "'sft' or 'dpo'"),
        (
            {"training_method": {"method": "dpo", "rpo_alpha": -1}},
            "training_method.rpo_alpha",
            "non-negative",
        ),
        (
            {"training_type": {"type": "Lora", "lora_r": 128}},
            "training_type.lora_r",
            "between 1 and 64",
        ),
        ({"training_type": {"type": "Qlora"}}, "training_type", "'Lora' or 'Full'"),
        (
            {"model": "openai/gpt-oss-20b", "training_type": {"type": "Full"}},
            "training_type",
            "not supported",
        ),
        ({"model": "acme/unknown-7b"}, "model", "not supported for fine-tuning"),
        ({"model": None}, "model", "required"),
        ({"warmup_ratio": 1.5}, "warmup_ratio", "between 0 and 1"),
        ({"max_seq_length": 100000}, "max_seq_length", "between 512 and 65536"),
        ({"training_file": "file-nope"}, "training_file", "no such file"),
        ({"validation_file": "file-nope"}, "validation_file", "no such file"),
        ({"early_stopping_enabled": True}, "early_stopping_enabled", "validation_file"),
    ],
)
def test_the_servers_own_refusals(
    manual: Manual, tmp_path: Path, change: dict[str, Any], param: str, words: str
) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    response = create_raw(manual.emulator, {"training_file": training, **GOOD, **change})

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param
    assert words in error["message"]
    assert error["type"] == "invalid_request_error"
    assert together_state(manual.emulator)["jobs"] == 0


def test_the_sdk_learns_of_an_unknown_model_from_the_limits(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    with pytest.raises(together.NotFoundError) as info:
        dpo_job(manual.sdk, training, model="acme/unknown-7b")
    assert info.value.body == {
        "message": "Model acme/unknown-7b is not supported for fine-tuning. See the list of "
        "supported models at https://docs.together.ai/docs/fine-tuning-models"
    }
    assert together_state(manual.emulator)["jobs"] == 0


def test_an_unknown_job_is_a_404(manual: Manual) -> None:
    with pytest.raises(together.NotFoundError) as info:
        manual.sdk.fine_tuning.list_events("ft-nope")
    assert error_of(info.value)["message"] == "Fine-tune job ft-nope not found."


@pytest.mark.parametrize(
    "change",
    [
        {"lr_scheduler": "cosine"},
        {"lr_scheduler": {"lr_scheduler_type": "step"}},
        {"lr_scheduler": {"lr_scheduler_type": "cosine", "lr_scheduler_args": {"num_cycles": 0}}},
        {"lr_scheduler": {"lr_scheduler_type": "linear", "lr_scheduler_args": []}},
        {"early_stopping_enabled": True, "early_stopping_patience": "3"},
        {"early_stopping_enabled": True, "early_stopping_min_delta": -1},
        {"training_method": "dpo"},
        {"training_type": "Lora"},
        {"n_evals": "2"},
        {"n_epochs": 1.5},
        {"suffix": 5},
        {"model": ["a"]},
        {"from_checkpoint": 7, "model": None},
        {"training_method": {"method": "dpo", "dpo_beta": "high"}},
        {"training_type": {"type": "Lora", "lora_trainable_modules": 3}},
    ],
)
def test_malformed_fields_are_400s_never_500s(
    manual: Manual, tmp_path: Path, change: dict[str, Any]
) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    response = create_raw(manual.emulator, {"training_file": training, **GOOD, **change})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"]
    manual.after(10 * PHASE)  # and nothing breaks the clock later
    assert manual.sdk.fine_tuning.list().data == []


@pytest.mark.parametrize("content", [b"[]", b"{oops", b'"text"'])
def test_a_body_that_is_no_object_is_a_400(manual: Manual, content: bytes) -> None:
    for path in ("/v1/fine-tunes", "/v1/fine-tunes/estimate-price"):
        response = httpx.post(
            f"{manual.emulator.url}{PATH}{path}",
            content=content,
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert (
            response.json()["error"]["message"] == "Invalid request body: expected a JSON object."
        )


def test_a_job_with_a_scheduler_and_early_stopping_runs(manual: Manual, tmp_path: Path) -> None:
    training = upload(manual.sdk, tmp_path, ROWS)
    validation = upload(manual.sdk, tmp_path, ROWS[:4], "valid.jsonl")
    job = manual.sdk.fine_tuning.create(
        training_file=training,
        validation_file=validation,
        model=MODEL,
        training_method="dpo",
        lr_scheduler_type="linear",
        min_lr_ratio=0.5,
        n_evals=4,
        early_stopping_enabled=True,
    )
    wait_until(manual, job.id, "completed")
    metrics = manual.sdk.fine_tuning.list_metrics(job.id).metrics or []
    assert metrics[-1]["train/learning_rate"] == pytest.approx(0.5e-5)
