"""What a provider emulator hands the app: where its API lives, its routes, and its hooks.

A provider package (`openai/`, `azure/`, `together/`) has one function that builds its world
on the shared `Runtime` and returns a `Mount`; `app.PROVIDERS` lists those functions. The app adds
what every provider gets the same way: fault injection on its routes, the clock before each of its
requests and on a background tick, the error envelope, request ids and `/_emulator/*`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from litestar.di import Provide
from litestar.types import ControllerRouterHandler, Middleware

from service.emulators.faults import FaultErrorFactory


@dataclass(frozen=True)
class Mount:
    """One provider emulator, as `app.create_app` mounts it."""

    path: str  # the prefix of its API: "/v1" for OpenAI, "/openai/v1" for Azure OpenAI
    route_handlers: Sequence[ControllerRouterHandler]
    fault_error: FaultErrorFactory  # how this provider words an injected fault
    advance: Callable[[], None]  # apply every transition of its world that fell due by now
    state: Callable[[], dict[str, Any]]  # its part of `GET /_emulator/state`
    reset: Callable[[], Awaitable[None]]  # forget its world (`POST /_emulator/reset`)
    middleware: Sequence[Middleware] = ()  # runs before fault injection, e.g. the key check
    dependencies: Mapping[str, Provide] = field(default_factory=dict)  # for its handlers only
    # its background work while the app serves (OpenAI: webhook deliveries)
    lifespan: Callable[[], AbstractAsyncContextManager[None]] = contextlib.nullcontext
    # its own test controls, mounted under `/_emulator` with its dependencies (never faulted,
    # no key): Together's credit limit, raw statuses and failures
    controls: Sequence[ControllerRouterHandler] = ()


class Mounts:
    """The app's providers together: what the clock and `/_emulator/*` do to every one of them.

    A plain class on purpose: Litestar converts handler arguments with msgspec, which would
    resolve the annotations of `Mount` dataclasses, and Litestar's own types in them do not.
    """

    def __init__(self, mounts: Iterable[Mount]) -> None:
        self._mounts = tuple(mounts)

    def __iter__(self) -> Iterator[Mount]:
        return iter(self._mounts)

    def advance(self) -> None:
        for mount in self._mounts:
            mount.advance()

    def state(self) -> dict[str, Any]:
        """Every provider's part of the state, merged: OpenAI's keys are the unprefixed ones they
        always were, so another provider nests its part under its own name."""
        merged: dict[str, Any] = {}
        for mount in self._mounts:
            merged.update(mount.state())
        return merged

    async def reset(self) -> None:
        for mount in self._mounts:
            await mount.reset()
