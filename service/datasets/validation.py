"""What validating datasets costs a server process, bounded whatever the number of uploads.

One `SharedPool` of validator processes serves every validation of the process (their memory is
the pool's, not a pool's per upload). In front of it, a gate: at most `concurrency` uploads
validate at once (each also holds its file-level tables in this process), at most `queue` more
are in flight (receiving their body, or waiting for their turn), and past that an upload is
refused at once with 503 and Retry-After, before its body is read.

The gate counts in the event loop's thread only (no lock needed); validation itself runs in a
thread, so the loop stays free while the pool works.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, cast

from service.config import Settings
from service.datasets.validator import (
    DatasetKind,
    IngestResult,
    PoolUnavailable,
    SharedPool,
    SourceFormat,
    ingest_file,
)
from service.errors import ServiceError

# A 100 MB upload validates in a few seconds: a client told to come back after this has a fair
# chance of finding room.
RETRY_AFTER_SECONDS = 5


def default_workers() -> int:
    """Every CPU this process may run on (a container's CPU set, not the host's)."""
    return max(1, len(os.sched_getaffinity(0)))


def busy(detail: str) -> ServiceError:
    return ServiceError(
        f"{detail}; retry in {RETRY_AFTER_SECONDS} s",
        status=503,
        title="Service unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class UploadGate:
    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency = max(1, concurrency)
        self.queue = max(0, queue)
        self.in_flight = 0  # admitted uploads: receiving, waiting or validating
        self._turns = asyncio.Semaphore(self.concurrency)

    @asynccontextmanager
    async def admitted(self) -> AsyncIterator[None]:
        """One upload in flight, from before its body is read until its answer; refused with
        503 when `concurrency + queue` are in flight already."""
        if self.in_flight >= self.concurrency + self.queue:
            raise busy(
                f"{self.in_flight} uploads are being received or validated, as many as this "
                "server takes at once"
            )
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """One of the `concurrency` validations at a time; the others wait here."""
        async with self._turns:
            yield


class Validation:
    """The process's validation: its shared pool and the gate in front of it."""

    def __init__(self, *, workers: int, concurrency: int, queue: int) -> None:
        self.pool = SharedPool(workers)
        self.gate = UploadGate(concurrency, queue)

    @classmethod
    def from_settings(cls, settings: Settings) -> Validation:
        workers = settings.validation_workers or default_workers()
        return cls(
            workers=workers,
            concurrency=settings.validation_concurrency or workers,
            queue=settings.validation_queue,
        )

    def admitted(self) -> AbstractAsyncContextManager[None]:
        return self.gate.admitted()

    async def ingest(
        self,
        spool: Path,
        sink: Any,
        *,
        kind: str,
        fmt: str,
        count_tokens: bool,
    ) -> IngestResult:
        async with self.gate.turn():
            try:
                # CPU work in the pool's processes; this thread reads, folds and stores.
                return await asyncio.to_thread(
                    ingest_file,
                    spool,
                    sink,
                    kind=cast(DatasetKind, kind),
                    fmt=cast(SourceFormat, fmt),
                    count_tokens=count_tokens,
                    shared=self.pool,
                )
            except PoolUnavailable as error:
                raise busy(f"{error}; the workers have been restarted") from error

    async def warm(self) -> None:
        await asyncio.to_thread(self.pool.warm)

    async def close(self) -> None:
        """Stop the pool's processes (at shutdown; uploads still in flight then get 503)."""
        await asyncio.to_thread(self.pool.close)
