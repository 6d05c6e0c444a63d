"""Database rows the tests and benchmarks insert directly, bypassing the API."""

from __future__ import annotations

import hashlib

from service.db.models import Dataset
from service.ids import new_id


def ready_dataset(
    *, team: str = "t", blob_key: str = "k", size: int = 1, examples: int = 1
) -> Dataset:
    """A validated DPO dataset as the upload path leaves it (the blob is the caller's)."""
    dataset_id = new_id("ds")
    return Dataset(
        id=dataset_id,
        team=team,
        name="d",
        kind="dpo",
        source_format="openai",
        status="ready",
        bytes=size,
        sha256=hashlib.sha256(dataset_id.encode()).hexdigest(),
        examples=examples,
        blob_key=blob_key,
        report={},
    )
