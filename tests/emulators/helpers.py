"""For every emulator test: a hand-driven clock, a real server in a thread (bare, or the app as
`ftjobs emulator` serves it, with its controls), and a toy provider that lets the shared parts be
tested without any real provider's API."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import openai
import uvicorn
from litestar import Litestar, get, post
from litestar.di import NamedDependency, Provide

from service.emulators.app import create_app
from service.emulators.config import EmulatorConfig
from service.emulators.errors import APIError
from service.emulators.faults import COMMIT_BEFORE_DROP
from service.emulators.mount import Mount
from service.emulators.runtime import Runtime

TOY_PATH = "/toy/v1"
API_KEY = "sk-test"  # OpenAI's routes take any bearer key unless the config names one


class ManualClock:
    """A clock the test moves by hand, so job phases are exact and nothing sleeps."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@contextmanager
def serve_app(app: Litestar) -> Iterator[str]:
    """uvicorn on a free loopback port in a daemon thread, stopped on exit; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "emulator did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class RunningEmulator:
    """The emulator app on a real server: its controls, and an SDK client for OpenAI's `/v1`
    (other providers' tests build their own clients on `url`)."""

    url: str

    def client(self, **options: Any) -> openai.OpenAI:
        options.setdefault("api_key", API_KEY)
        options.setdefault("max_retries", 0)
        return openai.OpenAI(base_url=f"{self.url}/v1", **options)

    def state(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/_emulator/state")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def set(self, **settings: Any) -> dict[str, Any]:
        response = httpx.post(f"{self.url}/_emulator/faults", json=settings)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def reset(self) -> None:
        httpx.post(f"{self.url}/_emulator/reset").raise_for_status()


@contextmanager
def serve(config: EmulatorConfig, clock: ManualClock | None = None) -> Iterator[RunningEmulator]:
    """The emulator app (every provider mounted, as `ftjobs emulator` serves it) on a real
    server."""
    app = create_app(config) if clock is None else create_app(config, clock=clock)
    with serve_app(app) as url:
        yield RunningEmulator(url)


@dataclass
class ToyWorld:
    """A provider's world reduced to a list of things, and a record of what the app did to it."""

    things: list[str] = field(default_factory=list)
    advanced: int = 0
    resets: int = 0
    lifespan: list[str] = field(default_factory=list)  # "started", "stopped"

    def __deepcopy__(self, memo: dict[int, object]) -> ToyWorld:
        return self  # Litestar deep-copies routers: the handlers must share this one world


ToyDep = NamedDependency[ToyWorld]


@get("/things")
async def list_things(toy: ToyDep) -> dict[str, Any]:
    return {"data": list(toy.things)}


@post("/things", status_code=200, opt={COMMIT_BEFORE_DROP: True})
async def create_thing(toy: ToyDep) -> dict[str, Any]:
    toy.things.append(f"thing-{len(toy.things)}")
    return {"id": toy.things[-1]}


@post("/notes", status_code=200)
async def create_note(toy: ToyDep) -> dict[str, Any]:
    """Like `create_thing`, but without COMMIT_BEFORE_DROP: a dropped request has no effect."""
    toy.things.append("note")
    return {"id": "note"}


@post("/toy/forget", status_code=200)
async def forget_things(toy: ToyDep) -> dict[str, Any]:
    """A control of the toy's own, under `/_emulator`: injected with the toy's world."""
    forgotten = len(toy.things)
    toy.things.clear()
    return {"forgotten": forgotten}


@get("/boom")
async def boom() -> None:
    raise RuntimeError("a bug in a provider emulator")


def toy_fault_error(fault: str, retry_after: float) -> APIError:
    """The toy provider's own wording, so tests can tell it from OpenAI's."""
    return APIError(int(fault[:3]), f"toy {fault} (retry after {retry_after:g}s)", code="toy")


class Toy:
    """A provider emulator for tests: `Toy().mount` goes where `app.PROVIDERS` would list one."""

    def __init__(self, path: str = TOY_PATH) -> None:
        self.path = path
        self.world = ToyWorld()
        self.runtime: Runtime | None = None

    def mount(self, runtime: Runtime) -> Mount:
        self.runtime = runtime
        world = self.world

        def advance() -> None:
            world.advanced += 1

        async def reset() -> None:
            world.things.clear()
            world.resets += 1

        @contextlib.asynccontextmanager
        async def lifespan() -> AsyncIterator[None]:
            world.lifespan.append("started")
            try:
                yield
            finally:
                world.lifespan.append("stopped")

        return Mount(
            path=self.path,
            route_handlers=[list_things, create_thing, create_note, boom],
            fault_error=toy_fault_error,
            advance=advance,
            state=lambda: {"toy_things": len(world.things)},
            reset=reset,
            dependencies={"toy": Provide(lambda: world, sync_to_thread=False)},
            lifespan=lifespan,
            controls=[forget_things],
        )
