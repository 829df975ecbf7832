"""response cells: the sufficient statistics of each day's responses, per quality label

Revision ID: 0070
Revises: 0052
Create Date: 2026-12-01

Reports add up these cells instead of reading every response. Every day is made dirty, so
the first reader (or `sipas refresh`) computes the cells of the responses already stored.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0070'
down_revision = '0052'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('response_cell',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day_id', sa.Integer(), nullable=False),
    sa.Column('flags', sa.String(length=200), nullable=False),
    sa.Column('layout', sa.String(length=16), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('newest', sa.DateTime(), nullable=False),
    sa.Column('stats', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['day_id'], ['response_day.id'], ondelete='CASCADE',
                            name=op.f('fk_response_cell_day_id_response_day')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_cell')),
    sa.UniqueConstraint('day_id', 'flags', name=op.f('uq_response_cell_day_id_flags'))
    )
    op.execute("UPDATE response_day SET folded = 0")


def downgrade():
    op.drop_table('response_cell')
