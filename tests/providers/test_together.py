"""The Together adapter over the real `together` SDK, against scripted HTTP answers
(httpx.MockTransport): what it sends, what it makes of Together's answers, and how Together's
errors become ProviderErrors. End to end with the emulator: tests/e2e/test_together.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import together

from service.providers.base import JobSpec, ProviderError
from service.providers.together import TogetherProvider
from service.providers.together_mapping import job_tag

Handler = Callable[[httpx.Request], httpx.Response]
LIMITS = {
    "model_name": "Qwen/Qwen3-8B",
    "default_gradient_accumulation_steps": 1,
    "lora_training": {
        "default_rank": 64,
        "max_rank": 128,
        "min_batch_size": 8,
        "max_batch_size": 64,
        "max_batch_size_dpo": 32,
        "target_modules": ["q_proj"],
    },
    "full_training": {"min_batch_size": 8, "max_batch_size": 48, "max_batch_size_dpo": 24},
    "max_learning_rate": 0.01,
    "min_learning_rate": 0.0,
    "max_num_checkpoints": 20,
    "max_num_epochs": 20,
    "max_num_evals": 100,
    "max_seq_length_dpo": 16384,
    "max_seq_length_sft": 32768,
    "merge_output_lora": True,
    "min_max_seq_length": 512,
    "supports_full_training": True,
    "supports_reasoning": False,
    "supports_tools": True,
    "supports_vision": False,
}


def job(job_id: str, status: str = "running", **fields: Any) -> dict[str, Any]:
    return {
        "id": job_id,
        "status": status,
        "created_at": "2026-12-07T10:00:00Z",
        "updated_at": "2026-12-07T10:05:00Z",
        "user_id": "u",
        "model": "Qwen/Qwen3-8B",
        "training_file": "file-1",
        **fields,
    }


def spec(**fields: Any) -> JobSpec:
    values: dict[str, Any] = {
        "our_id": "job_01A",
        "model": "Qwen/Qwen3-8B",
        "training_file": "file-1",
        "method": "dpo",
        "hyperparameters": {},
        "metadata": {},
    }
    return JobSpec(**(values | fields))


class Together:
    """A scripted Together: `routes[(method, path)]` answers; every request is kept."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], Handler] = {
            ("GET", "/v1/fine-tunes/models/limits"): lambda _: httpx.Response(200, json=LIMITS),
        }

    def answer(self, method: str, path: str, status: int = 200, **kwargs: Any) -> None:
        self.routes[(method, path)] = lambda _: httpx.Response(status, **kwargs)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.routes[(request.method, request.url.path)](request)

    def provider(self) -> TogetherProvider:
        client = together.AsyncTogether(
            api_key="k",
            base_url="http://together.test",
            max_retries=0,
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(self.handle)),
        )
        return TogetherProvider(api_key="k", base_url=None, timeout=5, client=client)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [
            json.loads(r.content)
            for r in self.requests
            if r.url.path == path and r.method == "POST"
        ]


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "retryable", "retry_after"),
    [
        (429, {"retry-after": "7"}, True, 7.0),
        (500, {}, True, None),
        (503, {}, True, None),
        (400, {}, False, None),
        (402, {}, False, None),
        (404, {}, False, None),
    ],
)
def test_errors_are_permanent_or_transient(
    status: int, headers: dict[str, str], retryable: bool, retry_after: float | None
) -> None:
    world = Together()
    body = {"error": {"message": "nope", "type": "invalid_request_error", "param": "model"}}
    world.answer("GET", "/v1/fine-tunes/ft-1", status, json=body, headers=headers)
    with pytest.raises(ProviderError) as raised:
        run(world.provider().get_job("ft-1"))
    error = raised.value
    assert (error.retryable, error.retry_after, error.status) == (retryable, retry_after, status)
    assert error.param == "model" and "nope" in error.message


def test_a_spend_limit_says_so() -> None:
    world = Together()
    world.answer("POST", "/v1/fine-tunes/ft-1/cancel", 402, json={"message": "Limit reached"})
    with pytest.raises(ProviderError) as raised:
        run(world.provider().cancel_job("ft-1"))
    assert not raised.value.retryable and "spend limit (402): Limit reached" in raised.value.message


def test_a_create_that_timed_out_is_ambiguous_and_a_read_that_did_is_not() -> None:
    world = Together()

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    world.routes[("POST", "/v1/fine-tunes")] = timeout
    world.routes[("GET", "/v1/fine-tunes/ft-1")] = timeout
    provider = world.provider()
    with pytest.raises(ProviderError) as created:
        run(provider.create_job(spec()))
    assert (created.value.code, created.value.retryable, created.value.ambiguous) == (
        "timeout",
        True,
        True,
    )
    with pytest.raises(ProviderError) as read:
        run(provider.get_job("ft-1"))
    assert read.value.retryable and not read.value.ambiguous


