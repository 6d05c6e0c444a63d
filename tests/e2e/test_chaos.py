"""Fault drills with real processes: a worker SIGKILLed mid-submit and mid-poll, Redis wiped,
PostgreSQL stopped and restarted, 20 % of OpenAI requests failing. Every job reaches its right
terminal state, and OpenAI holds exactly one file per dataset and one job per job."""

from __future__ import annotations

import time

import pytest

from tests.support.chaos import Drill, drill, duplicates, submit_jobs, wait_all_terminal

pytestmark = pytest.mark.e2e


def wait_for_status(d: Drill, job_id: str, wanted: set[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    with d.api as client:
        while time.monotonic() < deadline:
            if client.get(f"/v1/jobs/{job_id}").json()["status"] in wanted:
                return
            time.sleep(0.05)
    raise AssertionError(f"{job_id} never reached {wanted}\n{d.stack.log_tail()}")


def assert_clean_finish(d: Drill, job_ids: list[str], timeout: float = 90) -> None:
    final = wait_all_terminal(d, job_ids, timeout)
    assert set(final.values()) == {"succeeded"}, final
    assert duplicates(d) == (0, 0)
    state = d.emulator("state")
    assert state["jobs"] == len(job_ids)


def test_worker_killed_mid_submit_and_mid_poll() -> None:
    with drill() as d:
        # Every OpenAI request is slow, so the kill lands inside the submit step.
        d.emulator("faults", fault_rate=1.0, faults=["slow"], slow_seconds=0.7)
        [submitting] = submit_jobs(d, 1)
        wait_for_status(d, submitting, {"uploading"})
        time.sleep(1.0)
        d.restart_worker("worker0")
        # Phases long enough that the second kill lands while the job is being polled.
        d.emulator("faults", fault_rate=0.0, phase_seconds=2)
        wait_for_status(d, submitting, {"validating_files", "queued", "running"})
        d.restart_worker("worker0")  # and once more while it is being polled
        assert_clean_finish(d, [submitting])


def test_redis_wiped_with_jobs_in_flight() -> None:
    with drill() as d:
        jobs = submit_jobs(d, 4)
        wait_for_status(d, jobs[-1], {"uploading", "validating_files", "queued", "running"})
        d.wipe_redis()
        assert_clean_finish(d, jobs)


def test_postgres_stopped_and_restarted() -> None:
    with drill() as d:
        jobs = submit_jobs(d, 3)
        wait_for_status(d, jobs[0], {"validating_files", "queued", "running"})
        d.postgres.halt()
        try:
            # While it is down the API says so, as 503 with Retry-After, not 500.
            with d.api as api:
                for path in (f"/v1/jobs/{jobs[0]}", "/v1/jobs", "/v1/datasets"):
                    down = api.get(path)
                    assert down.status_code == 503, (path, down.text)
                    assert down.headers["content-type"].startswith("application/problem+json")
                    assert down.headers["retry-after"] == "2"
            time.sleep(3)
        finally:
            d.postgres.resume()
        assert_clean_finish(d, jobs)


def test_twenty_percent_of_openai_requests_fail() -> None:
    with drill(workers=2) as d:
        d.emulator(
            "faults", fault_rate=0.2, faults=["429", "500", "503", "slow", "drop"], slow_seconds=4
        )  # longer than the 3 s client timeout: a real timeout
        jobs = submit_jobs(d, 6) + submit_jobs(d, 2, shared_dataset=True)
        assert_clean_finish(d, jobs, timeout=150)
        injected = d.emulator("state")["faults_injected"]
        assert sum(injected.values()) > 0, injected
