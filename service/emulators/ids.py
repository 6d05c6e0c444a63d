"""Identifiers drawn from one seedable random source; each provider adds its own id shapes."""

from __future__ import annotations

import random
import string
import uuid

_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"


class IdFactory:
    """Makes ids such as `file-` + 22 alnum or `evt_` + 32 hex; a seed makes them repeatable."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def alnum(self, prefix: str, length: int) -> str:
        return prefix + "".join(self._rng.choices(_ALNUM, k=length))

    def hex(self, prefix: str, length: int = 32) -> str:
        return prefix + "".join(self._rng.choices(_HEX, k=length))

    def getstate(self) -> object:
        """Where the id source stands, to carry a world across a restart (`setstate`)."""
        return self._rng.getstate()

    def setstate(self, state: object) -> None:
        self._rng.setstate(state)  # type: ignore[arg-type]  # whatever getstate returned

    @staticmethod
    def request() -> str:
        # not from the seeded source: how often clients poll must not shift the seeded ids
        return f"req_{uuid.uuid4().hex}"
