"""translations: English renderings of passages and titles, claimed once across replicas

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translations",
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("translator_id", sa.String(length=128), nullable=False),
        sa.Column("prompt_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("english", sa.Text(), nullable=True),
        sa.Column("checked", sa.Boolean(), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(
            "content_hash", "translator_id", "prompt_version", name=op.f("pk_translations")
        ),
    )
    op.create_index(
        op.f("ix_translations_finished_at"), "translations", ["finished_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_translations_finished_at"), table_name="translations")
    op.drop_table("translations")
