"""Imports every table module, so `Base.metadata` is complete (Alembic, tests)."""

from service.db import (
    catalogue_models,  # noqa: F401
    lifecycle_models,  # noqa: F401
    models,  # noqa: F401
    ops_models,  # noqa: F401
    pipeline_models,  # noqa: F401
    webhook_models,  # noqa: F401
)
