"""What a worker step needs: the database, the providers, the blob store, the clock rules and
the job hooks. Built per RQ job by the worker edge; the domain code only receives it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from service.blobstore import BlobStore
from service.jobs.hooks import JobHooks
from service.jobs.timing import Timing
from service.providers.base import FineTuningProvider, ProviderError


@dataclass
class Runtime:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    providers: Mapping[str, FineTuningProvider]  # the configured ones, by name
    blobs: BlobStore
    timing: Timing
    hooks: JobHooks  # required: without them a pipeline's job would end and its pipeline not

    def provider(self, name: str) -> FineTuningProvider:
        """The job's provider. One this worker has no settings for (jobs are refused for an
        unconfigured provider, so its settings went missing since) is a transient error: the
        job waits, with backoff, for the operator to put them back, and is not lost."""
        found = self.providers.get(name)
        if found is None:
            raise ProviderError(
                f"provider {name!r} is not configured on this worker",
                code="provider_not_configured",
                retryable=True,
            )
        return found


class LockBusyError(Exception):
    """Another worker holds a lock this step needs; try again shortly."""
