"""provider_models: the models a provider lists as tunable, with their limits; jobs.price_estimate

Revision ID: 0008
Revises: 0007

Together lists its tunable models and each model's limits itself: the workers keep them in
provider_models, and the API checks a job against them without calling Together. A job's price
estimate, asked of the provider right before the create, is kept on the job.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_models",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=300), nullable=False),
        sa.Column("limits", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "model", name=op.f("pk_provider_models")),
    )
    op.add_column(
        "jobs",
        sa.Column("price_estimate", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("jobs", "price_estimate")
    op.drop_table("provider_models")
