"""channels follow topics; each corpus change records what it brought and what it took away;
notifications (digests now, corrections later) are claimed once across replicas

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followed_topics",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("topic_key", sa.String(length=200), nullable=False),
        sa.Column("followed_by", sa.String(length=64), nullable=True),
        sa.Column("followed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followed_topics")),
        sa.UniqueConstraint("channel_id", "topic_key", name="uq_followed_topics_channel_topic"),
    )
    op.create_table(
        "notifications",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("corpus_version", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("posted_ts", sa.String(length=32), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", "corpus_version", "target", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("passages") as batch_op:
        batch_op.add_column(sa.Column("added_in", sa.Integer(), nullable=True))
    with op.batch_alter_table("corpus_versions") as batch_op:
        batch_op.add_column(sa.Column("gone", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("corpus_versions") as batch_op:
        batch_op.drop_column("gone")
    with op.batch_alter_table("passages") as batch_op:
        batch_op.drop_column("added_in")
    op.drop_table("notifications")
    op.drop_table("followed_topics")
