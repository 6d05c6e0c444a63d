"""The gate in front of the shared validator pool: uploads past `concurrency + queue` are
refused at once with 503 and Retry-After, at most `concurrency` validate at a time, and a pool
that cannot serve answers 503 too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from service.datasets.validation import RETRY_AFTER_SECONDS, UploadGate, Validation
from service.errors import ServiceError
from tests.datasets.helpers import good, jsonl


def test_uploads_past_the_queue_are_refused_with_retry_after() -> None:
    async def scenario() -> ServiceError:
        gate = UploadGate(concurrency=1, queue=2)
        async with gate.admitted(), gate.admitted(), gate.admitted():
            assert gate.in_flight == 3
            with pytest.raises(ServiceError) as refused:
                async with gate.admitted():
                    pass
        assert gate.in_flight == 0
        async with gate.admitted():  # room again
            pass
        return refused.value

    refused = asyncio.run(scenario())
    assert refused.status == 503
    assert refused.headers == {"Retry-After": str(RETRY_AFTER_SECONDS)}
    assert "3 uploads" in refused.detail


def test_at_most_concurrency_validations_at_once() -> None:
    async def scenario() -> int:
        gate = UploadGate(concurrency=2, queue=10)
        running = peak = 0

        async def validate() -> None:
            nonlocal running, peak
            async with gate.admitted(), gate.turn():
                running += 1
                peak = max(peak, running)
                await asyncio.sleep(0.01)
                running -= 1

        await asyncio.gather(*(validate() for _ in range(6)))
        return peak

    assert asyncio.run(scenario()) == 2


def test_a_closed_pool_answers_503_with_retry_after(tmp_path: Path) -> None:
    src = tmp_path / "rows.jsonl"
    src.write_bytes(jsonl(good(12)))

    async def scenario() -> ServiceError:
        validation = Validation(workers=1, concurrency=1, queue=0)
        await validation.close()
        with pytest.raises(ServiceError) as refused:
            await validation.ingest(src, None, kind="dpo", fmt="openai", count_tokens=False)
        return refused.value

    refused = asyncio.run(scenario())
    assert (refused.status, refused.headers) == (503, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def test_validation_runs_on_its_shared_pool(tmp_path: Path) -> None:
    src = tmp_path / "rows.jsonl"
    src.write_bytes(jsonl(good(12)))

    async def scenario() -> tuple[bool, int]:
        validation = Validation(workers=1, concurrency=1, queue=0)
        try:
            results = await asyncio.gather(
                *(
                    validation.ingest(src, None, kind="dpo", fmt="openai", count_tokens=False)
                    for _ in range(3)
                )
            )
            return all(r.report.valid for r in results), validation.pool.started
        finally:
            await validation.close()

    assert asyncio.run(scenario()) == (True, 1)
