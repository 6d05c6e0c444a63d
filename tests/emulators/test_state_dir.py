"""An emulator with a state directory (as `ftjobs dev` runs it) keeps every world across a
restart: files with their bytes, jobs with their events and schedule, which go on progressing.
Without one, a restart starts empty (the default, as every other test runs it)."""

from __future__ import annotations

import stat
from pathlib import Path

from service.emulators.config import EmulatorConfig
from tests.emulators.azure.helpers import azure_client
from tests.emulators.helpers import ManualClock, serve
from tests.emulators.openai_compat.helpers import dpo_job, dpo_row, jsonl, upload

PHASE = 10.0
ROWS = [dpo_row(index) for index in range(12)]


def test_files_and_jobs_survive_a_restart_and_jobs_go_on(tmp_path: Path) -> None:
    clock = ManualClock()
    config = EmulatorConfig(phase_seconds=PHASE, seed=3, state_dir=str(tmp_path))
    with serve(config, clock) as first, first.client() as client:
        training = upload(client, ROWS)
        job = dpo_job(client, training)
        clock.advance(PHASE + 1)  # validated: queued
        assert client.fine_tuning.jobs.retrieve(job.id).status == "queued"
        with azure_client(first) as azure:
            azure_file = azure.files.create(file=("a.jsonl", jsonl(ROWS)), purpose="fine-tune").id
        events_before = [e.id for e in client.fine_tuning.jobs.list_events(job.id).data]

    assert stat.S_IMODE((tmp_path / "openai.pickle").stat().st_mode) == 0o600
    with serve(config, clock) as second, second.client() as client:
        assert [f.id for f in client.files.list().data] == [training]
        assert client.files.content(training).content == jsonl(ROWS)
        assert client.fine_tuning.jobs.retrieve(job.id).status == "queued"
        events_after = [e.id for e in client.fine_tuning.jobs.list_events(job.id).data]
        assert events_after == events_before
        clock.advance(PHASE + 1)  # the schedule came back too
        assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
        clock.advance(PHASE + 1)
        assert client.fine_tuning.jobs.retrieve(job.id).status == "succeeded"
        with azure_client(second) as azure:
            assert azure.files.content(azure_file).content == jsonl(ROWS)
        fresh = upload(client, ROWS)
        assert fresh != training  # the id source went on, it did not start over

    with serve(config, clock) as third, third.client() as client:
        job_again = client.fine_tuning.jobs.retrieve(job.id)
        assert job_again.status == "succeeded"  # the changes after the restart were kept too
        assert {f.id for f in client.files.list().data} >= {training, fresh}


def test_without_a_state_dir_a_restart_starts_empty(tmp_path: Path) -> None:
    config = EmulatorConfig(phase_seconds=PHASE)
    with serve(config) as first, first.client() as client:
        upload(client, ROWS)
    with serve(config) as second, second.client() as client:
        assert client.files.list().data == []
    assert list(tmp_path.iterdir()) == []


def test_a_snapshot_that_does_not_load_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "openai.pickle").write_bytes(b"not a pickle")
    with serve(EmulatorConfig(state_dir=str(tmp_path))) as emulator, emulator.client() as client:
        assert client.files.list().data == []
    assert (tmp_path / "openai.unreadable").read_bytes() == b"not a pickle"