def test_together_cannot_pause_or_resume() -> None:
    provider = Together().provider()
    for action in (provider.pause_job, provider.resume_job):
        with pytest.raises(ProviderError) as raised:
            run(action("ft-1"))
        assert not raised.value.retryable and "cannot" in raised.value.message


# --- the create ---------------------------------------------------------------------------------


def test_the_create_sends_the_method_the_training_type_and_our_tag() -> None:
    world = Together()
    world.answer("POST", "/v1/fine-tunes", json=job("ft-9", "pending"))
    hyperparameters = {
        "beta": 0.3,
        "dpo_reference_free": True,
        "training_type": "full",
        "batch_size": 16,
        "learning_rate": 2e-5,
    }
    remote = run(
        world.provider().create_job(
            spec(hyperparameters=hyperparameters, suffix="mine", seed=5, validation_file="file-2")
        )
    )
    assert (remote.id, remote.status, remote.provider_status) == (
        "ft-9",
        "validating_files",
        "pending",
    )
    [body] = world.bodies("/v1/fine-tunes")
    assert body["training_method"]["method"] == "dpo"
    assert body["training_method"]["dpo_beta"] == 0.3
    assert body["training_method"]["dpo_reference_free"] is True
    assert body["training_type"] == {"type": "Full"}
    assert (body["batch_size"], body["learning_rate"], body["random_seed"]) == (16, 2e-5, 5)
    assert body["suffix"] == "mine" + job_tag("job_01A")
    assert body["validation_file"] == "file-2" and body["model"] == "Qwen/Qwen3-8B"


def test_an_sft_job_with_lora_defaults_from_the_models_limits() -> None:
    world = Together()
    world.answer("POST", "/v1/fine-tunes", json=job("ft-9", "pending"))
    run(world.provider().create_job(spec(method="sft", hyperparameters={"training_type": "lora"})))
    [body] = world.bodies("/v1/fine-tunes")
    assert body["training_method"] == {"method": "sft", "train_on_inputs": "auto"}
    assert body["training_type"]["type"] == "Lora" and body["training_type"]["lora_r"] == 64


def test_a_job_of_ours_continues_from_its_checkpoint() -> None:
    world = Together()
    world.answer("GET", "/v1/fine-tunes", json={"data": [job("ft-sft", "completed")]})
    world.answer("POST", "/v1/fine-tunes", json=job("ft-dpo", "pending"))
    run(world.provider().create_job(spec(model="ft-sft")))
    [body] = world.bodies("/v1/fine-tunes")
    assert body["from_checkpoint"] == "ft-sft" and "model" not in body
    [limits] = [r for r in world.requests if r.url.path.endswith("/limits")]
    assert limits.url.params["model_name"] == "Qwen/Qwen3-8B"  # the parent's base model


def test_preflight_checks_the_limits_and_returns_the_estimate() -> None:
    world = Together()
    estimate = {
        "estimation_available": True,
        "allowed_to_proceed": False,
        "estimated_total_price": 12.5,
        "estimated_train_token_count": 1000,
        "estimated_eval_token_count": 0,
        "user_limit": 10,
    }
    world.answer("POST", "/v1/fine-tunes/estimate-price", json=estimate)
    provider = world.provider()
    found = run(provider.preflight(spec(hyperparameters={"batch_size": 8})))
    assert found is not None and (found.total, found.user_limit) == (12.5, 10)
    assert found.refusal() == (
        "the estimated price of 12.5 USD is over the account's limit of 10 USD: "
        "the provider would not let it proceed"
    )
    with pytest.raises(ProviderError) as raised:
        run(provider.preflight(spec(our_id="job_02", hyperparameters={"batch_size": 64})))
    assert (raised.value.code, raised.value.param, raised.value.retryable) == (
        "model_limit",
        "batch_size",
        False,
    )


# --- reads --------------------------------------------------------------------------------------


def test_events_are_returned_once_each_oldest_first() -> None:
    world = Together()
    events = [
        {
            "object": "fine-tune-event",
            "created_at": "2026-12-07T10:00:02Z",
            "message": "b",
            "type": "training_start",
            "step": 0,
            "total_steps": 10,
        },
        {
            "object": "fine-tune-event",
            "created_at": "2026-12-07T10:00:01Z",
            "message": "a",
            "type": "job_start",
            "level": "info",
        },
    ]
    world.answer("GET", "/v1/fine-tunes/ft-1/events", json={"data": events})
    provider = world.provider()
    first = run(provider.list_new_events("ft-1", None))
    assert [e.message for e in first] == ["a", "b"]
    assert first[1].data == {"step": 0, "total_steps": 10}
    assert run(provider.list_new_events("ft-1", first[-1].id)) == []
    events.append(
        {
            "object": "fine-tune-event",
            "created_at": "2026-12-07T10:00:03Z",
            "message": "c",
            "type": "checkpoint_save",
            "level": "legacy_iwarning",
        }
    )
    world.answer("GET", "/v1/fine-tunes/ft-1/events", json={"data": events})
    [new] = run(provider.list_new_events("ft-1", first[-1].id))
    assert (new.message, new.level) == ("c", "warning")


