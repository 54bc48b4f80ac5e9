"""answer payload for sharing; handled events remember when they were finished

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch_op:
        batch_op.add_column(sa.Column("answer_json", sa.JSON(), nullable=True))
    with op.batch_alter_table("handled_events") as batch_op:
        batch_op.add_column(sa.Column("done_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handled_events") as batch_op:
        batch_op.drop_column("done_at")
    with op.batch_alter_table("answers") as batch_op:
        batch_op.drop_column("answer_json")
