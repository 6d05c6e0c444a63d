"""Fault injection on its own: the dice of the shared runtime and the middleware on a toy
provider's routes, worded by that provider; no real provider's API involved."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from service.emulators.app import create_app
from service.emulators.config import EmulatorConfig, RuntimeSettings
from service.emulators.runtime import Runtime
from tests.emulators.helpers import TOY_PATH, Toy, serve_app


@pytest.fixture
def toy() -> Toy:
    return Toy()


@pytest.fixture
def url(toy: Toy) -> Iterator[str]:
    with serve_app(create_app(EmulatorConfig(seed=11), providers=(toy.mount,))) as running:
        yield running


def _set(url: str, **settings: object) -> None:
    httpx.post(f"{url}/_emulator/faults", json=settings).raise_for_status()


def _state(url: str) -> dict[str, object]:
    state: dict[str, object] = httpx.get(f"{url}/_emulator/state").json()
    return state


def test_without_faults_requests_pass_and_are_counted_by_operation(url: str) -> None:
    _set(url, fault_rate=0.0)
    for _ in range(2):
        assert httpx.get(f"{url}{TOY_PATH}/things").status_code == 200
    assert httpx.post(f"{url}{TOY_PATH}/things").json() == {"id": "thing-0"}
    state = _state(url)

    # keyed by the handler's own path: the mount's prefix is not part of it
    assert state["requests"] == {"GET /things": 2, "POST /things": 1}
    assert state["faults_injected"] == {}
    assert state["toy_things"] == 1


@pytest.mark.parametrize(("fault", "status"), [("429", 429), ("429_daily", 429), ("500", 500)])
def test_error_faults_answer_in_the_providers_words_and_skip_the_handler(
    url: str, fault: str, status: int
) -> None:
    _set(url, fault_rate=1.0, faults=[fault], retry_after_seconds=2.5)
    response = httpx.post(f"{url}{TOY_PATH}/things")

    assert response.status_code == status
    assert response.json() == {
        "error": {
            "message": f"toy {fault} (retry after 2.5s)",
            "type": "invalid_request_error",
            "param": None,
            "code": "toy",
        }
    }
    assert response.headers["x-request-id"].startswith("req_")
    assert _state(url)["faults_injected"] == {fault: 1}
    assert _state(url)["toy_things"] == 0


def test_503_too(url: str) -> None:
    _set(url, fault_rate=1.0, faults=["503"])
    assert httpx.get(f"{url}{TOY_PATH}/things").status_code == 503


def test_slow_answers_after_slow_seconds(url: str) -> None:
    _set(url, fault_rate=1.0, faults=["slow"], slow_seconds=0.3)
    started = time.monotonic()
    response = httpx.post(f"{url}{TOY_PATH}/things", timeout=5)

    assert time.monotonic() - started >= 0.3
    assert response.json() == {"id": "thing-0"}


def test_drop_closes_the_connection_without_an_answer(url: str) -> None:
    _set(url, fault_rate=1.0, faults=["drop"])
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{url}{TOY_PATH}/notes")
    _set(url, fault_rate=0.0)
    assert _state(url)["toy_things"] == 0  # no route option: the handler never ran


def test_drop_on_a_commit_before_drop_route_runs_the_handler_first(url: str) -> None:
    _set(url, fault_rate=1.0, faults=["drop"])
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{url}{TOY_PATH}/things")
    assert _state(url)["toy_things"] == 1  # its effect is committed, as a real API's would be


def test_control_routes_are_never_faulted_nor_counted(url: str) -> None:
    _set(url, fault_rate=1.0, faults=["500", "drop"])
    for _ in range(5):
        assert httpx.get(f"{url}/_emulator/faults").json()["fault_rate"] == 1.0
    assert _state(url)["requests"] == {}


def _rolls(runtime: Runtime, count: int = 200) -> list[str | None]:
    return [runtime.pick_fault() for _ in range(count)]


def test_a_seed_makes_the_dice_repeatable_and_reset_rolls_them_again() -> None:
    config = EmulatorConfig(seed=5, fault_rate=0.5, faults=("429", "500", "drop"))
    first, second = Runtime(config), Runtime(config)
    rolls = _rolls(first)
    counts = dict(first.faults_injected)
    first.reset()

    assert rolls == _rolls(second)
    assert rolls == _rolls(first)
    assert None in rolls
    assert set(rolls) - {None} == {"429", "500", "drop"}
    assert counts == {fault: rolls.count(fault) for fault in ("429", "500", "drop")}


@pytest.mark.parametrize(
    ("rate", "faults", "expected"),
    [(0.0, ("500",), {None}), (1.0, ("500",), {"500"}), (1.0, (), {None})],
)
def test_the_rate_and_the_enabled_faults_decide(
    rate: float, faults: tuple[str, ...], expected: set[str | None]
) -> None:
    runtime = Runtime(EmulatorConfig(fault_rate=rate, faults=faults))
    assert set(_rolls(runtime, 50)) == expected


def test_reset_restores_the_start_up_knobs_and_zeroes_the_counts() -> None:
    config = EmulatorConfig(seed=1, faults=("503",))
    runtime = Runtime(config)
    runtime.update_settings({"fault_rate": 1.0, "slow_seconds": 9})
    runtime.pick_fault()
    runtime.requests["GET /x"] += 1
    runtime.reset()

    assert runtime.settings == RuntimeSettings.from_config(config)
    assert (runtime.faults_injected, runtime.requests) == ({}, {})


def test_bad_knobs_are_refused_and_change_nothing() -> None:
    runtime = Runtime(EmulatorConfig())
    patches: list[dict[str, object]] = [
        {"faults": ["teapot"]},
        {"fault_rate": 2},
        {"unknown": 1},
        {"slow_seconds": -1},
    ]
    for patch in patches:
        with pytest.raises(ValueError, match=r"."):
            runtime.update_settings(patch)
    assert runtime.settings == RuntimeSettings.from_config(EmulatorConfig())
