"""What an OpenAI-compatible world (OpenAI's, Azure's) keeps across restarts: its files with their
bytes, uploads, jobs with their events, models, the running and waiting queues, the schedule of
what is due and the id source. `service.emulators.snapshots` writes and reads it."""

from __future__ import annotations

import hashlib
from typing import Any

from service.emulators.openai_compat.state import Emulator
from service.emulators.snapshots import SnapshotStore, Snapshotting, open_store


def _snapshot(emu: Emulator) -> dict[str, Any]:
    return {
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


WORLD = Snapshotting(snapshot=_snapshot, restore=_restore, fingerprint=_fingerprint)
WorldStore = SnapshotStore[Emulator]


def open_world_store(emu: Emulator, state_dir: str | None, name: str) -> WorldStore | None:
    return open_store(emu, WORLD, state_dir, name)
