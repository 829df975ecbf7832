"""`flask sipas …` commands: init, seed-demo, tokens, export-responses."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from analysis.instrument import load_instrument
from analysis.interchange import columns, read_responses
from survey.models import Answer, Period, Response, ServicePoint, Unit
from tests.factories import make_open_point
from tests.survey_client import hidden, open_form, post_answers


def count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def test_init_is_idempotent(runner):
    """`sipas init` on a migrated database succeeds and says so."""
    result = runner.invoke(args=["sipas", "init"])
    assert result.exit_code == 0, result.output
    assert "newest migration" in result.output


def test_seed_demo_builds_the_province_once(runner, db):
    """seed-demo loads Lai Châu's 168 units, counters, two periods and the responses asked for."""
    result = runner.invoke(args=["sipas", "seed-demo", "--responses", "120"])
    assert result.exit_code == 0, result.output
    assert count(db, Unit) == 168
    assert count(db, Response) == 120
    assert db.session.scalar(select(func.count()).select_from(Period).where(Period.is_open.is_(True))) == 1
    merged = db.session.scalars(select(Unit).where(Unit.code == "LC-OLD-03424")).one()
    assert merged.successor.code == "03424" and merged.valid_to.isoformat() == "2025-06-30"
    login = runner.invoke(args=["sipas", "demo-login"])
    assert login.exit_code == 0
    assert {line.split()[0] for line in login.output.splitlines()[1:]} == {"admin", "analyst", "viewer"}
    again = runner.invoke(args=["sipas", "seed-demo", "--responses", "50"])
    assert again.exit_code == 0 and "already" in again.output
    assert count(db, Response) == 120


def test_demo_admin_can_log_in(runner, client):
    """The demo admin printed by demo-login logs in with its password."""
    runner.invoke(args=["sipas", "seed-demo", "--responses", "10"])
    admin_line = runner.invoke(args=["sipas", "demo-login"]).output.splitlines()[1].split()
    email, password = admin_line[1], admin_line[-1]
    page = client.get("/login")
    reply = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": hidden(page.text, "csrf_token")}
    )
    assert reply.status_code == 303
    assert client.get("/admin/").status_code == 200


def test_demo_responses_respect_the_skip_rules(runner, db):
    """No synthetic response answers B4 without S1 = 2 (the demo data obey the instrument)."""
    runner.invoke(args=["sipas", "seed-demo", "--responses", "200"])
    b4 = select(Answer.response_id).where(Answer.item_code.like("B4.%"))
    collecting = select(Answer.response_id).where(Answer.item_code == "S1", Answer.value == 2)
    assert db.session.scalar(select(func.count()).select_from(b4.except_(collecting).subquery())) == 0
    assert db.session.scalar(select(func.count()).select_from(b4.subquery())) > 0


def test_tokens_prints_one_active_point_per_line(runner, db):
    """tokens prints a TSV header and the public survey URL of each active point."""
    point = make_open_point()
    result = runner.invoke(args=["sipas", "tokens"])
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.output), delimiter="\t"))
    assert rows == [
        ["unit_code", "point_code", "survey_url"],
        ["LC-SNV", "Q01", f"https://sipas.example.vn/s/{point.token}"],
    ]


def test_tokens_unknown_unit_fails_with_one_line(runner, db):
    """An unknown --unit is a one-line error and a non-zero exit."""
    make_open_point()
    result = runner.invoke(args=["sipas", "tokens", "--unit", "NOPE"])
    assert result.exit_code != 0
    assert "unknown unit code 'NOPE'" in result.output


def test_export_writes_the_interchange_format(runner, db, client, tmp_path):
    """export-responses writes every stored answer in the interchange CSV, readable back."""
    point = make_open_point()
    t, csrf = open_form(client, point.token, S1="2")
    post_answers(
        client,
        point.token,
        t,
        csrf,
        {"S1": "2", "B4.3": "5", "E1": ["2", "4"], "C1": "Tốt", "policy_group": "G9", "A3": "4"},
    )
    out = tmp_path / "responses.csv"
    result = runner.invoke(args=["sipas", "export-responses", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ins = load_instrument("sipas-2025")
    with out.open(encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert header == columns(ins)
    frame = read_responses(out, ins)
    row = frame.iloc[0]
    assert (row["unit_code"], row["point_code"], row["channel"]) == ("LC-SNV", "Q01", "qr")
    assert (row["S1"], row["B4.3"], row["A3.G9"], row["E1"], row["comment"]) == (2, 5, 4, "2;4", "Tốt")
    assert len(frame) == 1 and not (tmp_path / "responses.csv.part").exists()


def test_export_unknown_period_fails_and_writes_nothing(runner, db, tmp_path):
    """An unknown --period is a one-line error and no file is written."""
    make_open_point()
    out = tmp_path / "x.csv"
    result = runner.invoke(args=["sipas", "export-responses", "--period", "1999", "--out", str(out)])
    assert result.exit_code != 0
    assert "unknown period code '1999'" in result.output
    assert not out.exists()


def test_export_of_one_period_only(runner, db, tmp_path):
    """--period keeps only that period's responses."""
    runner.invoke(args=["sipas", "seed-demo", "--responses", "300"])
    out = tmp_path / "p.csv"
    period = db.session.scalars(select(Period).where(Period.is_open.is_(True))).one()
    expected = db.session.scalar(
        select(func.count()).select_from(Response).where(Response.period_id == period.id)
    )
    result = runner.invoke(args=["sipas", "export-responses", "--period", period.code, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(read_responses(out, load_instrument("sipas-2025"))) == expected > 0
    assert db.session.scalar(select(func.count()).select_from(ServicePoint)) == 9


def test_seed_demo_without_responses(runner, db):
    """--responses 0 seeds the units, counters and periods and no response."""
    result = runner.invoke(args=["sipas", "seed-demo", "--responses", "0"])
    assert result.exit_code == 0, result.output
    assert (count(db, Unit), count(db, ServicePoint), count(db, Response)) == (168, 9, 0)


def test_demo_login_belongs_to_its_database(runner, app, tmp_path):
    """demo-login prints nothing it cannot vouch for: logins seeded into another database are not shown."""
    runner.invoke(args=["sipas", "seed-demo", "--responses", "0"])
    path = tmp_path / "demo-login.txt"
    path.write_text(path.read_text().replace("database\t", "database\tsqlite:////elsewhere/", 1))
    result = runner.invoke(args=["sipas", "demo-login"])
    assert result.exit_code == 0
    assert "no demo accounts for this database" in result.output and "password" not in result.output


def test_export_to_a_missing_folder_is_one_line(runner, db, tmp_path):
    """export-responses into a folder that does not exist is a one-line error and writes nothing."""
    make_open_point()
    out = tmp_path / "nowhere" / "x.csv"
    result = runner.invoke(args=["sipas", "export-responses", "--out", str(out)])
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [f"Error: --out: folder '{out.parent}' does not exist"]
