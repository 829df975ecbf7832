"""Receipt use as a flag and a date, a session version per account, the health-check row.

Revision ID: 0040
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0010"
branch_labels = None
depends_on = None


def _day(column):
    # SQLite keeps dates as 'YYYY-MM-DD' text, and CAST(... AS DATE) there means a number.
    return sa.func.date(column) if op.get_bind().dialect.name == "sqlite" else sa.cast(column, sa.Date())


def upgrade():
    # A receipt's use: a flag and the local date only. The time to the millisecond let whoever
    # minted the code for a dossier find the response it opened.
    with op.batch_alter_table("receipt_code") as batch:
        batch.add_column(sa.Column("used", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("used_on", sa.Date(), nullable=True))
    receipt = sa.table(
        "receipt_code",
        sa.column("used", sa.Boolean()),
        sa.column("used_on", sa.Date()),
        sa.column("used_at", sa.DateTime()),
    )
    op.execute(
        receipt.update()
        .where(receipt.c.used_at.isnot(None))
        .values(used=sa.true(), used_on=_day(receipt.c.used_at))
    )
    with op.batch_alter_table("receipt_code") as batch:
        batch.drop_column("used_at")

    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))

    op.create_table(
        "health_heartbeat",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("beat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_heartbeat")),
    )


def downgrade():
    op.drop_table("health_heartbeat")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("session_version")
    with op.batch_alter_table("receipt_code") as batch:
        batch.add_column(sa.Column("used_at", sa.DateTime(), nullable=True))
    receipt = sa.table(
        "receipt_code",
        sa.column("used", sa.Boolean()),
        sa.column("used_on", sa.Date()),
        sa.column("used_at", sa.DateTime()),
    )
    midnight = (
        sa.func.datetime(receipt.c.used_on)
        if op.get_bind().dialect.name == "sqlite"
        else sa.cast(receipt.c.used_on, sa.DateTime())
    )
    op.execute(receipt.update().where(receipt.c.used.is_(True)).values(used_at=midnight))
    with op.batch_alter_table("receipt_code") as batch:
        batch.drop_column("used_on")
        batch.drop_column("used")
