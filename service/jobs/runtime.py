"""What a worker step needs: the database, the provider, the blob store, the clock rules and the
job hooks. Built per RQ job by the worker edge; the domain code only receives it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.blobstore import BlobStore
from service.jobs.hooks import JobHooks
from service.jobs.timing import Timing
from service.providers.base import FineTuningProvider


@dataclass
class Runtime:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    provider: FineTuningProvider
    blobs: BlobStore
    timing: Timing
    hooks: JobHooks  # required: without them a pipeline's job would end and its pipeline not


class LockBusyError(Exception):
    """Another worker holds a lock this step needs; try again shortly."""
