"""tokens: expiry, last use, unique holder names; browser sessions; failed logins by client

Tokens issued before this revision keep expires_at NULL, which means "never": nothing
else about them is known, and `branch-audit token list` shows them so that an admin can
revoke and re-issue them. Holder names become unique; a name held twice before keeps its
first token and the later ones are renamed "NAME #ID" (the id of the token row).

Revision ID: 0003
Revises: 0002_batch
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002_batch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE api_tokens SET name = substr(name, 1, 112) || ' #' || CAST(id AS VARCHAR(15)) "
        "WHERE id NOT IN (SELECT min(id) FROM api_tokens GROUP BY name)"
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_api_tokens_name", ["name"])
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_hash"),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_token_id"), ["token_id"], unique=False)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_action_actor_at", ["action", "actor", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_action_actor_at")
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_token_id"))
    op.drop_table("web_sessions")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint("uq_api_tokens_name", type_="unique")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
