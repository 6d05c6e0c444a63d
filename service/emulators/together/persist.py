"""What the Together account keeps across restarts (`<state_dir>/together.pickle`): files with
their bytes, jobs with their events, the schedule, the id source, the URL-signing key and the
credit limit. `service.emulators.snapshots` writes and reads it."""

from __future__ import annotations

import hashlib
from typing import Any

from service.emulators.snapshots import SnapshotStore, Snapshotting, open_store
from service.emulators.together.state import TogetherWorld

NAME = "together"


def _snapshot(world: TogetherWorld) -> dict[str, Any]:
    return {
        "ids": world.ids.getstate(),
        "signing_key": world.signing_key,
        "files": world.files,
        "jobs": world.jobs,
        "timeline": world.timeline.entries(),
        "user_limit": world.user_limit,
    }


def _restore(world: TogetherWorld, snapshot: dict[str, Any]) -> None:
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


ACCOUNT = Snapshotting(snapshot=_snapshot, restore=_restore, fingerprint=_fingerprint)


def open_account_store(
    world: TogetherWorld, state_dir: str | None
) -> SnapshotStore[TogetherWorld] | None:
    return open_store(world, ACCOUNT, state_dir, NAME)
