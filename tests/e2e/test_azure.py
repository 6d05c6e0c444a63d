"""Azure OpenAI end to end: real API, RQ worker and scheduler processes, the real openai SDK over
HTTP to the emulator's Azure world (`/openai/v1/`, `api-key` header), and a fault drill with no
duplicate remote job or file although Azure keeps no job metadata."""

from __future__ import annotations

import time

import pytest

from tests.e2e.client import TERMINAL, ApiClient
from tests.e2e.test_pipelines import start, wait_for
from tests.support.chaos import drill, duplicates, submit_jobs, wait_all_terminal
from tests.support.processes import Stack

pytestmark = pytest.mark.e2e
MODEL = "gpt-4.1-mini-2025-04-14"


def test_a_dpo_job_on_azure_succeeds_with_events_checkpoints_and_metrics(
    stack: Stack, api_key: str
) -> None:
    api = ApiClient(stack, api_key)
    job = api.create_job(
        provider="azure", hyperparameters={"beta": 0.1, "training_type": "developer"}
    )
    done = api.wait_for(job["id"], TERMINAL)
    assert done["status"] == "succeeded", done
    assert (done["provider"], done["provider_status"]) == ("azure", "succeeded")
    assert done["fine_tuned_model"].startswith(f"{MODEL}.ft-")  # Azure's naming
    assert done["provider_job_id"].startswith("ftjob-") and done["openai_job_id"] is None
    events = api.events(job["id"])
    ours = [e["type"] for e in events if e["source"] == "ftjobs"]
    assert ours[0] == "job.pending" and ours[-1] == "job.succeeded"
    mirrored = [e for e in events if e["source"] == "azure"]
    assert any(e["type"] == "azure.metrics" and "train_loss" in e["data"] for e in mirrored)
    checkpoints = api.http.get(f"/v1/jobs/{job['id']}/checkpoints").json()["data"]
    assert checkpoints and all(c["fine_tuned_model_checkpoint"] for c in checkpoints)
    metrics = api.http.get(f"/v1/jobs/{job['id']}/metrics").json()["data"]
    assert metrics and "train_loss" in metrics[0]["values"]
    azure = api.emulator_state()["azure"]
    [remote] = azure["job_list"]
    assert remote["trainingType"] == "developer"
    assert (azure["jobs"], api.emulator_state()["jobs"]) == (1, 0)  # nothing went to OpenAI


def test_one_dataset_on_both_providers_is_uploaded_once_to_each(stack: Stack, api_key: str) -> None:
    api = ApiClient(stack, api_key)
    dataset = api.upload()
    jobs = [
        api.create_job(training_dataset_id=dataset, provider=provider)
        for provider in ("azure", "openai", "azure", "openai")
    ]
    finished = [api.wait_for(job["id"], TERMINAL) for job in jobs]
    assert [job["status"] for job in finished] == ["succeeded"] * 4
    state = api.emulator_state()
    assert (state["files_by_purpose"].get("fine-tune"), state["jobs"]) == (1, 2)
    assert (state["azure"]["files_by_purpose"].get("fine-tune"), state["azure"]["jobs"]) == (1, 2)
    files = api.http.get(f"/v1/datasets/{dataset}").json()["provider_files"]
    assert sorted(files) == ["azure", "openai"]
    assert files["azure"] == finished[0]["provider_file_id"] == finished[2]["provider_file_id"]


def test_an_sft_then_dpo_pipeline_runs_on_azure(stack: Stack, api_key: str) -> None:
    api = ApiClient(stack, api_key)
    started = start(api, provider="azure", sft={"fraction": 0.5})
    done = wait_for(api, started["id"], {"succeeded", "failed", "cancelled"}, timeout=90)
    assert done["status"] == "succeeded", done
    sft = api.job(done["sft_job_id"])
    dpo = api.job(done["dpo_job_id"])
    assert (sft["provider"], dpo["provider"]) == ("azure", "azure")
    assert dpo["model"] == sft["fine_tuned_model"]  # DPO continues from the SFT model
    assert done["fine_tuned_model"] == dpo["fine_tuned_model"]
    assert ".ft-" in done["fine_tuned_model"]


def test_the_fault_drill_on_azure_leaves_no_duplicate() -> None:
    """Workers SIGKILLed, Redis wiped, 20 % of Azure requests failing (slow ones past the
    client timeout among them): every job succeeds, with one Azure job per job of ours and one
    file per dataset, found again by training file, model and seed (no metadata there)."""
    with drill(workers=2) as d:
        d.emulator(
            "faults", fault_rate=0.2, faults=["429", "500", "503", "slow", "drop"], slow_seconds=4
        )
        jobs = submit_jobs(d, 5, model=MODEL, provider="azure") + submit_jobs(
            d, 2, shared_dataset=True, model=MODEL, provider="azure"
        )
        time.sleep(1.5)
        d.restart_worker("worker0")
        d.wipe_redis()
        time.sleep(1.5)
        d.restart_worker("worker1")
        final = wait_all_terminal(d, jobs, timeout=150)
        assert set(final.values()) == {"succeeded"}, final
        assert duplicates(d, "azure") == (0, 0)
        azure = d.emulator("state")["azure"]
        assert azure["jobs"] == len(jobs)
        assert sum(d.emulator("state")["faults_injected"].values()) > 0
