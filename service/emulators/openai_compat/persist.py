"""One world kept on disk, for an emulator that must outlive its process (`ftjobs dev`): a
restart would otherwise forget every file the service still refers to by id.

The whole world (files with their bytes, uploads, jobs with their events, the schedule of what is
due and the id source) goes into one pickle, written atomically (a temporary file, then a rename)
whenever it changed, checked on the app's tick, and once more at shutdown; it is read back when
the world is built. The clock is wall time, so transitions that fell due while the emulator was
down are replayed by the first `advance`, as after any pause.

Pickle, not JSON: the file is written and read only by this emulator, in a directory of the
developer's own (0600), and it keeps the records' types without a schema to maintain. A file that
does not load (written by another version) is moved aside and the world starts empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import pickle
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from service.emulators.openai_compat.state import Emulator

log = logging.getLogger(__name__)

SAVE_SECONDS = 0.5  # how long a change may stay unsaved (a SIGKILL loses at most this)
FORMAT = 1  # bump when the records change shape; an older file is then set aside


class WorldStore:
    """Saves and loads one world under `directory/<name>.pickle`."""

    def __init__(self, emu: Emulator, directory: Path, name: str) -> None:
        self.emu = emu
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
            if snapshot.get("format") != FORMAT:
                raise ValueError(f"format {snapshot.get('format')!r}")
            _restore(self.emu, snapshot)
        except Exception:
            log.exception("emulator state %s does not load; starting empty", self.path)
            self.emu.reset()
            self.path.replace(self.path.with_suffix(".unreadable"))
            return False
        self._saved = _fingerprint(self.emu)
        return True

    def save_if_changed(self) -> bool:
        fingerprint = _fingerprint(self.emu)
        if fingerprint == self._saved:
            return False
        self.save()
        self._saved = fingerprint
        return True

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = pickle.dumps(_snapshot(self.emu), protocol=pickle.HIGHEST_PROTOCOL)
        partial = self.path.with_suffix(".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        partial.replace(self.path)  # a crash leaves the old snapshot or the new, never half


def _snapshot(emu: Emulator) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "ids": emu.ids.getstate(),
        "files": emu.files,
        "uploads": emu.uploads,
        "jobs": emu.jobs,
        "models": emu.models,
        "running": emu.running,
        "waiting": emu.waiting,
        "timeline": emu.timeline.entries(),
    }


def _restore(emu: Emulator, snapshot: dict[str, Any]) -> None:
    emu.reset()
    emu.ids.setstate(snapshot["ids"])
    emu.files = snapshot["files"]
    emu.uploads = snapshot["uploads"]
    emu.jobs = snapshot["jobs"]
    emu.models = snapshot["models"]
    emu.running = snapshot["running"]
    emu.waiting = snapshot["waiting"]
    emu.timeline.restore(snapshot["timeline"])


def _fingerprint(emu: Emulator) -> str:
    """Cheap to compute every tick: every change to a world draws an id (new files, jobs,
    events, checkpoints), bumps a job's version (a new due time: pause, resume, cancel,
    every transition) or deletes a file, so these three tell whether anything changed."""
    digest = hashlib.sha256(repr(emu.ids.getstate()).encode())
    digest.update(repr(sorted(emu.files)).encode())
    digest.update(
        repr(sorted((job.id, job.version, job.status) for job in emu.jobs.values())).encode()
    )
    return digest.hexdigest()


@contextlib.asynccontextmanager
async def keeping(store: WorldStore | None) -> AsyncIterator[None]:
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


async def _save_changes(store: WorldStore) -> None:
    while True:
        await asyncio.sleep(SAVE_SECONDS)
        try:
            store.save_if_changed()
        except OSError:  # a full disk must not stop the emulator; the next tick tries again
            log.exception("could not save emulator state to %s", store.path)


def open_store(emu: Emulator, state_dir: str | None, name: str) -> WorldStore | None:
    """The world's store under `state_dir`, loaded; None when state is kept in memory only."""
    if state_dir is None:
        return None
    store = WorldStore(emu, Path(state_dir), name)
    if store.load():
        log.info("emulator %s state loaded from %s", name, store.path)
    return store
