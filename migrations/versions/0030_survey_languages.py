"""survey languages: stored translations and recordings of the citizen's survey

Revision ID: 0030
Revises: 0021
Create Date: 2026-12-01

"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "survey_language",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("endonym", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_survey_language")),
    )
    op.create_table(
        "survey_translation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lang"],
            ["survey_language.code"],
            name=op.f("fk_survey_translation_lang_survey_language"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_translation")),
        sa.UniqueConstraint("lang", "code", name=op.f("uq_survey_translation_lang_code")),
    )
    op.create_table(
        "survey_recording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("mime", sa.String(length=20), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("mime IN ('audio/ogg', 'audio/mpeg')", name=op.f("ck_survey_recording_mime")),
        sa.CheckConstraint("size <= 20480", name=op.f("ck_survey_recording_size")),
        sa.ForeignKeyConstraint(
            ["lang"],
            ["survey_language.code"],
            name=op.f("fk_survey_recording_lang_survey_language"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_recording")),
        sa.UniqueConstraint("lang", "code", name=op.f("uq_survey_recording_lang_code")),
    )
    op.create_index(op.f("ix_survey_recording_digest"), "survey_recording", ["digest"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_survey_recording_digest"), table_name="survey_recording")
    op.drop_table("survey_recording")
    op.drop_table("survey_translation")
    op.drop_table("survey_language")
