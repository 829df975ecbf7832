"""Respondents stay unlinkable in what the platform stores and exports."""

from __future__ import annotations

import csv
import datetime as dt

from sqlalchemy import inspect, select

from survey.models import AuditLog, ReceiptCode, Response
from tests.admin.conftest import World
from tests.factories import make_period
from tests.survey_client import open_form, post_answers


def _answer(client, token: str) -> None:  # type: ignore[no-untyped-def]
    t, csrf = open_form(client, token)
    assert post_answers(client, token, t, csrf, {"B1.1": "5"}).status_code == 303


def test_one_phones_hash_links_within_a_period_but_not_across_periods(app, db, world: World) -> None:
    """Two answers of one phone share a hash in one period; in the next period the hash differs."""
    phone = app.test_client()
    _answer(phone, world.point.token)
    _answer(phone, world.point.token)
    from survey.models import Period

    current = db.session.scalars(select(Period)).one()
    current.is_open = False
    today = dt.date.today()
    make_period("2027", starts_on=today - dt.timedelta(days=1), ends_on=today + dt.timedelta(days=5))
    db.session.commit()
    _answer(phone, world.point.token)
    hashes = [r.device_hash for r in db.session.scalars(select(Response).order_by(Response.id))]
    assert hashes[0] == hashes[1] and hashes[0] is not None
    assert hashes[2] is not None and hashes[2] != hashes[0]


def test_receipt_use_is_a_flag_and_a_date_without_a_time(app, db, runner, world: World) -> None:
    """A redeemed code keeps `used` and the local date only: nothing to match the response's time with."""
    result = runner.invoke(args=["sipas", "receipt-codes", "--unit", "03408", "--point", "Q01"])
    code = result.output.strip().splitlines()[-1].split("\t")[0]
    phone = app.test_client()
    phone.get(f"/r/{code}")
    _answer(phone, world.point.token)
    record = db.session.scalars(select(ReceiptCode)).one()
    assert record.used is True
    assert type(record.used_on) is dt.date
    columns = {c["name"]: str(c["type"]) for c in inspect(db.engine).get_columns("receipt_code")}
    assert "used_at" not in columns
    assert "DATE" in columns["used_on"].upper() and "TIME" not in columns["used_on"].upper()


def _export_rows(path) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_exports_leave_the_device_hash_out_unless_asked(app, db, runner, world: World, tmp_path) -> None:
    """export-responses writes an empty device_hash column; --with-device-hash keeps it and is audited."""
    _answer(app.test_client(), world.point.token)
    plain, full = tmp_path / "plain.csv", tmp_path / "full.csv"
    assert runner.invoke(args=["sipas", "export-responses", "--out", str(plain)]).exit_code == 0
    assert [r["device_hash"] for r in _export_rows(plain)] == [""]
    result = runner.invoke(args=["sipas", "export-responses", "--with-device-hash", "--out", str(full)])
    assert result.exit_code == 0, result.output
    stored = db.session.scalars(select(Response.device_hash)).one()
    assert [r["device_hash"] for r in _export_rows(full)] == [stored]
    assert db.session.scalars(select(AuditLog.action)).all().count("responses.export_device_hash") == 1


def test_web_export_has_no_device_hash_for_analysts_even_when_asked(
    app, as_admin, as_analyst, db, world
) -> None:
    """The report export omits the hash; an analyst asking gets none, an admin asking gets it (audited)."""
    _answer(app.test_client(), world.point.token)
    url = "/reports/03408/responses.csv"
    for client in (as_analyst, as_analyst):
        rows = list(csv.DictReader(client.get(url + "?device_hash=1").text.splitlines()))
        assert [r["device_hash"] for r in rows] == [""]
    rows = list(csv.DictReader(as_admin.get(url).text.splitlines()))
    assert [r["device_hash"] for r in rows] == [""]
    rows = list(csv.DictReader(as_admin.get(url + "?device_hash=1").text.splitlines()))
    assert rows[0]["device_hash"] == db.session.scalars(select(Response.device_hash)).one()
    assert db.session.scalars(
        select(AuditLog.actor).where(AuditLog.action == "responses.export_device_hash")
    ).all() == [world.admin.email]


def test_no_table_holds_an_address_or_user_agent(db) -> None:
    """No column anywhere is meant for a client address or a browser's user agent."""
    names = {
        c["name"] for t in inspect(db.engine).get_table_names() for c in inspect(db.engine).get_columns(t)
    }
    assert not {n for n in names if any(w in n for w in ("ip", "addr", "agent", "remote"))} - {"description"}
