"""The submit step on the real database with a scripted provider: the checks made before anything
is sent, and each dataset uploaded once."""

from __future__ import annotations

from pathlib import Path

from service.jobs import lifecycle, repository, submission
from service.jobs.runtime import Runtime
from service.providers.base import JobSpec, PriceEstimate, ProviderError, RemoteJob
from tests.jobs.fakes import FakeProvider
from tests.jobs.world import add_dataset, mark_create_sent, new_job, reload, run
from tests.support.data import dpo_row, dpo_rows, jsonl
from tests.support.services import Backing


def test_validation_prompts_in_the_training_data_are_a_warning_event(
    clean: Backing, tmp_path: Path
) -> None:
    """Checked once, before anything is sent; the job still runs with both files."""
    provider = FakeProvider()
    training = jsonl(dpo_rows(12))
    validation = jsonl([dpo_row(100), dpo_row(5), dpo_row(7, prompt="Question number 3?")])

    async def scenario(rt: Runtime) -> None:
        async with rt.sessions.begin() as session:
            validation_id = await add_dataset(rt, session, validation)
        job = await new_job(rt, training, validation_dataset_id=validation_id)
        await lifecycle.advance(rt, job.id)
        job.status = "uploading"  # the submit step again, as after a crash: no second event
        await submission.submit(rt, job)
        async with rt.sessions() as session:
            events = await repository.events_page(session, job.id, after_seq=0, limit=50)
        overlap = [e for e in events if e.type == "dataset.validation_overlap"]
        assert [(e.level, e.data) for e in overlap] == [
            (
                "warning",
                {
                    "validation_rows": 3,
                    "shared_prompts": 2,
                    "identical_rows": 1,
                    "lines": [2, 3],
                    "partial": False,
                },
            )
        ]
        assert "2 of 3 validation examples" in overlap[0].message
        [spec] = provider.specs
        assert spec.validation_file is not None
        assert spec.validation_file != spec.training_file
        assert provider.calls.count("upload_file") == 2

    run(clean, tmp_path, provider, scenario)


def gone(param: str = "training_file") -> ProviderError:
    return ProviderError(f"invalid {param}: file-0", code="invalid_request_error", status=400,
                         retryable=False, param=param)  # fmt: skip


def test_a_file_the_provider_lost_is_uploaded_again_once(clean: Backing, tmp_path: Path) -> None:
    """A provider that no longer has a file we recorded (deleted, expired, a fresh emulator):
    the dataset is uploaded again, once, and the job goes on."""
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        first = await new_job(rt)
        await lifecycle.advance(rt, first.id)
        recorded = (await reload(rt, first.id)).provider_file_id
        provider.files.clear()  # the provider forgot every file
        second = await new_job(rt)
        async with rt.sessions.begin() as session:  # the same dataset as the first job
            await repository.set_fields(
                session, second.id, training_dataset_id=first.training_dataset_id
            )
        provider.create_error = gone()
        await lifecycle.advance(rt, second.id)
        job = await reload(rt, second.id)
        assert job.status == "validating_files"
        assert job.provider_file_id not in (None, recorded)
        assert provider.calls.count("upload_file") == 2  # by the first job, then once again
        async with rt.sessions() as session:
            events = await repository.events_page(session, second.id, after_seq=0, limit=50)
        [warning] = [e for e in events if e.type == "dataset.file_gone"]
        assert (warning.level, warning.data) == (
            "warning",
            {"param": "training_file", "file_id": recorded},
        )

    run(clean, tmp_path, provider, scenario)


def test_a_file_lost_twice_fails_the_job(clean: Backing, tmp_path: Path) -> None:
    provider = FakeProvider()

    async def refuse_twice(spec: JobSpec) -> RemoteJob:
        provider.calls.append("create_job")
        raise gone()

    provider.create_job = refuse_twice  # type: ignore[method-assign]

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        failed = await reload(rt, job.id)
        assert (failed.status, failed.error_code) == ("failed", "invalid_request_error")
        assert provider.calls.count("create_job") == 2  # once, then once after re-uploading

    run(clean, tmp_path, provider, scenario)


