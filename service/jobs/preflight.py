"""Checks on a job's datasets before anything is sent to the provider (the submit step)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.blobstore import BlobStore
from service.datasets import repository as datasets_repo
from service.datasets.validator import Overlap, find_overlap
from service.db.models import Job
from service.jobs import repository
from service.jobs.events import OVERLAP_EVENT, overlap_event

log = logging.getLogger(__name__)


async def check_overlap(
    sessions: async_sessionmaker[AsyncSession], blobs: BlobStore, job: Job, validation_id: str
) -> None:
    """Once per job, before anything is sent: a warning event when validation prompts are
    also in the training data (the job still runs; see `datasets.validator.dataset.overlap`)."""
    async with sessions() as session:
        if await repository.has_event(session, job.id, OVERLAP_EVENT):
            return
        training = await datasets_repo.get(session, job.training_dataset_id)
        validation = await datasets_repo.get(session, validation_id)
    if training is None or validation is None:
        return  # the upload step fails the job with the reason
    try:
        overlap = await asyncio.to_thread(
            _compare, blobs, training.blob_key, validation.blob_key, training.kind
        )
    except OSError as error:  # advisory: the upload step reports a missing file as it should
        log.warning("job %s: the overlap check could not read a dataset: %s", job.id, error)
        return
    async with sessions.begin() as session:
        await repository.add_events(session, job.id, [overlap_event(overlap)])
    log.info("job %s: %s", job.id, overlap.message())


def _compare(blobs: BlobStore, training_key: str, validation_key: str, kind: str) -> Overlap:
    with blobs.open(training_key) as training, blobs.open(validation_key) as validation:
        return find_overlap(training, validation, "sft" if kind == "sft" else "dpo")
