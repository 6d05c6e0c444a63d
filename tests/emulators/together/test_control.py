"""Together's controls under `/_emulator/together/...` and its part of `/_emulator/state`: a raw
status the emulator does not know (the job stands still until it is undone), an `error` ending,
the credit limit, and what `reset` forgets."""

from __future__ import annotations

from pathlib import Path

import pytest
from together import Together

from tests.emulators.helpers import RunningEmulator
from tests.emulators.together.helpers import (
    PHASE,
    Manual,
    control,
    dpo_job,
    dpo_row,
    together_state,
    upload,
    wait_until,
)

ROWS = [dpo_row(index) for index in range(8)]


def test_an_unknown_raw_status_stands_still_until_undone(manual: Manual, tmp_path: Path) -> None:
    job = dpo_job(manual.sdk, upload(manual.sdk, tmp_path, ROWS))
    wait_until(manual, job.id, "running", step=PHASE / 2)

    frozen = control(manual.emulator, f"jobs/{job.id}/status", {"status": "paused_for_maintenance"})
    manual.after(10 * PHASE)
    still = manual.status(job.id)
    listed = [j.status for j in manual.sdk.fine_tuning.list().data]
    undone = control(manual.emulator, f"jobs/{job.id}/status", {"status": None})

    assert frozen.status_code == 200
    assert frozen.json()["status"] == "paused_for_maintenance"
    assert still == "paused_for_maintenance"
    assert listed == ["paused_for_maintenance"]
    assert undone.json()["status"] == "running"
    wait_until(manual, job.id, "completed")


def test_a_frozen_job_can_still_be_cancelled(manual: Manual, tmp_path: Path) -> None:
    job = dpo_job(manual.sdk, upload(manual.sdk, tmp_path, ROWS))
    control(manual.emulator, f"jobs/{job.id}/status", {"status": "paused_for_maintenance"})
    assert manual.sdk.fine_tuning.cancel(job.id).status == "cancel_requested"
    manual.after(PHASE)
    assert manual.status(job.id) == "cancelled"


def test_fail_ends_a_job_error(manual: Manual, tmp_path: Path) -> None:
    job = dpo_job(manual.sdk, upload(manual.sdk, tmp_path, ROWS))
    failed = control(manual.emulator, f"jobs/{job.id}/fail", {"message": "GPU node lost"})
    again = control(manual.emulator, f"jobs/{job.id}/fail", {})
    manual.after(5 * PHASE)

    assert failed.json()["status"] == "error"
    assert manual.status(job.id) == "error"
    last = manual.sdk.fine_tuning.list_events(job.id).data[-1]
    assert (last.type, last.level, last.message) == ("job_error", "error", "GPU node lost")
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("limit", {"user_limit": -1}),
        ("limit", {"user_limit": "lots"}),
        ("jobs/ft-x/status", {"status": "x"}),
    ],
)
def test_bad_control_requests(
    emulator: RunningEmulator, path: str, body: dict[str, object]
) -> None:
    response = control(emulator, path, body)
    assert response.status_code in (400, 404)
    assert "error" in response.json()


def test_undoing_a_status_that_was_never_set(manual: Manual, tmp_path: Path) -> None:
    job = dpo_job(manual.sdk, upload(manual.sdk, tmp_path, ROWS))
    response = control(manual.emulator, f"jobs/{job.id}/status", {"status": None})
    assert response.status_code == 400


def test_state_and_reset(sdk: Together, emulator: RunningEmulator, tmp_path: Path) -> None:
    training = upload(sdk, tmp_path, ROWS)
    job = dpo_job(sdk, training, suffix="s", random_seed=3)
    control(emulator, "limit", {"user_limit": 12.5})

    state = together_state(emulator)
    assert (state["files"], state["files_uploaded"], state["jobs"], state["user_limit"]) == (
        1,
        1,
        1,
        12.5,
    )
    [listed] = state["job_list"]
    assert (listed["id"], listed["training_file"], listed["random_seed"], listed["suffix"]) == (
        job.id,
        training,
        3,
        "s",
    )
    emulator.reset()
    after = together_state(emulator)
    assert (after["files"], after["jobs"], after["user_limit"]) == (0, 0, 500.0)
