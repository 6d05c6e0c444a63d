"""Opaque, prefixed ids that sort by creation time (ULIDs): `job_01J…`, `ds_01J…`."""

from __future__ import annotations

from ulid import ULID


def new_id(prefix: str) -> str:
    return f"{prefix}_{ULID()}"
