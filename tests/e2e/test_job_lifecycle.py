"""One DPO job from an HTTP upload to a fine-tuned model name, through real PostgreSQL, Redis,
an RQ worker process and the real openai SDK talking to the emulator."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.client import TERMINAL, ApiClient
from tests.support.data import dpo_row, dpo_rows, jsonl
from tests.support.processes import Stack

pytestmark = pytest.mark.e2e


def test_a_dpo_job_succeeds_with_a_model_and_events(stack: Stack, api_key: str) -> None:
    api = ApiClient(stack, api_key)
    job = api.create_job(hyperparameters={"beta": 0.1}, suffix="e2e", metadata={"run": "1"})
    done = api.wait_for(job["id"], TERMINAL)
    assert done["status"] == "succeeded", done
    assert done["fine_tuned_model"].startswith("ft:gpt-4.1-mini-2025-04-14:")
    assert ":e2e:" in done["fine_tuned_model"]
    assert done["openai_job_id"].startswith("ftjob-")
    assert done["openai_file_id"].startswith("file-")
    assert done["trained_tokens"] and done["trained_tokens"] > 0
    assert done["finished_at"] is not None and done["error"] is None
    events = api.events(job["id"])
    ours = [e["type"] for e in events if e["source"] == "ftjobs"]
    assert ours[0] == "job.pending" and ours[-1] == "job.succeeded"
    assert "job.uploading" in ours
    mirrored = [e for e in events if e["source"] == "openai"]
    assert any(e["type"] == "openai.metrics" and "train_loss" in e["data"] for e in mirrored)
    assert [e["sequence"] for e in events] == sorted(e["sequence"] for e in events)
    state = api.emulator_state()
    assert state["files_by_purpose"].get("fine-tune") == 1
    assert state["jobs"] == 1


def test_two_jobs_on_one_dataset_share_one_openai_file(stack: Stack, api_key: str) -> None:
    api = ApiClient(stack, api_key)
    dataset = api.upload()
    jobs = [api.create_job(training_dataset_id=dataset) for _ in range(2)]
    finished = [api.wait_for(job["id"], TERMINAL) for job in jobs]
    assert [job["status"] for job in finished] == ["succeeded", "succeeded"]
    assert finished[0]["openai_file_id"] == finished[1]["openai_file_id"]
    state = api.emulator_state()
    assert (state["files_by_purpose"].get("fine-tune"), state["jobs"]) == (1, 2)


def test_a_job_with_a_validation_file_warns_of_shared_prompts(stack: Stack, api_key: str) -> None:
    api = ApiClient(stack, api_key)
    training = api.upload(jsonl(dpo_rows(12)))
    shared = [dpo_row(4), dpo_row(9, prompt="Question number 2?")]
    validation = api.upload(jsonl([*shared, *(dpo_row(i) for i in range(100, 108))]))
    job = api.create_job(training_dataset_id=training, validation_dataset_id=validation)
    done = api.wait_for(job["id"], TERMINAL)
    assert done["status"] == "succeeded", done
    [warning] = [e for e in api.events(job["id"]) if e["type"] == "dataset.validation_overlap"]
    assert warning["level"] == "warning"
    assert warning["data"] == {
        "validation_rows": 10,
        "shared_prompts": 2,
        "identical_rows": 1,
        "lines": [1, 2],
        "partial": False,
    }
    [remote] = api.emulator_state()["job_list"]
    uploaded = api.http.get(f"/v1/datasets/{validation}").json()["openai_file_id"]
    assert remote["validation_file"] == uploaded
    assert remote["training_file"] == done["openai_file_id"] != uploaded


def test_a_failing_job_reports_openais_error(stack: Stack, api_key: str) -> None:
    api = ApiClient(stack, api_key)
    job = api.create_job(suffix="emu-fail-e2e")
    done = api.wait_for(job["id"], TERMINAL)
    assert done["status"] == "failed"
    assert done["error"]["code"] and done["error"]["message"]
    assert done["error"]["retryable"] is False
    failed = [e for e in api.events(job["id"]) if e["type"] == "job.failed"]
    assert failed and failed[0]["level"] == "error"


def test_cancelling_a_running_job(stack: Stack, api_key: str) -> None:
    # Long enough phases that the job is still running when the cancel reaches OpenAI.
    httpx.post(f"{stack.emulator_url}/_emulator/faults", json={"phase_seconds": 5})
    api = ApiClient(stack, api_key)
    job = api.create_job()
    api.wait_for(job["id"], {"running"})
    response = api.http.post(f"/v1/jobs/{job['id']}/cancel")
    assert response.status_code == 202
    assert response.json()["status"] == "cancelling"
    done = api.wait_for(job["id"], TERMINAL)
    assert done["status"] == "cancelled"
    assert done["fine_tuned_model"] is None
    assert api.emulator_state()["jobs_by_status"] == {"cancelled": 1}
    assert any(e["type"] == "job.cancelled" for e in api.events(job["id"]))
    again = api.http.post(f"/v1/jobs/{job['id']}/cancel")
    assert again.status_code == 409


def test_pausing_and_resuming_a_running_job(stack: Stack, api_key: str) -> None:
    httpx.post(f"{stack.emulator_url}/_emulator/faults", json={"phase_seconds": 5})
    api = ApiClient(stack, api_key)
    job = api.create_job()
    api.wait_for(job["id"], {"running"})
    assert api.http.post(f"/v1/jobs/{job['id']}/pause").status_code == 202
    paused = api.wait_for(job["id"], {"paused"} | TERMINAL)
    assert (paused["status"], paused["requested_action"]) == ("paused", None)
    assert api.emulator_state()["jobs_by_status"] == {"paused": 1}
    assert api.http.post(f"/v1/jobs/{job['id']}/resume").status_code == 202
    httpx.post(f"{stack.emulator_url}/_emulator/faults", json={"phase_seconds": 0.5})
    done = api.wait_for(job["id"], TERMINAL)
    assert done["status"] == "succeeded"
    statuses = [e["data"]["status"] for e in api.events(job["id"]) if e["type"].startswith("job.")]
    assert statuses.index("paused") < statuses.index("succeeded")


def test_training_not_available_fails_at_once_with_openais_words(
    stack: Stack, api_key: str
) -> None:
    httpx.post(f"{stack.emulator_url}/_emulator/faults", json={"training_not_available": True})
    api = ApiClient(stack, api_key)
    job = api.create_job()
    done = api.wait_for(job["id"], TERMINAL, timeout=30)
    assert done["status"] == "failed"
    assert done["error"]["code"] == "training_not_available"
    assert "winding down the fine-tuning platform" in done["error"]["message"]
    assert done["error"]["retryable"] is False
    assert api.emulator_state()["jobs"] == 0
