"""Large datasets go through OpenAI's Uploads API in parts; checked against the emulator with the
real SDK (the part size and threshold are shrunk so the test moves kilobytes, not gigabytes)."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from service.providers import openai as provider_module
from service.providers.openai import OpenAIProvider
from tests.support.data import dpo_rows, jsonl
from tests.support.processes import free_port, wait_until


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "service.emulators", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: httpx.get(f"{url}/_emulator/state").is_success, timeout=20, what="the emulator"
        )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_file_over_the_files_limit_is_uploaded_in_parts(
    emulator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = jsonl(dpo_rows(40))
    monkeypatch.setattr(provider_module, "FILES_API_LIMIT", 1024)
    monkeypatch.setattr(provider_module, "UPLOAD_PART_BYTES", 2048)

    async def upload() -> str:
        provider = OpenAIProvider(api_key="sk-test", base_url=f"{emulator}/v1", timeout=30)
        try:
            return await provider.upload_file("ds_big.jsonl", io.BytesIO(body), len(body))
        finally:
            await provider.close()

    file_id = asyncio.run(upload())
    state = httpx.get(f"{emulator}/_emulator/state").json()
    [stored] = [f for f in state["file_list"] if f["id"] == file_id]
    assert (stored["bytes"], stored["purpose"], stored["filename"]) == (
        len(body),
        "fine-tune",
        "ds_big.jsonl",
    )
    assert state["uploads"] == 1
    parts = sum(n for key, n in state["requests"].items() if key.endswith("/parts"))
    assert parts == -(-len(body) // 2048)  # every part sent, none twice
    content = httpx.get(
        f"{emulator}/v1/files/{file_id}/content", headers={"Authorization": "Bearer sk-test"}
    ).content
    assert content == body
