"""The app assembly: providers mounted at their own paths, the controls over all of them, the
clock, the lifespans, the error envelope and request ids; a toy provider stands in for a second."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from service.emulators.app import PROVIDERS, create_app
from service.emulators.config import EmulatorConfig
from tests.emulators.helpers import TOY_PATH, Toy

KEY = {"authorization": "Bearer sk-test"}


@pytest.fixture
def toy() -> Toy:
    return Toy()


@pytest.fixture
def client(toy: Toy) -> Iterator[TestClient[Litestar]]:
    """OpenAI as `ftjobs emulator` mounts it, and the toy beside it."""
    app = create_app(EmulatorConfig(phase_seconds=1.0), providers=(*PROVIDERS, toy.mount))
    with TestClient(app) as running:
        yield running


def test_openai_is_mounted_at_v1_by_default() -> None:
    with TestClient(create_app(EmulatorConfig())) as client:
        answer = client.get("/v1/files", headers=KEY)
        anonymous = client.get("/v1/files")

    assert answer.status_code == 200
    assert answer.json()["object"] == "list"
    assert anonymous.status_code == 401  # OpenAI's key check came with it


def test_a_second_provider_is_served_at_its_own_path(client: TestClient[Litestar]) -> None:
    created = client.post(f"{TOY_PATH}/things")
    listed = client.get(f"{TOY_PATH}/things")
    openai_files = client.get("/v1/files", headers=KEY)
    elsewhere = client.get("/v1/things", headers=KEY)

    assert created.json() == {"id": "thing-0"}
    assert listed.json() == {"data": ["thing-0"]}
    assert openai_files.status_code == 200
    assert elsewhere.status_code == 404  # the toy's routes live under its path only


def test_state_merges_every_provider_then_the_shared_counts(
    client: TestClient[Litestar],
) -> None:
    client.post(f"{TOY_PATH}/things")
    state = client.get("/_emulator/state").json()

    assert state["toy_things"] == 1
    assert (state["files"], state["jobs"]) == (0, 0)  # OpenAI's part
    assert state["settings"]["phase_seconds"] == 1.0
    assert state["faults_injected"] == {}
    assert sum(state["requests"].values()) == 1


def test_faults_knobs_are_shared_and_reset_reaches_every_provider(
    client: TestClient[Litestar], toy: Toy
) -> None:
    client.post(f"{TOY_PATH}/things")
    changed = client.post("/_emulator/faults", json={"slow_seconds": 0.5})
    assert toy.runtime is not None
    seen_by_the_toy = toy.runtime.settings.slow_seconds
    client.post("/_emulator/reset").raise_for_status()

    assert changed.json()["slow_seconds"] == 0.5
    assert seen_by_the_toy == 0.5
    assert client.get("/_emulator/faults").json()["slow_seconds"] == 2.0  # the start-up value
    assert toy.world.resets == 1
    assert client.get("/_emulator/state").json()["toy_things"] == 0


def test_a_providers_own_controls_sit_beside_the_shared_ones(
    client: TestClient[Litestar], toy: Toy
) -> None:
    client.post(f"{TOY_PATH}/things")
    client.post("/_emulator/faults", json={"fault_rate": 1.0, "faults": ["500"]})

    forgotten = client.post("/_emulator/toy/forget")  # never faulted, and with the toy's world

    assert forgotten.status_code == 200
    assert forgotten.json() == {"forgotten": 1}
    assert toy.world.things == []


def test_bad_knobs_are_a_400_in_the_envelope(client: TestClient[Litestar]) -> None:
    for body in ({"faults": ["teapot"]}, {"fault_rate": 2}, {"unknown": 1}):
        response = client.post("/_emulator/faults", json=body)
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_request_error"
    assert client.get("/_emulator/faults").json()["fault_rate"] == 0.0


def test_the_clock_advances_before_each_request_and_on_its_own(toy: Toy) -> None:
    app = create_app(EmulatorConfig(phase_seconds=0.05), providers=(toy.mount,))
    with TestClient(app) as client:
        before = toy.world.advanced
        client.get(f"{TOY_PATH}/things")
        after_api = toy.world.advanced
        client.get("/_emulator/faults")
        after_control = toy.world.advanced
        deadline = time.monotonic() + 5
        while toy.world.advanced < after_control + 3:  # the background tick, every 10 ms here
            assert time.monotonic() < deadline, "the clock did not tick"
            time.sleep(0.01)

    assert after_api > before
    assert after_control > after_api


def test_each_provider_lifespan_spans_the_apps(toy: Toy) -> None:
    with TestClient(create_app(EmulatorConfig(), providers=(toy.mount,))):
        during = list(toy.world.lifespan)
    assert during == ["started"]
    assert toy.world.lifespan == ["started", "stopped"]


def test_every_answer_has_a_request_id_and_errors_use_the_envelope(
    client: TestClient[Litestar],
) -> None:
    ok = client.get(f"{TOY_PATH}/things")
    unknown = client.get(f"{TOY_PATH}/nothing")
    bug = client.get(f"{TOY_PATH}/boom")
    control = client.get("/_emulator/state")

    for response in (ok, unknown, bug, control):
        assert response.headers["x-request-id"].startswith("req_")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": {
            "message": f"Invalid URL (GET {TOY_PATH}/nothing)",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    assert bug.status_code == 500
    assert bug.json()["error"]["type"] == "server_error"
    assert bug.json()["error"]["message"].startswith("The server had an error")
