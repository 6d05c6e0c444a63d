"""jobs.create_started_at: whether a create may have reached the provider

Revision ID: 0009
Revises: 0008

The submit step looks for a remote job made for ours before creating one, since no provider takes
an idempotency key. That search lists the provider's jobs (all of them at Together, which has no
filter). It is needed only when an earlier attempt may have sent the create: this column, set and
committed before every create, says so. Rows from before it are searched as before (NULL there
means "unknown" only for jobs already past their create, which never create again).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("create_started_at", sa.DateTime(timezone=True), nullable=True))
    # A job caught mid-submit by this upgrade may have sent its create: search for it.
    op.execute(
        "UPDATE jobs SET create_started_at = now() "
        "WHERE status = 'uploading' AND provider_job_id IS NULL"
    )


def downgrade() -> None:
    op.drop_column("jobs", "create_started_at")
