"""The id shapes of the OpenAI-compatible objects: each flavor spells them its own way."""

from __future__ import annotations

from abc import ABC, abstractmethod

from service.emulators.ids import IdFactory

MAX_SEED = 2_147_483_647


class CompatIds(IdFactory, ABC):
    """The ids one world hands out; one instance per reset, seeded by the config."""

    @abstractmethod
    def file(self) -> str: ...

    @abstractmethod
    def job(self) -> str: ...

    @abstractmethod
    def event(self) -> str: ...

    @abstractmethod
    def checkpoint(self) -> str: ...

    @abstractmethod
    def upload(self) -> str: ...

    @abstractmethod
    def part(self) -> str: ...

    @abstractmethod
    def model_tag(self) -> str:
        """The random part of a fine-tuned model's name (see `Flavor.fine_tuned_name`)."""

    def seed(self) -> int:
        """A job seed when the caller gave none (both providers generate one)."""
        return self._rng.randint(0, MAX_SEED)
