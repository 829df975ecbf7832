"""audit archive: old audit entries leave the database only into a recorded archive file

Revision ID: 0060
Revises: 0004
Create Date: 2026-12-01

The audit log stays append-only (no UPDATE ever), but after the retention period its entries
are moved to an archive file. A DELETE is allowed only for entries an `audit_archive` record
covers (id <= up_to_id and at < cutoff); that table is append-only itself, and `sipas
retention` writes the file and its SHA-256 before the record, then logs the archive.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0060'
down_revision = '0004'
branch_labels = None
depends_on = None

COVERED = (
    "EXISTS (SELECT 1 FROM audit_archive a WHERE OLD.id <= a.up_to_id AND OLD.at < a.cutoff)"
)

SQLITE_UP = [
    "DROP TRIGGER audit_log_no_delete",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    f"WHEN NOT {COVERED} "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: only archived entries may be removed'); END",
    "CREATE TRIGGER audit_archive_no_update BEFORE UPDATE ON audit_archive "
    "BEGIN SELECT RAISE(ABORT, 'audit_archive is append-only'); END",
    "CREATE TRIGGER audit_archive_no_delete BEFORE DELETE ON audit_archive "
    "BEGIN SELECT RAISE(ABORT, 'audit_archive is append-only'); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER audit_archive_no_update",
    "DROP TRIGGER audit_archive_no_delete",
    "DROP TRIGGER audit_log_no_delete",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
PG_UP = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN IF TG_OP = 'DELETE' AND {COVERED} THEN RETURN OLD; END IF; "
    "RAISE EXCEPTION 'audit_log is append-only: only archived entries may be removed'; END $$",
    "CREATE FUNCTION audit_archive_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_archive is append-only'; END $$",
    "CREATE TRIGGER audit_archive_append_only BEFORE UPDATE OR DELETE ON audit_archive "
    "FOR EACH ROW EXECUTE FUNCTION audit_archive_append_only()",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS audit_archive_append_only ON audit_archive",
    "DROP FUNCTION IF EXISTS audit_archive_append_only()",
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
]


def _run(statements):
    for statement in statements:
        op.execute(statement)


def upgrade():
    op.create_table('audit_archive',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cutoff', sa.DateTime(), nullable=False),
    sa.Column('up_to_id', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.String(length=254), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_archive'))
    )
    dialect = op.get_bind().dialect.name
    _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}.get(dialect, []))


def downgrade():
    dialect = op.get_bind().dialect.name
    _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}.get(dialect, []))
    op.drop_table('audit_archive')
