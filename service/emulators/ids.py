"""Identifiers shaped like OpenAI's, drawn from one seedable random source."""

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

    def file(self) -> str:
        return self.alnum("file-", 22)

    def job(self) -> str:
        return self.alnum("ftjob-", 24)

    def event(self) -> str:
        return self.alnum("ftevent-", 24)

    def checkpoint(self) -> str:
        return self.alnum("ftckpt_", 24)

    def upload(self) -> str:
        return self.alnum("upload_", 24)

    def part(self) -> str:
        return self.alnum("part_", 24)

    def model_tag(self) -> str:
        """The 8-char tail of `ft:<base>:<org>:<suffix>:<tag>`."""
        return "".join(self._rng.choices(_ALNUM, k=8))

    def seed(self) -> int:
        """A job seed when the caller gave none (OpenAI generates one too)."""
        return self._rng.randint(0, 2_147_483_647)

    @staticmethod
    def request() -> str:
        # not from the seeded source: how often clients poll must not shift the seeded ids
        return f"req_{uuid.uuid4().hex}"
