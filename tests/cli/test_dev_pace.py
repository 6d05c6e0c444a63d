"""`ftjobs dev`'s emulator keeps a job running long enough for a person to pause it, while
validation and the queue stay short; FTJOBS_EMULATOR_RUN_SECONDS overrides it."""

from __future__ import annotations

from service.cli import emulator_config
from service.cli.dev import emulator_env
from service.config import DEV_EMULATOR_RUN_SECONDS, Settings
from service.emulators.config import RuntimeSettings
from tests.emulators.helpers import ManualClock, serve
from tests.emulators.openai_compat.helpers import dpo_job, dpo_row, upload


def test_dev_gives_the_emulator_a_long_running_phase() -> None:
    env = emulator_env({"FTJOBS_DATA_DIR": "/tmp/x"})
    assert env["FTJOBS_EMULATOR_RUN_SECONDS"] == "45"
    assert DEV_EMULATOR_RUN_SECONDS >= 20
    assert "FTJOBS_EMULATOR_PHASE_SECONDS" not in env  # the other phases keep the short default


def test_an_explicit_run_time_wins() -> None:
    assert emulator_env({"FTJOBS_EMULATOR_RUN_SECONDS": "0.5"})["FTJOBS_EMULATOR_RUN_SECONDS"] == (
        "0.5"
    )


def test_the_setting_reaches_the_emulator_run_time() -> None:
    config = emulator_config(Settings(emulator_phase_seconds=3.0, emulator_run_seconds=45.0))
    assert RuntimeSettings.from_config(config).run_seconds == 45.0
    assert RuntimeSettings.from_config(emulator_config(Settings())).run_seconds is None


def test_a_job_stays_running_long_enough_to_pause() -> None:
    clock = ManualClock()
    config = emulator_config(Settings(emulator_phase_seconds=3.0, emulator_run_seconds=45.0))
    with serve(config, clock) as emulator, emulator.client() as client:
        job = dpo_job(client, upload(client, [dpo_row(index) for index in range(12)]))
        clock.advance(3.0 * 2 + 0.5)  # validated and out of the queue: short
        assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
        clock.advance(30.0)  # half a minute later a person can still pause it
        assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
        assert client.fine_tuning.jobs.pause(job.id).model_dump()["status"] == "paused"
