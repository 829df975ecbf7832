"""`sipas retention`: exactly the data past its period goes, nothing else, and the indices stay equal."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from survey import audit
from survey.aggregates import settle
from survey.bridge import responses_frame
from survey.extensions import db as _db
from survey.instrument import instrument
from survey.models import AuditArchive, AuditLog, Base, CaseContact, Response, utcnow
from survey.models.aggregates import ResponseDay
from survey.ops import retention
from survey.responses import store_response
from tests.factories import make_case, make_period, make_point, make_unit

DAYS = 90  # the default SIPAS_RETENTION_DEVICE_HASH_DAYS
YEARS = 5  # the default SIPAS_RETENTION_AUDIT_YEARS
CASE_DAYS = 365  # the default SIPAS_RETENTION_CASE_TEXT_DAYS
CONTACT_DAYS = 60  # the default SIPAS_RETENTION_CONTACT_DAYS


@dataclass
class Province:
    """The test province's clock and the cutoffs the default settings give."""

    now: datetime
    hash_cutoff: datetime
    audit_cutoff: datetime


def _answers(rng: np.random.Generator, low: bool = False) -> dict[str, int]:
    screeners = {"S1": 2, "B5.0": 1}
    items = [i for i in instrument().index_items if i.group in (None, "G1") and i.applies(screeners)]
    codes = [1, 2, 2, 3] if low else [2, 3, 4, 4, 5, 5]
    return {**screeners, **{i.code: int(rng.choice(codes)) for i in items}, "B0": int(rng.choice(codes))}


@pytest.fixture
def province(db, app, tmp_path) -> Province:  # type: ignore[no-untyped-def]
    """Responses and audit entries on both sides of the retention cutoffs.

    30 phones answer once (half before the device-hash cutoff), a phone answers six times in
    ten minutes at one counter across the cutoff (a burst: five are flagged, two before the
    cutoff), three paper answers carry no hash; audit entries are 6, 4 and 0 years old.
    Cases: two closed 400 days ago (one text due), one closed 300 days ago, one open; call-back
    numbers given 70 days ago (on the open case: due) and 10 days ago (kept).
    """
    app.config["SIPAS_AUDIT_ARCHIVE_DIR"] = str(tmp_path / "archive")
    now = utcnow()
    p = Province(now, now - timedelta(days=DAYS), now.replace(year=now.year - YEARS))
    period = make_period(
        "2026", starts_on=(now - timedelta(days=400)).date(), ends_on=(now + timedelta(days=30)).date()
    )
    unit = make_unit()
    q1, q2 = make_point(unit, "Q01"), make_point(unit, "Q02", "Quầy 2")
    rng = np.random.default_rng(11)

    def respond(point, at, device, low=False):  # type: ignore[no-untyped-def]
        store_response(
            point=point,
            period=period,
            answers=_answers(rng, low),
            policy_group="G1",
            language="vi",
            duration_s=240,
            device_hash=device,
            submitted_at=at,
        )

    for n in range(30):
        days = 100 + n * 7 if n < 15 else 1 + 5 * (n - 15)
        respond(q1 if n % 2 else q2, now - timedelta(days=days, hours=n % 7), f"{n:032x}")
    for k in range(6):
        respond(q1, p.hash_cutoff + timedelta(minutes=2 * k - 5), "b" * 32, low=True)
    for n in range(3):
        respond(q2, now - timedelta(days=200 + n), None)
    for years, action in ((6, "unit.update"), (6, "user.create"), (6, "login.success"), (4, "unit.create")):
        entry = audit.record(
            action, "unit", "1", after={"name": "Xã Mường Tè"}, actor="canbo@snv.laichau.gov.vn"
        )
        entry.at = now.replace(year=now.year - years) - timedelta(days=1)
    audit.record("period.open", "period", period.id, actor="admin@snv.laichau.gov.vn")
    for days_closed, status, comment in (
        (400, "closed", "Chờ lâu quá, gọi số 09** *** ***."),
        (400, "closed", None),  # its text is already gone
        (300, "closed", "Cần thêm ghế."),
        (None, "answered", "Thiếu hướng dẫn."),
    ):
        case = make_case(unit, comment or "x", status=status, created_at=now - timedelta(days=420))
        case.text = comment
        if days_closed:
            case.closed_at = now - timedelta(days=days_closed)
    open_case = make_case(unit, "Gọi lại cho tôi.", created_at=now - timedelta(days=70))
    recent_case = make_case(unit, "Gọi lại giúp.", created_at=now - timedelta(days=10))
    _db.session.flush()
    _db.session.add(
        CaseContact(case=open_case, phone="0912345678", consent="…", consented_at=now - timedelta(days=70))
    )
    _db.session.add(
        CaseContact(case=recent_case, phone="0987654321", consent="…", consented_at=now - timedelta(days=10))
    )
    _db.session.commit()
    settle()  # the quality flags are stored, as any report would have had them stored
    _db.session.commit()
    return p


