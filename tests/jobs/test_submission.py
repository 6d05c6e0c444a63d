"""The submit step on the real database with a scripted provider: the checks made before anything
is sent, and each dataset uploaded once."""

from __future__ import annotations

from pathlib import Path

from service.jobs import lifecycle, repository, submission
from service.jobs.runtime import Runtime
from tests.jobs.fakes import FakeProvider
from tests.jobs.world import add_dataset, new_job, run
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
