"""people and attempts: a token's holder (the person), and failed logins and bearer
tokens counted per client address in one row each

Tokens issued before this revision keep holder NULL: the person is then their name's,
normalised when read (pipeline/store/people.py).

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-07 20:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("holder", sa.String(length=128), nullable=True))
        batch_op.create_index(batch_op.f("ix_api_tokens_holder"), ["holder"], unique=False)
    op.create_table(
        "auth_failures",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("auth_failures")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_holder"))
        batch_op.drop_column("holder")
