"""past answers corrected in place: each answer keeps the corrections made to it, and the
answers of a period are found by when they were asked

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch_op:
        batch_op.add_column(sa.Column("revisions", sa.JSON(), nullable=True))
        batch_op.create_index("ix_answers_asked_at", ["asked_at"])


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch_op:
        batch_op.drop_index("ix_answers_asked_at")
        batch_op.drop_column("revisions")
