"""An in-process API on the real Postgres and Redis, with keys for two teams and an admin."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pydantic import SecretStr

from service.api.app import create_app
from service.cli.keys import create_key
from service.config import Settings
from tests.support.services import Backing

Client = TestClient[Litestar]


@dataclass(frozen=True)
class Keys:
    team_a: str
    team_b: str
    admin: str


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def settings(clean: Backing, tmp_path: Path) -> Settings:
    return Settings(
        database_url=clean.database_url,
        redis_url=clean.redis_url,
        blob_dir=tmp_path / "blobs",
        openai_api_key=SecretStr("sk-test"),
        max_upload_bytes=5_000_000,
        queue_name="ftjobs",
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[Client]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def keys(clean: Backing) -> Keys:
    url = clean.database_url
    return Keys(
        team_a=asyncio.run(create_key(url, "team-a", False, None))[1],
        team_b=asyncio.run(create_key(url, "team-b", False, None))[1],
        admin=asyncio.run(create_key(url, "ops", True, None))[1],
    )
