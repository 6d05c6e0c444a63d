"""Creating a pipeline on the real database: what is written, and that a refusal writes
nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.datasets import repository as datasets_repo
from service.db.models import Dataset, Job
from service.db.pipeline_models import Pipeline
from service.errors import ServiceError
from tests.pipelines.world import TEAM, World, run
from tests.support.data import dpo_rows, jsonl
from tests.support.services import Backing


def test_one_transaction_writes_the_sft_dataset_job_and_pipeline(
    clean: Backing, tmp_path: Path
) -> None:
    async def scenario(w: World) -> None:
        pipeline = await w.pipeline(sft_fraction=0.5, seed=9)
        async with w.rt.sessions() as session:
            sft = await datasets_repo.get(session, pipeline.sft_dataset_id, team=TEAM)
        assert sft is not None and (sft.kind, sft.examples) == ("sft", 10)
        stored = w.rt.blobs.path(sft.blob_key).read_bytes().splitlines()
        assert [len(json.loads(line)["messages"]) for line in stored] == [2] * 10
        (job,) = await w.jobs_of(pipeline.id)
        assert (job.method, job.training_dataset_id, job.status) == ("sft", sft.id, "pending")
        assert (pipeline.status, pipeline.sft_job_id) == ("running_sft", job.id)
        assert await w.events("dataset.") == ["dataset.created", "dataset.created"]

    run(clean, tmp_path, scenario)


def test_an_sft_file_the_sft_rules_refuse_is_422_and_writes_nothing(
    clean: Backing, tmp_path: Path
) -> None:
    """A stored DPO dataset whose rows make invalid SFT rows (here: rewritten behind the
    validator's back) is refused with the SFT validator's report."""

    async def scenario(w: World) -> None:
        source = await w.dpo_dataset(12)
        rows = dpo_rows(12)
        for row in rows:
            row["preferred_output"][0]["content"] = "done <|endoftext|>"
        async with w.rt.sessions() as session:
            dataset = await datasets_repo.get(session, source)
        assert dataset is not None
        w.rt.blobs.path(dataset.blob_key).write_bytes(jsonl(rows))
        with pytest.raises(ServiceError) as refused:
            await w.pipeline(dataset_id=source)
        assert refused.value.status == 422
        assert refused.value.detail.startswith(f"the SFT dataset built from {source} is invalid")
        assert {error.code for error in refused.value.errors} == {"special_token"}
        assert [await w.count(table) for table in (Pipeline, Job, Dataset)] == [0, 0, 1]
        assert list((tmp_path / "tmp").iterdir()) == []  # no temporary file left behind

    run(clean, tmp_path, scenario)
