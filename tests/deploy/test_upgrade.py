"""`sipas init` on last year's database (revision 0004, real data) upgrades it without loss."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from sqlalchemy import MetaData, func, select, text

from analysis import Instrument, compute_indices, flag_responses, read_responses, to_json_dict
from survey.extensions import db
from survey.instrument import instrument
from tests.deploy.conftest import KINDS, app_for, databases, dispose
from tests.deploy.previous_schema import fixture, load_previous_schema
from tests.survey_client import open_form, post_answers

DROPPED = object()
# Old values that a later migration changes on purpose: (table, column) -> the new value as a
# function of the old row, or DROPPED for a column removed on purpose; and new columns whose
# values a migration derives from the old row. A migration that transforms stored data adds its
# rule here, with the reason; any other difference is a loss.
CHANGED: dict[tuple[str, str], Callable[[dict[str, object]], object] | object] = {
    # 0040: a receipt's use is kept as a flag and a date only; the time to the millisecond let
    # whoever minted the code find the response it opened.
    ("receipt_code", "used_at"): DROPPED,
}
DERIVED: dict[tuple[str, str], Callable[[dict[str, object]], object]] = {
    ("receipt_code", "used"): lambda old: old["used_at"] is not None,
    ("receipt_code", "used_on"): lambda old: old["used_at"].date() if old["used_at"] else None,  # type: ignore[attr-defined]
}

Rows = dict[str, list[dict[str, object]]]


@dataclass
class Upgraded:
    """The app on the upgraded database, and every old table's rows as they were before."""

    app: Flask
    before: Rows


def _all_rows() -> Rows:
    """Every table's rows (ordered by primary key), read back from the database as it is."""
    meta = MetaData()
    meta.reflect(bind=db.engine)
    out = {}
    for table in meta.sorted_tables:
        query = select(table).order_by(*table.primary_key)
        out[table.name] = [dict(r._mapping) for r in db.session.execute(query)]
    db.session.remove()
    return out


@pytest.fixture(scope="module", params=KINDS)
def upgraded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upgraded]:
    """The previous-schema fixture loaded into an empty database, read back, then `sipas init`
    (once per kind; the tests read it, and the last one adds a response)."""
    with databases(request.param, tmp_path_factory.mktemp("upgrade")) as new_database:
        app = app_for(new_database())
        load_previous_schema(app)
        with app.app_context():
            before = _all_rows()
        result = app.test_cli_runner().invoke(args=["sipas", "init"])
        assert result.exit_code == 0, result.output
        yield Upgraded(app, before)
        dispose(app)


def _expected(name: str, old: dict[str, object]) -> dict[str, object]:
    row = dict(old)
    for (table, column), rule in CHANGED.items():
        if table == name:
            if rule is DROPPED:
                row.pop(column)
            else:
                row[column] = rule(old)  # type: ignore[operator]
    for (table, column), derive in DERIVED.items():
        if table == name:
            row[column] = derive(old)
    return row


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, date | datetime) else value


def test_the_fixture_loads_as_it_was_made(upgraded):
    """Last year's database holds exactly the fixture's rows: the loading loses nothing either."""
    for name, data in fixture().items():
        if name != "alembic_version":
            got = [[_json(row[c]) for c in data["columns"]] for row in upgraded.before[name]]
            assert got == sorted(data["rows"], key=lambda r: r[0]), name  # every old table's key is id


def test_every_row_and_value_of_the_old_tables_survives(upgraded):
    """Each old table keeps its row count and every value of every old column (by primary key),
    except the changes the migrations declare above."""
    with upgraded.app.app_context():
        after = _all_rows()
    checked = 0
    for name, rows in upgraded.before.items():
        if name == "alembic_version":
            continue
        expected = [_expected(name, old) for old in rows]
        actual = [{c: new[c] for c in expected[0]} for new in after[name]] if expected else after[name]
        assert actual == expected, name
        checked += len(actual)
    assert checked == sum(len(t["rows"]) for n, t in fixture().items() if n != "alembic_version") > 7000


def test_upgrade_reaches_the_single_newest_migration(upgraded):
    """After `sipas init` the database is at the one head of the migrations."""
    from alembic.script import ScriptDirectory

    with upgraded.app.app_context():
        migrate = upgraded.app.extensions["migrate"]
        heads = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory)).get_heads()
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(heads) == 1 and version == heads


