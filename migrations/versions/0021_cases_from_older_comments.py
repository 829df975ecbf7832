"""cases from older comments: mask their personal data and open a case for each

Comments stored before cases existed still hold whatever people typed (phone numbers, ID
numbers) and would vanish from the unit reports, which now list cases. This masks every free
text answer in place (the masking of survey/cases/masking.py, as at write time) and opens a
case for each response with a comment. Comments older than 14 days are opened as closed, with
a note saying why, so a unit starts with its recent comments to answer rather than a year of
overdue ones; allegations of misconduct stay open for Sở Nội vụ whatever their age.

Masking cannot be undone: the downgrade leaves the texts masked.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01

"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

OPEN_DAYS = 14
NOTE = "Góp ý gửi trước khi có chức năng xử lý phản ánh; đóng tự động khi nâng cấp hệ thống."

answer = sa.table("answer", sa.column("id"), sa.column("response_id"), sa.column("text"))
response = sa.table(
    "response",
    sa.column("id"),
    sa.column("unit_id"),
    sa.column("point_id"),
    sa.column("period_id"),
    sa.column("submitted_at", sa.DateTime),
)
case = sa.table(
    "citizen_case",
    sa.column("id"),
    sa.column("response_id"),
    sa.column("unit_id"),
    sa.column("point_id"),
    sa.column("period_id"),
    sa.column("category"),
    sa.column("status"),
    sa.column("text"),
    sa.column("created_at", sa.DateTime),
    sa.column("updated_at", sa.DateTime),
    sa.column("closed_at", sa.DateTime),
)
note = sa.table(
    "case_note", sa.column("case_id"), sa.column("author"), sa.column("text"), sa.column("created_at", sa.DateTime)
)


def _masked_comments(conn):
    from survey.cases.masking import mask_text

    comments = {}
    rows = conn.execute(
        sa.select(answer.c.id, answer.c.response_id, answer.c.text)
        .where(answer.c.text.is_not(None))
        .order_by(answer.c.response_id, answer.c.id)
    ).all()
    for answer_id, response_id, text in rows:
        masked = mask_text(text)
        if masked != text:
            conn.execute(answer.update().where(answer.c.id == answer_id).values(text=masked))
        if masked.strip():
            comments.setdefault(response_id, []).append(masked.strip())
    return comments


def upgrade():
    from survey.cases.classify import classify

    conn = op.get_bind()
    comments = _masked_comments(conn)
    if not comments:
        return
    now = datetime.now(UTC).replace(tzinfo=None)
    cutoff = now - timedelta(days=OPEN_DAYS)
    ids = sorted(comments)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for rid, unit_id, point_id, period_id, submitted_at in conn.execute(
            sa.select(response).where(response.c.id.in_(chunk))
        ):
            text = " ".join(comments[rid])
            category = classify(text).category
            closed = submitted_at < cutoff and category != "misconduct"
            conn.execute(
                case.insert().values(
                    response_id=rid, unit_id=unit_id, point_id=point_id, period_id=period_id,
                    category=category, status="closed" if closed else "new", text=text,
                    created_at=submitted_at, updated_at=now, closed_at=now if closed else None,
                )
            )
            if closed:
                case_id = conn.execute(sa.select(case.c.id).where(case.c.response_id == rid)).scalar_one()
                conn.execute(note.insert().values(case_id=case_id, author="sipas", text=NOTE, created_at=now))


def downgrade():
    op.execute(case.delete())
