"""Bookkeeping beside the responses: versions, rotation counts, day counts and stored flags."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from survey.aggregates import data_version, delete_responses, response_counts, settle
from survey.bridge import responses_frame
from survey.extensions import db as _db
from survey.instrument import instrument
from survey.models import Response, ResponseDay, RotationCount, ServicePoint
from survey.public.rotation import assign_group
from survey.responses import store_response
from tests.factories import make_period, make_point, make_unit

# 09:00 on a Monday in Vietnam (02:00 UTC, stored naive): inside the default opening hours.
MONDAY_9 = datetime(2026, 11, 23, 2, 0)
CALM = {"S1": 1, "B5.0": 2, "B1.1": 4, "B1.2": 3, "B2.1": 5, "B3.1": 4}  # few items: never a speeder


def _store(point: ServicePoint, at: datetime, device: str | None = None, **kw: object) -> Response:
    period = kw.pop("period", None)
    answers = kw.pop("answers", CALM)
    return store_response(
        point=point,
        period=period,  # type: ignore[arg-type]
        answers=answers,  # type: ignore[arg-type]
        policy_group=kw.pop("group", None),  # type: ignore[arg-type]
        language="vi",
        duration_s=kw.pop("duration_s", 200),  # type: ignore[arg-type]
        device_hash=device,
        submitted_at=at,
    )


def _flags() -> dict[int, str]:
    return dict(_db.session.execute(select(Response.id, Response.flags)).all())


def test_every_insert_raises_the_units_data_version(db) -> None:
    """The version of a unit and period changes with each response, not with another unit's."""
    period = make_period()
    point, other = make_point(), make_point(make_unit("LC-SYT", "Sở Y tế"), "Q01")
    versions = [data_version({point.unit_id}, period.id)]
    for _ in range(3):
        _store(point, MONDAY_9, period=period)
        versions.append(data_version({point.unit_id}, period.id))
    assert len(set(versions)) == 4
    _store(other, MONDAY_9, period=period)
    assert data_version({point.unit_id}, period.id) == versions[-1]
    assert data_version(None, period.id) != versions[-1]


def test_rotation_counts_follow_the_stored_groups(db) -> None:
    """Responses per counter, period and group are counted as stored; the rotation reads them."""
    period, point = make_period(), make_point()
    groups = list(instrument().policy_groups)
    for g in groups[:-1]:
        _store(point, MONDAY_9, period=period, group=g)
    rows = dict(
        db.session.execute(
            select(RotationCount.policy_group, RotationCount.responses).where(
                RotationCount.point_id == point.id
            )
        ).all()
    )
    assert rows == dict.fromkeys(groups[:-1], 1)
    assert assign_group(instrument(), point, period) == groups[-1]


def test_counts_per_day_channel_and_period(db) -> None:
    """The officials' count table adds up the day counts, per period, unit, counter and channel."""
    period, point = make_period(), make_point()
    for k in range(3):
        _store(point, MONDAY_9 + timedelta(days=k), period=period)
    _store(point, MONDAY_9, period=None)
    rows = response_counts({point.unit_id})
    assert [(r[0], r[3], r[5], r[6]) for r in rows] == [("Đợt 2026", "Q01", "qr", 3), ("", "Q01", "qr", 1)]


def test_a_speeder_is_flagged_when_first_read(db) -> None:
    """The write path stores no flag; the first read stores the speeder flag on the row."""
    point = make_point()
    answers = {"S1": 2, "B5.0": 1} | {
        i.code: 4 if k % 2 else 5 for k, i in enumerate(instrument().index_items) if not i.group
    }
    fast = _store(point, MONDAY_9, answers=answers, duration_s=12)
    slow = _store(point, MONDAY_9, answers=answers, duration_s=400)
    db.session.commit()
    assert _flags() == {fast.id: "", slow.id: ""}
    frame = responses_frame()
    assert list(frame["flags"]) == ["speeder", ""]
    assert _flags() == {fast.id: "speeder", slow.id: ""}


