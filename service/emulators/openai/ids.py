"""OpenAI's id shapes (`file-…`, `ftjob-…`, `ftevent-…`, …), from the shared seeded source."""

from __future__ import annotations

from service.emulators.ids import IdFactory


class OpenAIIds(IdFactory):
    """The ids of OpenAI's objects; one instance per emulator reset, seeded by the config."""

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
        return self.alnum("", 8)

    def seed(self) -> int:
        """A job seed when the caller gave none (OpenAI generates one too)."""
        return self._rng.randint(0, 2_147_483_647)