def _snapshot() -> dict[str, dict[object, dict[str, object]]]:
    """Every row of every table, keyed by primary key."""
    out = {}
    for table in Base.metadata.sorted_tables:
        rows = [dict(r._mapping) for r in _db.session.execute(select(table))]
        out[table.name] = {tuple(r[c.name] for c in table.primary_key): r for r in rows}
    _db.session.rollback()
    return out


def _indices(app) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["sipas", "compute", "--by", "point", "--format", "json"])
    assert result.exit_code == 0, result.output
    return result.output


def _burst_flags() -> list[bool]:
    frame = responses_frame()
    return ["burst" in f for f in frame.sort_values("submitted_at")["flags"]]


def test_dry_run_counts_each_kind_and_changes_nothing(app, db, province):
    """--dry-run: per kind, how many rows would go and by which setting; every table unchanged."""
    before = _snapshot()
    result = app.test_cli_runner().invoke(args=["sipas", "retention", "--dry-run"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("device_hash: 18 responses lose their device hash (due; older than ")
    assert lines[0].endswith(", SIPAS_RETENTION_DEVICE_HASH_DAYS=90)")
    assert lines[1].startswith("case_text: 1 closed cases lose their comment text")
    assert lines[1].endswith(", SIPAS_RETENTION_CASE_TEXT_DAYS=365)")
    assert lines[2].startswith("case_contact: 1 call-back phone numbers are deleted (due; ")
    assert lines[2].endswith(", SIPAS_RETENTION_CONTACT_DAYS=60)")
    assert lines[3].startswith("audit_log: 3 audit entries move to an archive file in ")
    assert lines[3].endswith(", SIPAS_RETENTION_AUDIT_YEARS=5)")
    assert lines[-1] == "dry run: nothing changed"
    assert _snapshot() == before


def test_exactly_the_data_past_its_period_goes_and_nothing_else(app, db, province):
    """Old device hashes are erased, old audit entries leave for the archive; every other value stays."""
    before = _snapshot()
    retention.apply(app, now=province.now, actor="sipas retention")
    after = _snapshot()
    old_hash = {
        k
        for k, r in before["response"].items()
        if r["device_hash"] and r["submitted_at"] < province.hash_cutoff
    }
    old_audit = {k for k, r in before["audit_log"].items() if r["at"] < province.audit_cutoff}
    assert (len(old_hash), len(old_audit)) == (18, 3)
    for key, row in before["response"].items():
        changed = {c for c in row if row[c] != after["response"][key][c]}
        assert changed <= {"device_hash", "flags_given"}, (key, changed)
        assert (after["response"][key]["device_hash"] is None) == (
            key in old_hash or row["device_hash"] is None
        )
    assert set(after["audit_log"]) == set(before["audit_log"]) - old_audit | set(after["audit_log"]) - set(
        before["audit_log"]
    )
    assert all(after["audit_log"][k] == before["audit_log"][k] for k in set(before["audit_log"]) - old_audit)
    new_entries = [
        after["audit_log"][k]["action"] for k in sorted(set(after["audit_log"]) - set(before["audit_log"]))
    ]
    assert new_entries == [
        "retention.device_hash",
        "retention.case_text",
        "retention.case_contact",
        "audit.archive",
    ]
    assert len(after["audit_archive"]) == 1
    text_due = {
        k
        for k, r in before["citizen_case"].items()
        if r["status"] == "closed" and r["text"] and r["closed_at"] < province.now - timedelta(days=CASE_DAYS)
    }
    assert len(text_due) == 1
    for key, row in before["citizen_case"].items():
        changed = {c for c in row if row[c] != after["citizen_case"][key][c]}
        assert changed == ({"text", "text_removed_at"} if key in text_due else set()), (key, changed)
        if key in text_due:
            assert after["citizen_case"][key]["text"] is None
            assert after["citizen_case"][key]["text_removed_at"] is not None
    contact_cutoff = province.now - timedelta(days=CONTACT_DAYS)
    assert (
        {r["phone"] for r in after["case_contact"].values()}
        == {r["phone"] for r in before["case_contact"].values() if r["consented_at"] >= contact_cutoff}
        == {"0987654321"}
    )
    untouched = set(before) - {"response", "audit_log", "audit_archive", "citizen_case", "case_contact"}
    assert {name: after[name] for name in untouched} == {name: before[name] for name in untouched}


def test_the_indices_are_the_same_before_and_after(app, db, province):
    """The burst that straddles the cutoff stays flagged once its phone's hash is gone: same indices."""
    before, flags_before = _indices(app), _burst_flags()
    assert sum(flags_before) == 5
    retention.apply(app, now=province.now)
    assert _burst_flags() == flags_before
    assert _indices(app) == before
    # The phone's earlier answers have no hash any more: their bursts are given flags now.
    burst = _db.session.scalars(select(Response).where(Response.flags.contains("burst"))).all()
    assert sorted(r.device_hash is None for r in burst) == [False, False, False, True, True]
    assert all(r.flags_given == "burst" for r in burst)


def test_the_indices_stay_equal_when_the_flags_are_computed_again(app, db, province):
    """New quality rules recompute every stored flag (`sipas refresh --all`): the erased hashes'
    bursts are kept, so the indices still equal those before retention."""
    before = _indices(app)
    retention.apply(app, now=province.now)
    _db.session.execute(update(ResponseDay).values(rules="older-rules"))
    _db.session.commit()
    result = app.test_cli_runner().invoke(args=["sipas", "refresh", "--all"])
    assert result.exit_code == 0 and not result.output.startswith("0 days"), result.output
    assert sum(_burst_flags()) == 5
    assert _indices(app) == before


def test_the_archive_file_holds_exactly_the_removed_entries(app, db, province, tmp_path):
    """One JSON line per removed entry with every column; its SHA-256 and count are recorded."""
    old = [
        {c: (v.isoformat() if isinstance(v, datetime) else v) for c, v in dict(r._mapping).items()}
        for r in _db.session.execute(select(AuditLog.__table__).where(AuditLog.at < province.audit_cutoff))
    ]
    retention.apply(app, now=province.now, actor="sipas retention")
    record = _db.session.scalars(select(AuditArchive)).one()
    path = tmp_path / "archive" / record.file_name
    data = path.read_bytes()
    assert [json.loads(line) for line in data.decode().splitlines()] == sorted(old, key=lambda e: e["id"])
    assert (record.entries, record.sha256, record.actor) == (
        3,
        hashlib.sha256(data).hexdigest(),
        "sipas retention",
    )
    logged = _db.session.scalars(select(AuditLog).where(AuditLog.action == "audit.archive")).one()
    assert json.loads(logged.after)["sha256"] == record.sha256 and logged.actor == "sipas retention"


def test_a_second_run_finds_nothing_due(app, db, province):
    """Retention is idempotent: run again at the same time, nothing is due and nothing changes."""
    retention.apply(app, now=province.now)
    before = _snapshot()
    dues = retention.apply(app, now=province.now)
    assert [d.count for d in dues] == [0, 0, 0, 0]
    assert _snapshot() == before


def test_audit_entries_leave_only_through_an_archive(app, db, province):
    """The database refuses deleting an entry no archive covers, old or new, and changing any entry."""
    old = _db.session.scalar(select(AuditLog.id).where(AuditLog.at < province.audit_cutoff))
    for statement in (
        "DELETE FROM audit_log WHERE id = :id",
        "UPDATE audit_log SET actor = 'x' WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            _db.session.execute(text(statement), {"id": old})
        _db.session.rollback()
    retention.apply(app, now=province.now)
    recent = _db.session.scalar(select(AuditLog.id).order_by(AuditLog.id))
    for statement in (
        "DELETE FROM audit_log WHERE id = :id",
        "DELETE FROM audit_archive WHERE id > :id - :id",
        "UPDATE audit_archive SET entries = 0 WHERE id > :id - :id",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            _db.session.execute(text(statement), {"id": recent})
        _db.session.rollback()


def test_the_command_applies_and_reports_what_went(app, db, province):
    """`sipas retention` erases what is due and prints one line per kind with the count done."""
    result = app.test_cli_runner().invoke(args=["sipas", "retention"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("device_hash: 18 responses lose their device hash (done;")
    assert lines[1].startswith("case_text: 1 closed cases lose their comment text") and "(done;" in lines[1]
    assert lines[2].startswith("case_contact: 1 call-back phone numbers are deleted (done;")
    assert (
        lines[3].startswith("audit_log: 3 audit entries move to an archive file in ") and "(done;" in lines[3]
    )
    assert (
        _db.session.scalar(
            select(Response.id).where(
                Response.device_hash.is_not(None), Response.submitted_at < province.hash_cutoff
            )
        )
        is None
    )


def test_a_bad_period_setting_is_refused_with_one_line(app, db, province):
    """A retention period that is not a whole number: one line naming it, nothing erased."""
    app.config["SIPAS_RETENTION_DEVICE_HASH_DAYS"] = "ninety"
    before = _snapshot()
    result = app.test_cli_runner().invoke(args=["sipas", "retention"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: SIPAS_RETENTION_DEVICE_HASH_DAYS: 'ninety' is not a whole number of at least 1"
        " (days after the response)\n"
    )
    assert _snapshot() == before
