"""Together's account beside OpenAI's and Azure's on one app and port: `/together/v1` with a
world of its own, and unknown routes answered in the envelope."""

from __future__ import annotations

from pathlib import Path

import httpx
import openai
import pytest
import together
from together import Together

from tests.emulators.helpers import RunningEmulator
from tests.emulators.together.helpers import KEY, PATH, dpo_row, jsonl, upload

ROWS = [dpo_row(index) for index in range(3)]


def test_a_file_of_another_world_is_unknown(
    sdk: Together, client: openai.OpenAI, tmp_path: Path
) -> None:
    on_openai = client.files.create(file=("a.jsonl", jsonl(ROWS)), purpose="fine-tune").id
    on_together = upload(sdk, tmp_path, ROWS)

    with pytest.raises(together.NotFoundError):
        sdk.files.retrieve(on_openai)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(on_together)


def test_the_state_has_a_together_part(
    sdk: Together, emulator: RunningEmulator, tmp_path: Path
) -> None:
    upload(sdk, tmp_path, ROWS)
    state = emulator.state()
    assert state["together"]["files"] == 1
    assert state["files"] == 0  # OpenAI's part is the unprefixed one
    assert state["azure"]["files"] == 0


def test_an_unknown_route_is_a_404_in_the_envelope(emulator: RunningEmulator) -> None:
    response = httpx.get(
        f"{emulator.url}{PATH}/v1/nothing", headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"Invalid URL (GET {PATH}/v1/nothing)"
