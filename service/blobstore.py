"""Dataset bytes by key, on a local (or mounted, shared) directory.

Writes go to a temporary file first and are moved into place, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import BinaryIO


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "tmp").mkdir(parents=True, exist_ok=True)

    def temp_path(self, suffix: str = "") -> Path:
        return self.root / "tmp" / f"{uuid.uuid4().hex}{suffix}"

    def commit(self, temp: Path, key: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, target)

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def path(self, key: str) -> Path:
        if ".." in Path(key).parts or Path(key).is_absolute():
            raise ValueError(f"bad blob key {key!r}")
        return self.root / key


def discard(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
