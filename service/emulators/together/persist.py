"""Keeping the Together account across restarts, in the emulator's state directory
(`<state_dir>/together.pickle`), as the OpenAI-compatible worlds keep theirs.

The whole account (files with their bytes, jobs with their events, the schedule, the id source,
the URL-signing key and the credit limit) goes into one pickle, written atomically (a temporary
file, then a rename) within `SAVE_SECONDS` of a change and once more at shutdown; it is read back
when the world is built. The clock is wall time, so what fell due while the emulator was down is
replayed by the first `advance`. Pickle, not JSON: the file is written and read only by this
emulator, in the developer's own directory (0600). A file that does not load (another version's)
is moved aside and the account starts empty.
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

from service.emulators.together.state import TogetherWorld

log = logging.getLogger(__name__)

NAME = "together"
SAVE_SECONDS = 0.5
FORMAT = 1  # bump when the records change shape; an older file is then set aside


class AccountStore:
    def __init__(self, world: TogetherWorld, directory: Path) -> None:
        self.world = world
        self.path = directory / f"{NAME}.pickle"
        self._saved: str | None = None

    def load(self) -> bool:
        """Restore the account from disk if a snapshot is there; True if one was."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return False
        try:
            snapshot = pickle.loads(data)  # noqa: S301 (our own file; see the module doc)
            if snapshot.get("format") != FORMAT:
                raise ValueError(f"format {snapshot.get('format')!r}")
            _restore(self.world, snapshot)
        except Exception:
            log.exception("emulator state %s does not load; starting empty", self.path)
            self.world.reset()
            self.path.replace(self.path.with_suffix(".unreadable"))
            return False
        self._saved = _fingerprint(self.world)
        return True

    def save_if_changed(self) -> None:
        fingerprint = _fingerprint(self.world)
        if fingerprint != self._saved:
            self.save()
            self._saved = fingerprint

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = pickle.dumps(_snapshot(self.world), protocol=pickle.HIGHEST_PROTOCOL)
        partial = self.path.with_suffix(".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        partial.replace(self.path)  # a crash leaves the old snapshot or the new, never half


def _snapshot(world: TogetherWorld) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "ids": world.ids.getstate(),
        "signing_key": world.signing_key,
        "files": world.files,
        "jobs": world.jobs,
        "timeline": world.timeline.entries(),
        "user_limit": world.user_limit,
    }


def _restore(world: TogetherWorld, snapshot: dict[str, Any]) -> None:
    world.reset()
    world.ids.setstate(snapshot["ids"])
    world.signing_key = snapshot["signing_key"]
    world.files = snapshot["files"]
    world.jobs = snapshot["jobs"]
    world.timeline.restore(snapshot["timeline"])
    world.user_limit = snapshot["user_limit"]


def _fingerprint(world: TogetherWorld) -> str:
    """Cheap enough for every tick: new files, jobs and events draw ids; every transition bumps
    a job's version; an upload or a preprocess changes a file's flags; the rest is listed."""
    digest = hashlib.sha256(repr(world.ids.getstate()).encode())
    digest.update(
        repr(sorted((f.id, f.uploaded, f.processed) for f in world.files.values())).encode()
    )
    digest.update(repr(sorted((j.id, j.version, j.status) for j in world.jobs.values())).encode())
    digest.update(repr(world.user_limit).encode())
    return digest.hexdigest()


def open_store(world: TogetherWorld, state_dir: str | None) -> AccountStore | None:
    """The account's store under `state_dir`, loaded; None when state stays in memory only."""
    if state_dir is None:
        return None
    store = AccountStore(world, Path(state_dir))
    if store.load():
        log.info("emulator together state loaded from %s", store.path)
    return store


@contextlib.asynccontextmanager
async def keeping(store: AccountStore | None) -> AsyncIterator[None]:
    """While the app serves: save within `SAVE_SECONDS` of a change, and at shutdown."""
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


async def _save_changes(store: AccountStore) -> None:
    while True:
        await asyncio.sleep(SAVE_SECONDS)
        try:
            store.save_if_changed()
        except OSError:  # a full disk must not stop the emulator; the next tick tries again
            log.exception("could not save emulator state to %s", store.path)
