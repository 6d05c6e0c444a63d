"""The runtimes an RQ job runs with (`workers/runtimes.py`): built from settings, and closed
(engine disposed, provider closed) when the job ends, whether it succeeded or raised."""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import NullPool, QueuePool

from service.config import Settings
from service.jobs.polling import CONCURRENCY
from service.jobs.timing import Timing
from service.pipelines.hooks import on_job_finished
from service.providers.azure import AzureOpenAIProvider
from service.providers.base import FineTuningProvider
from service.providers.openai import OpenAIProvider
from service.webhooks.backoff import RetryPolicy
from tests.jobs.fakes import FakeProvider
from tests.support.services import Backing
from workers import runtimes


@dataclass
class ClosingProvider(FakeProvider):
    closed: bool = False

    async def close(self) -> None:
        self.closed = True


@dataclass
class Built:
    """What the runtime under test was given and what it did on the way out."""

    settings: list[Settings]
    provider: ClosingProvider
    disposed: list[AsyncEngine]


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Built:
    record = Built(settings=[], provider=ClosingProvider(), disposed=[])

    def build(settings: Settings, name: str = "openai") -> FineTuningProvider:
        record.settings.append(settings)
        return record.provider

    monkeypatch.setattr(runtimes, "build_provider", build)
    return record


def watch_disposal(engine: AsyncEngine, built: Built) -> None:
    event.listen(engine.sync_engine, "engine_disposed", lambda _: built.disposed.append(engine))


async def select_one(engine: AsyncEngine) -> Any:
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT current_database()"))).scalar_one()


def test_job_runtime_is_built_from_settings_and_closes_what_it_opened(
    clean: Backing, tmp_path: Path, built: Built
) -> None:
    settings = Settings(
        database_url=clean.database_url,
        blob_dir=tmp_path / "blobs",
        poll_interval_seconds=7,
        lease_seconds=90,
        retry_base_seconds=3,
        retry_max_seconds=40,
        openai_api_key=SecretStr("sk-test"),  # OpenAI configured, Azure not
    )

    async def scenario() -> None:
        async with runtimes.job_runtime(settings) as rt:
            watch_disposal(rt.engine, built)
            assert await select_one(rt.engine) == make_url(clean.database_url).database
            pool = rt.engine.pool
            assert isinstance(pool, QueuePool) and pool.size() == CONCURRENCY // 2  # a poll round
            assert rt.timing == Timing(poll_interval=7, lease=90, retry_base=3, retry_max=40)
            assert rt.blobs.root == tmp_path / "blobs"
            assert rt.hooks.on_finished == (on_job_finished,)  # pipelines advance
            assert rt.providers == {"openai": built.provider} and built.settings == [settings]
            assert built.disposed == [] and not built.provider.closed

    asyncio.run(scenario())
    assert len(built.disposed) == 1
    assert built.provider.closed


def test_a_runtime_is_closed_when_the_job_raises(
    clean: Backing, tmp_path: Path, built: Built
) -> None:
    settings = Settings(
        database_url=clean.database_url, blob_dir=tmp_path, openai_api_key=SecretStr("sk-test")
    )

    async def scenario() -> None:
        async with runtimes.job_runtime(settings) as rt:
            watch_disposal(rt.engine, built)
            raise LookupError("the job failed")

    with pytest.raises(LookupError):
        asyncio.run(scenario())
    assert len(built.disposed) == 1
    assert built.provider.closed


def test_delivery_runtime_is_built_from_settings_and_disposes_its_engine(
    clean: Backing, built: Built
) -> None:
    settings = Settings(
        database_url=clean.database_url,
        webhook_retry_base_seconds=1,
        webhook_retry_max_seconds=2,
        webhook_retry_horizon_seconds=3,
        webhook_disable_after_seconds=4,
        webhook_allowed_networks="10.0.0.0/8, 127.0.0.1/32",
        webhook_timeout_seconds=9,
    )

    async def scenario() -> None:
        async with runtimes.delivery_runtime(settings) as rt:
            watch_disposal(rt.engine, built)
            assert await select_one(rt.engine) == make_url(clean.database_url).database
            assert isinstance(rt.engine.pool, NullPool)  # nothing pooled across RQ's fork
            assert rt.policy == RetryPolicy(base=1, maximum=2, horizon=3, disable_after=4)
            assert rt.outbound.allowed == (
                ipaddress.ip_network("10.0.0.0/8"),
                ipaddress.ip_network("127.0.0.1/32"),
            )
            assert rt.outbound.timeout == 9
            assert built.disposed == []

    asyncio.run(scenario())
    assert len(built.disposed) == 1
    assert built.settings == []  # a delivery talks to no provider


def test_a_runtime_needs_a_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FTJOBS_DATABASE_URL", raising=False)
    settings = Settings()

    async def enter_job_runtime() -> None:
        async with runtimes.job_runtime(settings):
            pass

    async def enter_delivery_runtime() -> None:
        async with runtimes.delivery_runtime(settings):
            pass

    for enter in (enter_job_runtime, enter_delivery_runtime):
        with pytest.raises(RuntimeError, match="FTJOBS_DATABASE_URL is not set"):
            asyncio.run(enter())


def test_a_runtime_has_a_client_for_each_configured_provider(
    clean: Backing, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=clean.database_url,
        blob_dir=tmp_path,
        openai_api_key=SecretStr("sk-test"),
        azure_openai_endpoint="http://127.0.0.1:9",
        azure_openai_api_key=SecretStr("azure-key"),
    )

    async def scenario() -> None:
        async with runtimes.job_runtime(settings) as rt:
            assert sorted(rt.providers) == ["azure", "openai"]
            assert isinstance(rt.providers["azure"], AzureOpenAIProvider)
            assert type(rt.providers["openai"]) is OpenAIProvider

    asyncio.run(scenario())
    unconfigured = Settings(database_url=clean.database_url, blob_dir=tmp_path)

    async def nothing_configured() -> None:
        async with runtimes.job_runtime(unconfigured) as rt:
            assert rt.providers == {}

    asyncio.run(nothing_configured())