def test_the_list_is_paged_newest_first() -> None:
    world = Together()
    jobs = [job(f"ft-{n}", created_at=f"2026-12-07T10:00:0{n}Z") for n in range(5)]
    world.answer("GET", "/v1/fine-tunes", json={"data": jobs})
    provider = world.provider()
    page, more = run(provider.list_jobs(None, 2))
    assert ([j.id for j in page], more) == (["ft-4", "ft-3"], True)
    page, more = run(provider.list_jobs("ft-3", 2))
    assert ([j.id for j in page], more) == (["ft-2", "ft-1"], True)
    page, more = run(provider.list_jobs("ft-1", 2))
    assert ([j.id for j in page], more) == (["ft-0"], False)


def test_our_job_is_found_by_the_tag_in_its_output_name() -> None:
    world = Together()
    ours = job("ft-2", model_output_name=f"acct/Qwen3-8B{job_tag('job_01A')}-abcd")
    other = job("ft-3", model_output_name=f"acct/Qwen3-8B{job_tag('job_09Z')}-abcd")
    world.answer("GET", "/v1/fine-tunes", json={"data": [other, ours]})
    assert [j.id for j in run(world.provider().find_jobs(spec()))] == ["ft-2"]


def test_a_failed_job_carries_togethers_message() -> None:
    world = Together()
    events = [
        {
            "object": "fine-tune-event",
            "created_at": "2026-12-07T10:00:01Z",
            "message": "Invalid training file: line 3",
            "type": "job_error",
            "level": "error",
        }
    ]
    world.answer("GET", "/v1/fine-tunes/ft-1", json=job("ft-1", "user_error", events=events))
    remote = run(world.provider().get_job("ft-1"))
    assert (remote.status, remote.provider_status) == ("failed", "user_error")
    assert remote.error is not None and remote.error.message == "Invalid training file: line 3"


def test_a_completed_job_names_its_model_and_its_metrics() -> None:
    world = Together()
    world.answer(
        "GET",
        "/v1/fine-tunes/ft-1",
        json=job("ft-1", "completed", model_output_name="acct/m-x", token_count=900),
    )
    world.answer(
        "GET",
        "/v1/fine-tunes/ft-1/metrics",
        json={"metrics": [{"train/global_step": 5, "train/loss": 0.2}]},
    )
    world.answer(
        "GET",
        "/v1/fine-tunes/ft-1/checkpoints",
        json={
            "data": [
                {
                    "step": 5,
                    "created_at": "2026-12-07T10:00:05Z",
                    "path": "s3://x",
                    "checkpoint_type": "Final",
                }
            ]
        },
    )
    provider = world.provider()
    remote = run(provider.get_job("ft-1"))
    assert (remote.status, remote.fine_tuned_model, remote.trained_tokens) == (
        "succeeded",
        "acct/m-x",
        900,
    )
    assert remote.result_files == ("ft-1",)
    [checkpoint] = run(provider.list_checkpoints("ft-1"))
    assert (checkpoint.step, checkpoint.fine_tuned_model_checkpoint) == (5, "ft-1:5")
    assert checkpoint.metrics == {"train_loss": 0.2}


def test_the_model_list_comes_with_each_models_limits() -> None:
    world = Together()
    world.answer("GET", "/v1/fine-tunes/models/supported", json={"models": ["Qwen/Qwen3-8B"]})
    [limits] = run(world.provider().tunable_models())
    assert (limits.model, limits.lora.max_batch_size_dpo, limits.lora_max_rank) == (
        "Qwen/Qwen3-8B",
        32,
        128,
    )


def test_a_file_whose_bytes_never_arrived_is_not_found_again() -> None:
    def file(file_id: str, status: str, created: int) -> dict[str, Any]:
        return {"id": file_id, "bytes": 10, "created_at": created, "filename": "ds_1.jsonl",
                "FileType": "jsonl", "object": "file", "purpose": "fine-tune",
                "processing_status": status}  # fmt: skip

    world = Together()
    world.answer("GET", "/v1/files", json={"data": [file("file-a", "PENDING", 1)]})
    assert run(world.provider().find_file("ds_1.jsonl")) is None
    listed = [file("file-a", "PENDING", 1), file("file-b", "COMPLETED", 2)]
    world.answer("GET", "/v1/files", json={"data": listed})
    assert run(world.provider().find_file("ds_1.jsonl")) == "file-b"
