"""Imports every table module, so `Base.metadata` is complete (Alembic, tests)."""

from service.db import models  # noqa: F401
