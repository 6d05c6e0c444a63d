"""Together's id shapes (`file-<uuid>`, `ft-<uuid>`), the hashes in events and model names, and
the secret that signs upload URLs, all from the shared seeded source."""

from __future__ import annotations

import uuid

from service.emulators.ids import IdFactory


class TogetherIds(IdFactory):
    """The ids of a Together account's objects."""

    def uuid(self) -> str:
        return str(uuid.UUID(int=int(self.hex("", 32), 16), version=4))

    def file(self) -> str:
        return f"file-{self.uuid()}"

    def job(self) -> str:
        return f"ft-{self.uuid()}"

    def model_tag(self) -> str:
        """The 8 hex digits at the end of `<account>/<model>-<suffix>-<tag>`."""
        return self.hex("", 8)

    def event_hash(self) -> str:
        return self.hex("", 32)

    def signing_key(self) -> str:
        return self.hex("", 64)
