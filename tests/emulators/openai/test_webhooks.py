"""Webhooks on terminal states: signed like OpenAI's, retried with the same id, sent after the
state is readable. The receiver checks the job over the API while it handles each delivery."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import openai
import pytest

from service.emulators.config import EmulatorConfig
from tests.emulators.helpers import API_KEY, RunningEmulator, serve
from tests.emulators.openai_compat.helpers import dpo_job, dpo_row, upload

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
ROWS = [dpo_row(index) for index in range(10)]


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    job_status: str  # what GET /v1/fine_tuning/jobs/{id} said while the webhook was in flight


@dataclass
class Receiver:
    url: str
    answers: list[int]  # status codes to answer with, in turn; the last one repeats
    emulator_url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 10) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count:
            assert time.monotonic() < deadline, f"only {len(self.deliveries)} deliveries"
            time.sleep(0.02)
        return self.deliveries

    def record(self, headers: dict[str, str], body: bytes) -> int:
        job_id = json.loads(body)["data"]["id"]
        job = httpx.get(
            f"{self.emulator_url}/v1/fine_tuning/jobs/{job_id}",
            headers={"authorization": f"Bearer {API_KEY}"},
        ).json()
        self.deliveries.append(Delivery(headers, body, job["status"]))
        return self.answers[min(len(self.deliveries), len(self.answers)) - 1]


@contextmanager
def receiver(answers: list[int]) -> Iterator[Receiver]:
    state: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            status = state[0].record({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", answers))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def hooked(
    answers: list[int], phase_seconds: float = 0.05
) -> Iterator[tuple[Receiver, RunningEmulator]]:
    with receiver(answers) as hook:
        config = EmulatorConfig(
            phase_seconds=phase_seconds,
            webhook_urls=(hook.url,),
            webhook_secret=SECRET,
            webhook_retry_base_seconds=0.02,
        )
        with serve(config) as running:
            hook.emulator_url = running.url
            yield hook, running


def unwrap(delivery: Delivery) -> openai.types.webhooks.UnwrapWebhookEvent:
    with openai.OpenAI(api_key="unused", webhook_secret=SECRET) as sdk:
        return sdk.webhooks.unwrap(delivery.body, delivery.headers)


def test_success_webhook_is_signed_and_follows_the_state() -> None:
    with hooked([200]) as (hook, running), running.client() as client:
        job = dpo_job(client, upload(client, ROWS))
        [delivery] = hook.wait_for(1)
        event = unwrap(delivery)

    assert event.type == "fine_tuning.job.succeeded"
    assert event.data.id == job.id
    assert event.id.startswith("evt_")
    assert len(event.id) == len("evt_") + 32
    assert delivery.job_status == "succeeded"  # readable before the webhook arrived
    assert delivery.headers["webhook-id"].startswith("wh_")
    assert delivery.headers["user-agent"].startswith("OpenAI/1.0")


def test_failed_deliveries_are_retried_with_the_same_id() -> None:
    with hooked([500, 503, 200]) as (hook, running), running.client() as client:
        dpo_job(client, upload(client, ROWS))
        deliveries = hook.wait_for(3)
        time.sleep(0.2)  # nothing after the 2xx
        log = running.state()["webhook_deliveries"]

    assert len(hook.deliveries) == 3
    assert len({d.headers["webhook-id"] for d in deliveries}) == 1
    assert len({d.body for d in deliveries}) == 1
    for delivery in deliveries:
        unwrap(delivery)  # every attempt is freshly signed
    assert log[0]["attempts"] == 3
    assert log[0]["delivered"] is True


def test_failed_and_cancelled_jobs_send_their_own_types() -> None:
    # phases long enough to cancel a job before it finishes
    with hooked([200], phase_seconds=0.2) as (hook, running), running.client() as client:
        training = upload(client, ROWS)
        failing = dpo_job(client, training, suffix="emu-fail")
        cancelled = client.fine_tuning.jobs.cancel(dpo_job(client, training).id)
        events = {unwrap(d).data.id: unwrap(d).type for d in hook.wait_for(2)}  # type: ignore[union-attr]

    assert events == {
        failing.id: "fine_tuning.job.failed",
        cancelled.id: "fine_tuning.job.cancelled",
    }


@pytest.mark.parametrize("mode", ["bad_signature", "stale_timestamp"])
def test_receiver_test_modes_break_verification(mode: str) -> None:
    with hooked([200]) as (hook, running), running.client() as client:
        running.set(webhook_modes=[mode])
        dpo_job(client, upload(client, ROWS))
        [delivery] = hook.wait_for(1)

    with pytest.raises(openai.InvalidWebhookSignatureError):
        unwrap(delivery)


def test_duplicate_mode_delivers_twice() -> None:
    with hooked([200]) as (hook, running), running.client() as client:
        running.set(webhook_modes=["duplicate"])
        dpo_job(client, upload(client, ROWS))
        first, second = hook.wait_for(2)

    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
