"""A provider emulator's world kept on disk, for an emulator that must outlive its process
(`ftjobs dev`): a restart would otherwise forget every file and job the service still refers to
by id.

Each emulator says what its world's snapshot holds (`Snapshotting`); this module keeps it: one
pickle per world (`<state_dir>/<name>.pickle`), written atomically (a temporary file, then a
rename) within `SAVE_SECONDS` of a change, checked by a cheap fingerprint, and once more at
shutdown; read back when the world is built. The clock is wall time, so what fell due while the
emulator was down is replayed by the world's first `advance`, as after any pause.

Pickle, not JSON: the file is written and read only by the emulator, in a directory of the
developer's own (0600), and it keeps the records' types without a schema to maintain. A file
that does not load (written by another version) is moved aside and the world starts empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

SAVE_SECONDS = 0.5  # how long a change may stay unsaved (a SIGKILL loses at most this)


class World(Protocol):
    def reset(self) -> None: ...


W = TypeVar("W", bound=World)


@dataclass(frozen=True)
class Snapshotting(Generic[W]):
    """What one kind of world puts in its snapshot and takes back from it. `fingerprint` must
    be cheap (it runs on every tick) and change whenever the world does. `format` is bumped
    when the records change shape: an older file is then set aside."""

    snapshot: Callable[[W], dict[str, Any]]
    restore: Callable[[W, dict[str, Any]], None]
    fingerprint: Callable[[W], str]
    format: int = 1


class SnapshotStore(Generic[W]):
    """Saves and loads one world under `directory/<name>.pickle`."""

    def __init__(self, world: W, how: Snapshotting[W], directory: Path, name: str) -> None:
        self.world = world
        self.how = how
        self.path = directory / f"{name}.pickle"
        self._saved: str | None = None

    def load(self) -> bool:
        """Restore the world from disk if a snapshot is there; True if one was."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return False
        try:
            snapshot = pickle.loads(data)  # noqa: S301 (our own file; see the module doc)
            if snapshot.get("format") != self.how.format:
                raise ValueError(f"format {snapshot.get('format')!r}")
            self.world.reset()
            self.how.restore(self.world, snapshot)
        except Exception:
            log.exception("emulator state %s does not load; starting empty", self.path)
            self.world.reset()
            self.path.replace(self.path.with_suffix(".unreadable"))
            return False
        self._saved = self.how.fingerprint(self.world)
        return True

    def save_if_changed(self) -> bool:
        fingerprint = self.how.fingerprint(self.world)
        if fingerprint == self._saved:
            return False
        self.save()
        self._saved = fingerprint
        return True

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        snapshot = self.how.snapshot(self.world) | {"format": self.how.format}
        data = pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL)
        partial = self.path.with_suffix(".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        partial.replace(self.path)  # a crash leaves the old snapshot or the new, never half


def open_store(
    world: W, how: Snapshotting[W], state_dir: str | None, name: str
) -> SnapshotStore[W] | None:
    """The world's store under `state_dir`, loaded; None when state is kept in memory only."""
    if state_dir is None:
        return None
    store = SnapshotStore(world, how, Path(state_dir), name)
    if store.load():
        log.info("emulator %s state loaded from %s", name, store.path)
    return store


@contextlib.asynccontextmanager
async def keeping(store: SnapshotStore[Any] | None) -> AsyncIterator[None]:
    """While the app serves: save the world within `SAVE_SECONDS` of a change, and at shutdown.
    Without a store (the default: state in memory only) it does nothing."""
    if store is None:
        yield
        return
    saver = asyncio.create_task(_save_changes(store))
    try:
        yield
    finally:
        saver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await saver
        store.save_if_changed()


async def _save_changes(store: SnapshotStore[Any]) -> None:
    while True:
        await asyncio.sleep(SAVE_SECONDS)
        try:
            store.save_if_changed()
        except OSError:  # a full disk must not stop the emulator; the next tick tries again
            log.exception("could not save emulator state to %s", store.path)
