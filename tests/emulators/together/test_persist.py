"""With a state directory (as `ftjobs dev` runs it) the Together account survives a restart:
files with their bytes, jobs with their events and schedule, which go on progressing."""

from __future__ import annotations

import stat
from pathlib import Path

from service.emulators.config import EmulatorConfig
from tests.emulators.helpers import ManualClock, serve
from tests.emulators.together.helpers import (
    PHASE,
    dpo_job,
    dpo_row,
    jsonl,
    together_client,
    upload,
)

ROWS = [dpo_row(index) for index in range(8)]


def test_files_and_jobs_survive_a_restart_and_jobs_go_on(tmp_path: Path) -> None:
    clock = ManualClock()
    state_dir = tmp_path / "state"
    config = EmulatorConfig(phase_seconds=PHASE, seed=3, state_dir=str(state_dir))
    with serve(config, clock) as first, together_client(first) as sdk:
        training = upload(sdk, tmp_path, ROWS)
        job = dpo_job(sdk, training)
        clock.advance(PHASE + 1)
        assert sdk.fine_tuning.retrieve(job.id).status == "queued"
        events_before = [
            (e.model_extra or {})["hash"] for e in sdk.fine_tuning.list_events(job.id).data
        ]

    assert stat.S_IMODE((state_dir / "together.pickle").stat().st_mode) == 0o600
    with serve(config, clock) as second, together_client(second) as sdk:
        assert [f.id for f in sdk.files.list().data] == [training]
        assert sdk.files.content(training).read() == jsonl(ROWS)
        assert sdk.fine_tuning.retrieve(job.id).status == "queued"
        assert [
            (e.model_extra or {})["hash"] for e in sdk.fine_tuning.list_events(job.id).data
        ] == events_before
        clock.advance(PHASE + 1)  # the schedule came back too
        assert sdk.fine_tuning.retrieve(job.id).status == "running"
        again = upload(sdk, tmp_path, ROWS, "same.jsonl")
        assert again == training  # the checksum is remembered: a 409, the same file
        other = upload(sdk, tmp_path, ROWS[:2], "other.jsonl")

    with serve(config, clock) as third, together_client(third) as sdk:
        assert {f.id for f in sdk.files.list().data} == {training, other}
        clock.advance(4 * PHASE)
        assert sdk.fine_tuning.retrieve(job.id).status == "completed"


def test_an_unreadable_snapshot_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "together.pickle").write_bytes(b"not a pickle")
    with serve(EmulatorConfig(state_dir=str(tmp_path))) as running, together_client(running) as sdk:
        assert sdk.files.list().data == []
    assert (tmp_path / "together.unreadable").read_bytes() == b"not a pickle"
