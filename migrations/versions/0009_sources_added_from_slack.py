"""where a source came from (a corpus file, a link, an upload), who added it, and, for one
added from Slack, its document in the corpus format: the database is its only copy

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch_op:
        batch_op.add_column(
            sa.Column("added_via", sa.String(length=16), nullable=False, server_default="file")
        )
        batch_op.add_column(sa.Column("added_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("added_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("document", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch_op:
        batch_op.drop_column("document")
        batch_op.drop_column("added_at")
        batch_op.drop_column("added_by")
        batch_op.drop_column("added_via")
