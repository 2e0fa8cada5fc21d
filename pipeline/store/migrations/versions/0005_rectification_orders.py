"""rectification orders (整改): an item a branch was told to fix, open until closed with a note

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rectification_orders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("finding_id", sa.String(length=32), nullable=True),
        sa.Column("ordered_by", sa.String(length=128), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=False, server_default=""),
        sa.ForeignKeyConstraint(["branch_id"], ["branches.id"]),
        sa.ForeignKeyConstraint(["finding_id"], ["findings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_order_branch_item", "rectification_orders", ["branch_id", "item"])


def downgrade() -> None:
    op.drop_index("ix_order_branch_item", table_name="rectification_orders")
    op.drop_table("rectification_orders")
