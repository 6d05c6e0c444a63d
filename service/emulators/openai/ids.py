"""OpenAI's id shapes (`file-…`, `ftjob-…`, `ftevent-…`, …), from the shared seeded source."""

from __future__ import annotations

from service.emulators.openai_compat.ids import CompatIds


class OpenAIIds(CompatIds):
    """The ids of OpenAI's objects: mixed-case alphanumerics after the prefix."""

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
