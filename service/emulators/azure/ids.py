"""Azure's id shapes: a prefix and 32 lowercase hex digits (`file-…`, `ftjob-…`, `ftevent-…`,
`ftchkpt-…`), from the shared seeded source."""

from __future__ import annotations

from service.emulators.openai_compat.ids import CompatIds


class AzureIds(CompatIds):
    """The ids of an Azure resource's objects."""

    def file(self) -> str:
        return self.hex("file-")

    def job(self) -> str:
        return self.hex("ftjob-")

    def event(self) -> str:
        return self.hex("ftevent-")

    def checkpoint(self) -> str:
        return self.hex("ftchkpt-")

    # Azure's Upload objects are rare and their ids unpublished: the same hex shape, so nothing
    # the service keeps from Azure ever looks like OpenAI's
    def upload(self) -> str:
        return self.hex("upload-")

    def part(self) -> str:
        return self.hex("part-")

    def model_tag(self) -> str:
        """The 32 hex digits after `.ft-` in `<base>.ft-<tag>`."""
        return self.hex("")
