"""Upgrading a database with older comments masks them and opens their cases."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import insert, select

from survey.extensions import db as _db
from survey.models import Answer, Case, CaseNote, Response, utcnow
from tests.factories import make_point, make_unit


def _old_response(unit_id: int, point_id: int, text: str, at: datetime) -> int:
    rid = _db.session.scalar(
        insert(Response.__table__)
        .values(
            unit_id=unit_id,
            point_id=point_id,
            channel="qr",
            language="vi",
            submitted_at=at,
            public_id=str(uuid.uuid4()),
            weight=1.0,
            flags="",
        )
        .returning(Response.__table__.c.id)
    )
    _db.session.execute(insert(Answer.__table__).values(response_id=rid, item_code="C1", text=text))
    return rid


def test_older_comments_are_masked_and_become_cases(app):
    """Revision 0021: raw comments are masked in place; recent ones open, old ones closed with a note,
    allegations open whatever their age."""
    with app.app_context():
        directory = app.extensions["migrate"].directory
        unit = make_unit("03408", "Phường Tân Phong", "ward")
        point = make_point(unit)
        unit_id, point_id = unit.id, point.id
        _db.session.commit()
        _db.session.close()  # no transaction may hold a lock on the tables the downgrade drops
        downgrade(directory=directory, revision="0010")
        now = utcnow()
        recent = _old_response(unit_id, point_id, "Gọi tôi 0912345678 nhé", now - timedelta(days=2))
        old = _old_response(unit_id, point_id, "Cần thêm ghế", now - timedelta(days=60))
        bribe = _old_response(unit_id, point_id, "Cán bộ đòi tiền bồi dưỡng", now - timedelta(days=60))
        _db.session.commit()
        _db.session.close()
        upgrade(directory=directory)
        texts = dict(_db.session.execute(select(Answer.response_id, Answer.text)).all())
        assert texts[recent] == "Gọi tôi [SĐT] nhé"
        cases = {c.response_id: c for c in _db.session.scalars(select(Case))}
        assert {r: (c.status, c.category) for r, c in cases.items()} == {
            recent: ("new", "suggestion"),
            old: ("closed", "suggestion"),
            bribe: ("new", "misconduct"),
        }
        assert cases[recent].text == "Gọi tôi [SĐT] nhé"
        notes = _db.session.scalars(select(CaseNote)).all()
        assert [n.case_id for n in notes] == [cases[old].id]