def _current_codes() -> dict[int, str]:
    """Unit id -> the code of the unit that carries it today (following successors), from the fixture."""
    units = {
        row[0]: dict(zip(fixture()["unit"]["columns"], row, strict=True)) for row in fixture()["unit"]["rows"]
    }
    out = {}
    for uid in units:
        seen, cur = {uid}, uid
        while units[cur]["successor_id"] is not None and units[cur]["successor_id"] not in seen:
            cur = units[cur]["successor_id"]
            seen.add(cur)
        out[uid] = units[cur]["code"]
    return out


def _rows(name: str) -> list[dict[str, object]]:
    data = fixture()[name]
    return [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]


def _old_data_frame(ins: Instrument):  # type: ignore[no-untyped-def]
    """The fixture's responses in the interchange format, built straight from its rows."""
    units = {r["id"]: r["code"] for r in _rows("unit")}
    points = {r["id"]: r for r in _rows("service_point")}
    codes = _current_codes()
    answers: dict[int, dict[str, list[object]]] = {}
    for a in _rows("answer"):
        answers.setdefault(a["response_id"], {}).setdefault(a["item_code"], []).append(
            a["text"] if a["value"] is None else a["value"]
        )
    items = [c for c in ins.items if ins.items[c].kind in ("single", "multi")]
    header = ["response_id", "submitted_at", "unit_code", "point_code", "channel", "weight", *items]
    header += ["comment", "duration_s", "device_hash", "flags"]
    lines = [header]
    responses = sorted(_rows("response"), key=lambda r: (r["submitted_at"], r["id"]))
    for r in responses:
        got = answers.get(r["id"], {})
        when = datetime.fromisoformat(r["submitted_at"]).replace(tzinfo=UTC).isoformat()
        point = points[r["point_id"]]["code"] if r["point_id"] else ""
        values = [";".join(str(v) for v in sorted(got[c])) if c in got else "" for c in items]
        texts = [t for c, vs in got.items() if ins.items[c].kind == "text" for t in vs]
        lines.append(
            [
                r["public_id"],
                when,
                codes[r["unit_id"]],
                point,
                r["channel"],
                r["weight"],
                *values,
                " ".join(texts),
                "" if r["duration_s"] is None else r["duration_s"],
                r["device_hash"] or "",
                r["flags"],
            ]
        )
    buf = io.StringIO()
    csv.writer(buf).writerows(lines)
    frame = read_responses(io.BytesIO(buf.getvalue().encode()), ins)
    hours = {
        f"{units[p['unit_id']]}/{p['code']}": p["opening_hours"]
        for p in points.values()
        if p["opening_hours"]
    }
    return frame.assign(flags=flag_responses(frame, ins, hours))


def _close(a: object, b: object, path: str = "") -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (path, a, b)
    else:
        assert a == b, (path, a, b)


def test_indices_of_the_upgraded_database_equal_those_of_the_old_data(upgraded):
    """`sipas compute --by unit` after the upgrade equals the indices computed from the fixture's rows."""
    result = upgraded.app.test_cli_runner().invoke(
        args=["sipas", "compute", "--by", "unit", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    after = json.loads(result.output)
    with upgraded.app.app_context():
        ins = instrument()
    expected = to_json_dict(compute_indices(_old_data_frame(ins), ins, by=["unit_code"], weight="weight"))
    _close(after, json.loads(json.dumps(expected)))
    assert sum(g["n"] for g in after["groups"]) > 250


def test_the_upgraded_database_takes_a_new_survey_answer(upgraded):
    """A citizen answers at an old counter after the upgrade: one new response, the old ones intact."""
    from survey.models import Period, Response, ServicePoint
    from survey.periods import local_today

    with upgraded.app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Response))
        period = db.session.scalars(select(Period).where(Period.is_open)).one()
        # The officer extends last year's open period to today (the fixture's dates are fixed).
        period.starts_on, period.ends_on = (
            min(period.starts_on, local_today()),
            max(period.ends_on, local_today()),
        )
        token = db.session.scalars(select(ServicePoint.token).where(ServicePoint.active)).first()
        db.session.commit()
    client = upgraded.app.test_client()
    t, csrf = open_form(client, token, S1="2", **{"B5.0": "2"})
    assert post_answers(client, token, t, csrf, {"S1": "2", "B5.0": "2", "B1.1": "4"}).status_code == 303
    with upgraded.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == before + 1