def test_a_burst_flags_earlier_responses_and_the_day_before(db) -> None:
    """Five answers of one phone in ten minutes across local midnight: the four after the first
    are flagged, the one of the day before too, and that day's unit version is raised."""
    point = make_point(opening_hours="")  # open around the clock: only the burst is judged
    midnight = datetime(2026, 11, 23, 17, 0)  # 00:00 local on the 24th
    first = [_store(point, midnight - timedelta(minutes=m), "phone") for m in (6, 4)]
    db.session.commit()
    responses_frame()  # the 23rd is read and folded: two answers, no burst yet
    assert set(_flags().values()) == {""}
    before = data_version({point.unit_id}, None)
    later = [_store(point, midnight + timedelta(minutes=m), "phone") for m in (1, 2, 3)]
    db.session.commit()
    responses_frame()
    flags = _flags()
    assert flags[first[0].id] == "" and flags[first[1].id] == "burst"
    assert all(flags[r.id] == "burst" for r in later)
    assert data_version({point.unit_id}, None) != before
    # The day before changed after it was folded, so the next reader folds it once more.
    assert settle() == 1 and settle() == 0


def test_deleting_a_response_unflags_the_burst_and_counts_it_out(db) -> None:
    """After a delete the remaining four answers are no burst, and every count goes down."""
    period, point = make_period(), make_point()
    rows = [
        _store(point, MONDAY_9 + timedelta(minutes=m), "phone", period=period, group="G1") for m in range(5)
    ]
    db.session.commit()
    responses_frame()
    assert sorted(_flags().values()) == ["", "burst", "burst", "burst", "burst"]
    before = data_version({point.unit_id}, period.id)
    assert delete_responses([rows[2].id]) == 1
    db.session.commit()
    responses_frame()
    assert sorted(_flags().values()) == ["", "", "", ""]
    assert data_version({point.unit_id}, period.id) != before
    assert db.session.scalar(select(RotationCount.responses)) == 4
    assert response_counts({point.unit_id})[0][-1] == 4


def test_days_folded_under_other_rules_are_refolded_by_refresh(db) -> None:
    """A change of the quality rules leaves stored flags stale until a refresh folds them again."""
    point = make_point()
    row = _store(point, MONDAY_9, duration_s=400)
    db.session.commit()
    responses_frame()
    # As if the rules had flagged it before: the stored flag is stale under today's rules.
    db.session.execute(update(Response).values(flags="speeder"))
    db.session.execute(update(ResponseDay).values(rules="older-rules"))
    version = data_version(None, None)
    assert settle() == 0
    assert settle(stale_rules=True) == 1
    assert _flags() == {row.id: ""}
    assert data_version(None, None) != version


def test_the_migration_counts_the_responses_already_stored(app, db) -> None:
    """Upgrading a database with responses fills versions, rotation and day counts, all dirty."""
    import importlib.util

    from flask_migrate import downgrade, upgrade

    directory = app.extensions["migrate"].directory
    spec = importlib.util.spec_from_file_location(
        "m0050", f"{directory}/versions/0050_aggregates_bookkeeping.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    period, point = make_period(), make_point()
    unit_id, period_id = point.unit_id, period.id
    for k in range(3):
        _store(point, MONDAY_9 + timedelta(hours=20 * k), period=period, group="G2")
    db.session.commit()
    db.session.remove()
    downgrade(directory=directory, revision=module.down_revision)
    db.session.execute(update(Response).values(flags="speeder"))  # flags an import carried
    db.session.commit()
    upgrade(directory=directory)
    days = db.session.execute(select(ResponseDay.day, ResponseDay.responses, ResponseDay.folded)).all()
    # 09:00, 05:00 the next day, 01:00 the day after (local): three days, none folded yet.
    assert sorted(days) == [(MONDAY_9.date() + timedelta(days=k), 1, 0) for k in range(3)]
    assert db.session.scalar(select(RotationCount.responses)) == 3
    assert data_version({unit_id}, period_id) == "v1:1"
    assert set(db.session.scalars(select(Response.flags_given))) == {"speeder"}