def test_the_price_estimate_is_kept_on_the_job_before_the_create(
    clean: Backing, tmp_path: Path
) -> None:
    provider = FakeProvider(estimate=PriceEstimate(total=3.5, currency="USD", train_tokens=1e4))

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        done = await reload(rt, job.id)
        assert done.provider_job_id is not None
        assert done.price_estimate is not None and done.price_estimate["total"] == 3.5
        assert provider.calls.index("preflight") < provider.calls.index("create_job")

    run(clean, tmp_path, provider, scenario)


def test_a_price_the_provider_would_not_let_proceed_fails_the_job_before_the_create(
    clean: Backing, tmp_path: Path
) -> None:
    estimate = PriceEstimate(total=12.0, currency="USD", user_limit=10.0, allowed_to_proceed=False)
    provider = FakeProvider(estimate=estimate)

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        done = await reload(rt, job.id)
        assert (done.status, done.error_code) == ("failed", "price_not_allowed")
        assert "12 USD is over the account's limit of 10 USD" in (done.error_message or "")
        assert done.price_estimate is not None and not done.price_estimate["allowed_to_proceed"]
        assert "create_job" not in provider.calls

    run(clean, tmp_path, provider, scenario)


def test_a_model_limit_the_provider_states_fails_the_job_before_the_create(
    clean: Backing, tmp_path: Path
) -> None:
    refusal = ProviderError(
        "Qwen/Qwen3-8B takes at most 32 examples per DPO batch with LoRA, got 64",
        code="model_limit",
        retryable=False,
        param="batch_size",
    )
    provider = FakeProvider(preflight_error=refusal)

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        done = await reload(rt, job.id)
        assert (done.status, done.error_code) == ("failed", "model_limit")
        assert "create_job" not in provider.calls

    run(clean, tmp_path, provider, scenario)


def test_a_job_found_at_the_provider_is_not_checked_or_created_again(
    clean: Backing, tmp_path: Path
) -> None:
    provider = FakeProvider(preflight_error=ProviderError("x", code="x", retryable=False))

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await mark_create_sent(rt, job.id)
        await provider.create_job_for(job.id)  # made before a crash, never recorded
        await lifecycle.advance(rt, job.id)
        done = await reload(rt, job.id)
        assert done.provider_job_id is not None and done.status != "failed"
        assert "preflight" not in provider.calls and "create_job" not in provider.calls

    run(clean, tmp_path, provider, scenario)


def test_a_first_create_lists_nothing_at_the_provider_first(clean: Backing, tmp_path: Path) -> None:
    """No earlier attempt sent a create, so the provider cannot hold a job of ours: no list (at
    Together a list reads every job of the account). The mark is committed before the create."""
    provider = FakeProvider()

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)
        done = await reload(rt, job.id)
        assert done.provider_job_id is not None and done.create_started_at is not None
        assert "find_job" not in provider.calls and provider.calls.count("create_job") == 1

    run(clean, tmp_path, provider, scenario)


def test_a_retry_after_a_create_was_sent_looks_before_creating(
    clean: Backing, tmp_path: Path
) -> None:
    """The create was sent and failed plainly (not ambiguous): the retry still looks first,
    since the mark only says a create may have reached the provider."""
    provider = FakeProvider(
        create_error=ProviderError("busy", code="server_error", status=503, retryable=True)
    )

    async def scenario(rt: Runtime) -> None:
        job = await new_job(rt)
        await lifecycle.advance(rt, job.id)  # the create fails: a retry is scheduled
        assert (await reload(rt, job.id)).create_started_at is not None
        await lifecycle.advance(rt, job.id)
        assert provider.calls.count("find_job") == 1 and provider.calls.count("create_job") == 2
        assert len(provider.jobs) == 1

    run(clean, tmp_path, provider, scenario)
