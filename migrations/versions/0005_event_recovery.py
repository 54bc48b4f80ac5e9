"""handled events name their owner and keep what to answer and where it was posted; answers
keep where they were posted (thread and message ts)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handled_events") as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("request", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("posted_ts", sa.String(length=32), nullable=True))
    with op.batch_alter_table("answers") as batch_op:
        batch_op.add_column(sa.Column("thread_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("message_ts", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_answers_channel_id_thread_ts", ["channel_id", "thread_ts"])


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch_op:
        batch_op.drop_index("ix_answers_channel_id_thread_ts")
        batch_op.drop_column("message_ts")
        batch_op.drop_column("thread_ts")
    with op.batch_alter_table("handled_events") as batch_op:
        batch_op.drop_column("posted_ts")
        batch_op.drop_column("request")
        batch_op.drop_column("owner")
