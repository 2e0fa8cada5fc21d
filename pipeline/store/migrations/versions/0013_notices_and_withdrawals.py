"""issued_notices: weekly notices kept as they were sent; rectification orders withdrawn
with a reason; a dismissal's reason code on its review

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 00:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("issued_by", sa.String(length=128), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("branch_id", "week", "version", name="uq_issued_notice_version"),
    )
    op.add_column(
        "rectification_orders", sa.Column("withdrawn_by", sa.String(length=128), nullable=True)
    )
    op.add_column(
        "rectification_orders",
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column("rectification_orders", sa.Column("withdraw_reason", sa.Text(), nullable=True))
    op.add_column("reviews", sa.Column("reason_code", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # plain DROP COLUMNs (SQLite ≥ 3.35), as in 0012: a batch copy would break the foreign
    # keys that name these tables
    op.drop_column("reviews", "reason_code")
    op.drop_column("rectification_orders", "withdraw_reason")
    op.drop_column("rectification_orders", "withdrawn_at")
    op.drop_column("rectification_orders", "withdrawn_by")
    op.drop_table("issued_notices")
