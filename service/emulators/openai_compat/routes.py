"""The routes of the OpenAI-compatible API and what they are injected with, for a provider's
`Mount`: the same handlers serve each provider's world, under that provider's path."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from service.emulators.config import EmulatorConfig
from service.emulators.openai_compat.files import files_router
from service.emulators.openai_compat.jobs import jobs_router
from service.emulators.openai_compat.state import Emulator
from service.emulators.openai_compat.uploads import uploads_router


def routers(config: EmulatorConfig) -> list[Router]:
    """Files, uploads and fine-tuning jobs, relative to the provider's path."""
    return [files_router(config), uploads_router(config), jobs_router()]


def dependencies(emu: Emulator) -> dict[str, Provide]:
    """The handlers' `emu`: the world of the provider whose router they were reached through."""
    return {"emu": Provide(lambda: emu, sync_to_thread=False)}
