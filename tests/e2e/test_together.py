"""Together AI end to end: real API, RQ worker and scheduler processes, the real `together` SDK
over HTTP to the emulator's Together world (`/together/v1`), and fault drills with no duplicate
remote job or file although Together keeps no job metadata (our tag rides in the suffix).

The ordinary tests share one stack (the emulator, API, worker and scheduler start once for the
module); the drills start their own, since they kill its processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis

from service.cli.keys import create_key
from tests.e2e.client import TERMINAL, ApiClient
from tests.e2e.conftest import stack_env
from tests.e2e.test_pipelines import start, wait_for
from tests.support.chaos import drill, duplicates, submit_jobs, wait_all_terminal
from tests.support.processes import Stack, wait_until
from tests.support.services import Backing, truncate_all

pytestmark = pytest.mark.e2e
MODEL = "Qwen/Qwen3-8B"  # the emulator's: LoRA DPO batches of 8..32, full of 8..24


@pytest.fixture(scope="module")
def shared(backing: Backing, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiClient]:
    asyncio.run(truncate_all(backing.database_url))
    Redis.from_url(backing.redis_url).flushdb()
    root: Path = tmp_path_factory.mktemp("together")
    (root / "logs").mkdir()
    running = Stack(env=stack_env(backing, root), logs=root / "logs")
    try:
        running.start_emulator()
        running.start_api()
        running.start_workers()
        key = asyncio.run(create_key(backing.database_url, "together-team", False, None))[1]
        api = ApiClient(running, key)
        wait_until(lambda: _listed(api), timeout=30, what="Together's model list to be read")
        yield api
    finally:
        running.stop_all()


def _listed(api: ApiClient) -> bool:
    providers = api.http.get("/v1/providers").json()["data"]
    together = next(p for p in providers if p["name"] == "together")
    return bool(together["models_source"] == "provider")


def together_job(api: ApiClient, **fields: Any) -> dict[str, Any]:
    return api.create_job(provider="together", model=fields.pop("model", MODEL), **fields)


def remote_jobs(api: ApiClient) -> list[dict[str, Any]]:
    return list(api.emulator_state()["together"]["job_list"])


def test_the_provider_list_shows_togethers_own_models_and_limits(shared: ApiClient) -> None:
    together = next(
        p for p in shared.http.get("/v1/providers").json()["data"] if p["name"] == "together"
    )
    assert together["configured"] and together["models_source"] == "provider"
    assert (
        MODEL in together["models"]["dpo"] and "google/gemma-3-4b-it" in together["models"]["sft"]
    )
    limits = together["model_limits"][MODEL]
    assert (limits["lora"]["max_batch_size_dpo"], limits["max_seq_length_dpo"]) == (32, 16384)
    assert together["model_limits"]["openai/gpt-oss-20b"]["full"] is None  # LoRA only
    assert together["capabilities"]["pause_resume"] is False
    assert "learning_rate_multiplier" in together["refused_hyperparameters"]


def test_a_lora_dpo_job_succeeds_with_events_checkpoints_metrics_and_its_price(
    shared: ApiClient,
) -> None:
    hyperparameters = {
        "beta": 0.2,
        "training_type": "lora",
        "lora_r": 16,
        "batch_size": 8,
        "learning_rate": 2e-5,
        "n_checkpoints": 2,
        "rpo_alpha": 0.5,
    }
    job = together_job(shared, hyperparameters=hyperparameters, suffix="helpful", seed=7)
    done = shared.wait_for(job["id"], TERMINAL, timeout=90)
    assert done["status"] == "succeeded", done
    assert (done["provider"], done["provider_status"]) == ("together", "completed")
    assert done["provider_job_id"].startswith("ft-") and done["openai_job_id"] is None
    assert "-helpful-ftj-" in done["fine_tuned_model"]
    estimate = done["price_estimate"]
    assert estimate["currency"] == "USD" and estimate["total"] > 0 and estimate["train_tokens"] > 0
    assert estimate["allowed_to_proceed"] is True
    assert done["progress"]["step"] == done["progress"]["total_steps"] > 0
    events = shared.events(job["id"])
    ours = [e["type"] for e in events if e["source"] == "ftjobs"]
    assert ours[0] == "job.pending" and ours[-1] == "job.succeeded"
    mirrored = [e for e in events if e["source"] == "together"]
    assert mirrored[-1]["type"] == "together.job_complete"
    assert len({e["id"] for e in mirrored}) == len(mirrored)  # each event once
    checkpoints = shared.http.get(f"/v1/jobs/{job['id']}/checkpoints").json()["data"]
    assert checkpoints and all(
        c["fine_tuned_model_checkpoint"].startswith("ft-") for c in checkpoints
    )
    metrics = shared.http.get(f"/v1/jobs/{job['id']}/metrics").json()["data"]
    assert metrics and "train_loss" in metrics[0]["values"]
    [remote] = [r for r in remote_jobs(shared) if r["id"] == done["provider_job_id"]]
    assert remote["random_seed"] == 7 and remote["suffix"].startswith("helpful-ftj-")


def test_a_full_fine_tune_succeeds(shared: ApiClient) -> None:
    job = together_job(shared, hyperparameters={"training_type": "full", "n_epochs": 2})
    done = shared.wait_for(job["id"], TERMINAL, timeout=90)
    assert done["status"] == "succeeded", done
    [remote] = [
        r
        for r in shared.emulator_state()["together"]["job_list"]
        if r["id"] == done["provider_job_id"]
    ]
    assert remote["status"] == "completed"


def test_a_cancel_passes_through_cancelling(shared: ApiClient) -> None:
    job = together_job(shared)
    shared.wait_for(job["id"], {"queued", "running"}, timeout=60)
    answer = shared.http.post(f"/v1/jobs/{job['id']}/cancel")
    assert answer.status_code == 202 and answer.json()["status"] == "cancelling"
    done = shared.wait_for(job["id"], TERMINAL, timeout=60)
    assert (done["status"], done["provider_status"]) == ("cancelled", "cancelled")
    ours = [e["type"] for e in shared.events(job["id"]) if e["source"] == "ftjobs"]
    assert ours.index("job.cancelling") < ours.index("job.cancelled")


def test_an_unknown_status_is_kept_raw_and_the_job_goes_on(shared: ApiClient) -> None:
    job = together_job(shared)
    running = shared.wait_for(job["id"], {"running"}, timeout=60)
    remote_id = running["provider_job_id"]
    control = f"{shared.stack.emulator_url}/_emulator/together/jobs/{remote_id}/status"
    httpx.post(control, json={"status": "paused_for_maintenance"}).raise_for_status()
    try:
        frozen = wait_until(
            lambda: (
                (found := shared.job(job["id"]))["provider_status"] == "paused_for_maintenance"
                and found
            ),
            timeout=30,
            what="the unknown status to be mirrored",
        )
        assert frozen["status"] == "running"  # not an end, not a move
    finally:
        httpx.post(control, json={"status": None}).raise_for_status()
    done = shared.wait_for(job["id"], TERMINAL, timeout=90)
    assert (done["status"], done["provider_status"]) == ("succeeded", "completed")


def test_pause_is_refused_for_together(shared: ApiClient) -> None:
    job = together_job(shared)
    answer = shared.http.post(f"/v1/jobs/{job['id']}/pause")
    assert answer.status_code == 409
    assert "cannot pause" in answer.json()["detail"]


def test_an_sft_then_dpo_pipeline_runs_on_together(shared: ApiClient) -> None:
    started = start(shared, provider="together", model=MODEL, sft={"fraction": 0.5})
    done = wait_for(shared, started["id"], {"succeeded", "failed", "cancelled"}, timeout=120)
    assert done["status"] == "succeeded", done
    sft, dpo = shared.job(done["sft_job_id"]), shared.job(done["dpo_job_id"])
    assert (sft["provider"], dpo["provider"]) == ("together", "together")
    assert dpo["model"] == sft["fine_tuned_model"]  # DPO continues from the SFT model
    [remote] = [r for r in remote_jobs(shared) if r["id"] == dpo["provider_job_id"]]
    assert remote["model"] == MODEL  # trained from the SFT job's checkpoint on the same base
    assert done["fine_tuned_model"] == dpo["fine_tuned_model"]


@pytest.mark.parametrize(
    ("fields", "path", "words"),
    [
        (
            {"hyperparameters": {"learning_rate_multiplier": 2}},
            "/hyperparameters/learning_rate_multiplier",
            "no learning-rate multiplier",
        ),
        (
            {"hyperparameters": {"batch_size": 64}},
            "/hyperparameters/batch_size",
            f"{MODEL} takes at most 32 examples per DPO batch with LoRA, got 64",
        ),
        (
            {"hyperparameters": {"training_type": "full"}, "model": "openai/gpt-oss-20b"},
            "/hyperparameters/training_type",
            "LoRA training only",
        ),
        ({"model": "gpt-4.1-mini-2025-04-14"}, "/model", "does not fine-tune"),
        ({"hyperparameters": {"n_evals": 2}}, "/hyperparameters/n_evals", "validation dataset"),
        ({"suffix": "x" * 26}, "/suffix", "1..25 characters"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    shared: ApiClient, fields: dict[str, Any], path: str, words: str
) -> None:
    body = {"provider": "together", "model": MODEL, "training_dataset_id": shared.upload()}
    answer = shared.http.post("/v1/jobs", json=body | fields)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["path"] == path and words in error["message"], error


def test_a_price_over_the_accounts_limit_fails_the_job_before_anything_is_created(
    shared: ApiClient,
) -> None:
    before = len(remote_jobs(shared))
    httpx.post(f"{shared.stack.emulator_url}/_emulator/together/limit", json={"user_limit": 0})
    try:
        job = together_job(shared)
        done = shared.wait_for(job["id"], TERMINAL, timeout=60)
    finally:
        httpx.post(
            f"{shared.stack.emulator_url}/_emulator/together/limit", json={"user_limit": 1e9}
        )
    assert done["status"] == "failed" and done["error"]["code"] == "price_not_allowed", done
    assert "over the account's limit of 0 USD" in done["error"]["message"]
    assert done["price_estimate"]["allowed_to_proceed"] is False
    assert len(remote_jobs(shared)) == before  # nothing was created at Together


# --- drills: their own processes -----------------------------------------------------------


def test_a_worker_killed_after_the_create_finds_its_job_instead_of_creating_another() -> None:
    """The create reaches Together but its answer never reaches the worker (the connection
    drops after the job was made), and the worker is SIGKILLed before it could record the id:
    the next worker finds the job by our tag and creates none."""
    with drill() as d:
        # Every request is slow until the price estimate (the last call before the create) is
        # on its way; from then on every connection drops, after the create has taken effect.
        d.emulator("faults", fault_rate=1.0, faults=["slow"], slow_seconds=1.0)
        [job_id] = submit_jobs(d, 1, model=MODEL, provider="together")
        wait_until(
            lambda: any("estimate-price" in k for k in d.emulator("state")["requests"]),
            timeout=60,
            what="the price estimate (the create comes next)",
        )
        d.emulator("faults", fault_rate=1.0, faults=["drop"])
        wait_until(
            lambda: d.emulator("state")["together"]["jobs"] == 1,
            timeout=60,
            what="the create to reach Together",
        )
        d.stack.kill_tree("worker0")  # the work-horse mid-step too
        with d.api as client:
            assert client.get(f"/v1/jobs/{job_id}").json()["provider_job_id"] is None
        d.emulator("faults", fault_rate=0.0)
        d.stack.start_worker(0)
        final = wait_all_terminal(d, [job_id], timeout=90)
        assert final == {job_id: "succeeded"}
        assert duplicates(d, "together") == (0, 0)
        assert d.emulator("state")["together"]["jobs"] == 1


def test_the_fault_drill_on_together_leaves_no_duplicate() -> None:
    """Workers SIGKILLed, Redis wiped, 20 % of Together requests failing (slow ones past the
    client timeout, dropped connections after the create among them): every job succeeds, with
    one Together job per job of ours and one file per dataset."""
    with drill(workers=2, FTJOBS_TOGETHER_TIMEOUT_SECONDS="3") as d:
        d.emulator(
            "faults", fault_rate=0.2, faults=["429", "500", "503", "slow", "drop"], slow_seconds=4
        )
        jobs = submit_jobs(d, 5, model=MODEL, provider="together") + submit_jobs(
            d, 2, shared_dataset=True, model=MODEL, provider="together"
        )
        time.sleep(1.5)
        d.restart_worker("worker0")
        d.wipe_redis()
        time.sleep(1.5)
        d.restart_worker("worker1")
        final = wait_all_terminal(d, jobs, timeout=180)
        assert set(final.values()) == {"succeeded"}, final
        assert duplicates(d, "together") == (0, 0)
        assert d.emulator("state")["together"]["jobs"] == len(jobs)
        assert sum(d.emulator("state")["faults_injected"].values()) > 0
