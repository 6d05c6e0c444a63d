"""SFT, then DPO on the SFT model, through the real processes: API, an RQ worker, the scheduler
and the emulator (which accepts `ft:` models it produced as base models)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.e2e.client import ApiClient
from tests.support.data import dpo_rows, jsonl
from tests.support.processes import Stack, wait_until

pytestmark = pytest.mark.e2e

FINISHED = {"succeeded", "failed", "cancelled"}


def start(api: ApiClient, **fields: Any) -> dict[str, Any]:
    body = {"model": "gpt-4.1-mini-2025-04-14", "dataset_id": api.upload(jsonl(dpo_rows(24)))}
    response = api.http.post("/v1/pipelines", json=body | fields)
    assert response.status_code == 202, response.text
    return dict(response.json())


def pipeline(api: ApiClient, pipeline_id: str) -> dict[str, Any]:
    return dict(api.http.get(f"/v1/pipelines/{pipeline_id}").json())


def wait_for(
    api: ApiClient, pipeline_id: str, statuses: set[str], timeout: float = 45
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        found = pipeline(api, pipeline_id)
        return found if found["status"] in statuses else None

    try:
        done: dict[str, Any] = wait_until(
            reached, timeout=timeout, what=f"{pipeline_id} to reach {statuses}"
        )
    except AssertionError as error:
        raise AssertionError(f"{error}\n{api.stack.log_tail()}") from None
    return done


def jobs_of(api: ApiClient, pipeline_id: str) -> list[dict[str, Any]]:
    page = api.http.get("/v1/jobs", params={"limit": 100}).json()["data"]
    return sorted((j for j in page if j["pipeline_id"] == pipeline_id), key=lambda j: j["id"])


def faults(stack: Stack, **settings: Any) -> None:
    httpx.post(f"{stack.emulator_url}/_emulator/faults", json=settings).raise_for_status()


def running_at_openai(api: ApiClient) -> None:
    """Straight from the emulator: our row learns it one poll later."""
    wait_until(
        lambda: api.emulator_state()["jobs_by_status"] == {"running": 1},
        timeout=30,
        what="the SFT run to start at the emulator",
    )


def test_a_pipeline_trains_dpo_on_the_sft_model(stack: Stack, api_key: str) -> None:
    api = ApiClient(stack, api_key)
    started = start(
        api,
        sft={"fraction": 0.5, "hyperparameters": {"n_epochs": 1}},
        dpo={"hyperparameters": {"beta": 0.2}},
        suffix="e2e",
        seed=3,
        metadata={"run": "p1"},
    )
    done = wait_for(api, started["id"], FINISHED)
    assert done["status"] == "succeeded", done
    sft, dpo = jobs_of(api, started["id"])
    assert (sft["id"], dpo["id"]) == (done["sft_job_id"], done["dpo_job_id"])
    assert (sft["method"], sft["status"], dpo["method"], dpo["status"]) == (
        "sft",
        "succeeded",
        "dpo",
        "succeeded",
    )
    assert dpo["model"] == sft["fine_tuned_model"] and sft["fine_tuned_model"].startswith("ft:")
    assert done["fine_tuned_model"] == dpo["fine_tuned_model"] != sft["fine_tuned_model"]
    assert (dpo["metadata"], dpo["suffix"], dpo["hyperparameters"]) == (
        {"run": "p1"},
        "e2e",
        {"beta": 0.2},
    )
    state = api.emulator_state()
    first, second = sorted(state["job_list"], key=lambda j: j["created_at"])
    assert (first["method"], second["method"]) == ("supervised", "dpo")
    assert second["model"] == first["fine_tuned_model"] == sft["fine_tuned_model"]
    assert state["jobs"] == 2 and state["files_by_purpose"].get("fine-tune") == 2
    sft_dataset = api.http.get(f"/v1/datasets/{done['sft_dataset_id']}").json()
    assert (sft_dataset["kind"], sft_dataset["examples"]) == ("sft", 12)


def test_sft_failing_fails_the_pipeline_and_starts_no_dpo(stack: Stack, api_key: str) -> None:
    api = ApiClient(stack, api_key)
    started = start(api, suffix="emu-fail")  # the emulator fails the run halfway
    done = wait_for(api, started["id"], FINISHED)
    assert (done["status"], done["failed_stage"], done["dpo_job_id"]) == ("failed", "sft", None)
    assert done["error"]["code"] == "server_error" and done["error"]["message"]
    time.sleep(1)  # a few scheduler ticks: nothing else starts
    assert [job["method"] for job in jobs_of(api, started["id"])] == ["sft"]
    assert api.emulator_state()["jobs_by_status"] == {"failed": 1}


def test_cancelling_during_sft_starts_no_dpo(stack: Stack, api_key: str) -> None:
    faults(stack, phase_seconds=4)  # SFT is still running when the cancel reaches OpenAI
    api = ApiClient(stack, api_key)
    started = start(api)
    running_at_openai(api)
    response = api.http.post(f"/v1/pipelines/{started['id']}/cancel")
    assert response.status_code == 202, response.text
    assert response.json()["cancel_requested_at"] is not None
    done = wait_for(api, started["id"], FINISHED)
    assert (done["status"], done["dpo_job_id"], done["fine_tuned_model"]) == (
        "cancelled",
        None,
        None,
    )
    time.sleep(1)
    assert [job["status"] for job in jobs_of(api, started["id"])] == ["cancelled"]
    assert api.emulator_state()["jobs_by_status"] == {"cancelled": 1}
    assert api.http.post(f"/v1/pipelines/{started['id']}/cancel").status_code == 409


def test_killing_the_worker_between_the_stages_still_starts_one_dpo_job(
    stack: Stack, api_key: str
) -> None:
    faults(stack, phase_seconds=1.5)
    api = ApiClient(stack, api_key)
    started = start(api)
    running_at_openai(api)
    stack.kill_tree("worker0")  # SFT ends at OpenAI while no worker is alive
    wait_until(
        lambda: api.emulator_state()["jobs_by_status"] == {"succeeded": 1},
        timeout=30,
        what="the SFT run to end at the emulator",
    )
    assert pipeline(api, started["id"])["status"] == "running_sft"
    faults(stack, phase_seconds=0.6)
    stack.start_worker(0)
    wait_for(api, started["id"], {"running_dpo"} | FINISHED)
    stack.kill_tree("worker0")  # again, right after the DPO job was created
    stack.start_worker(0)
    done = wait_for(api, started["id"], FINISHED)
    assert done["status"] == "succeeded", done
    jobs = jobs_of(api, started["id"])
    assert [job["method"] for job in jobs] == ["sft", "dpo"]
    assert jobs[1]["model"] == jobs[0]["fine_tuned_model"]
    state = api.emulator_state()
    assert state["jobs"] == 2
    assert [j["method"] for j in state["job_list"]].count("dpo") == 1
