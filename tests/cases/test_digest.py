"""`sipas digest`: each unit's viewers and Sở Nội vụ get the right cases by e-mail, through a real
SMTP server (aiosmtpd on a loopback port), on both databases.

The world (tests/admin/conftest.py): province 12 → ward 03408 (which carries on the retired
ward LC-OLD-03412) and ward 03388; the viewer of 03408, an admin and an analyst.
"""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from survey.cases import digest, drop
from survey.cases import settings as case_settings
from survey.extensions import db as _db
from survey.models import CaseContact, DigestRun, utcnow
from survey.periods import local_today
from tests.cases.conftest import World
from tests.cases.test_drop import respond
from tests.factories import make_case, make_point, make_unit, make_user

INSPECTORATE = "thanhtra@laichau.gov.vn"  # listed in SIPAS_CASES_ESCALATE_TO, no account
OTHER_VIEWER = "canbo@doanket.laichau.gov.vn"
PHONE = "0912345678"


@dataclass
class Received:
    """One e-mail as the server received it."""

    to: list[str]
    subject: str
    body: str


@dataclass
class Sink:
    """aiosmtpd handler keeping every message it is given."""

    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
        self.messages.append(Received(list(envelope.rcpt_tos), str(msg["Subject"]), msg.get_content()))
        return "250 OK"

    def to(self, address: str) -> Received:
        found = [m for m in self.messages if m.to == [address]]
        assert len(found) == 1, (address, [m.to for m in self.messages])
        return found[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(app: Flask) -> Iterator[Sink]:
    """A real SMTP server on a free loopback port, and the app set to send through it."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_SECURITY="none")
    app.config["CASES_ESCALATE_TO"] = (INSPECTORATE,)
    yield sink
    controller.stop()


@pytest.fixture
def cases(db, world: World) -> dict[str, int]:
    """Cases worked out by hand against the real clock (the first run covers the last 24 hours):

    ward 03408: a complaint 1 h old (new; its citizen left a call-back number), an allegation of
    misconduct 2 h old (new, escalated), an allegation 30 days old (open), a case in progress
    since 2 days (not new: older than 24 h; not overdue: at most 2 working days old), one
    answered 30 days ago (closed to the digest). Retired ward LC-OLD-03412 (part of 03408's
    history): a suggestion 30 days old still new — 30 calendar days hold at least 20 working
    days, far past the 5 allowed, so overdue. Ward 03388: a complaint 3 h old (new). A commune
    with a viewer and no case: no e-mail for them. An inactive viewer of 03408: none either.
    """
    now = utcnow()
    other = make_user(OTHER_VIEWER, "viewer", unit=world.other)
    quiet = make_unit("03390", "Xã Nậm Loỏng", "commune", parent=world.province)
    make_user("canbo@namloong.laichau.gov.vn", "viewer", unit=quiet)
    make_user("nghiviec@tanphong.laichau.gov.vn", "viewer", unit=world.ward, active=False)
    fresh = make_case(world.ward, "Chờ quá lâu ở quầy một cửa.", created_at=now - timedelta(hours=1))
    _db.session.add(CaseContact(case=fresh, phone=PHONE, consent="Đồng ý được gọi lại."))
    ids = {
        "fresh": fresh.id,
        "allegation": make_case(
            world.ward, "Cán bộ đòi tiền bồi dưỡng.", "misconduct", created_at=now - timedelta(hours=2)
        ).id,
        "old_allegation": make_case(
            world.ward, "Cán bộ gây khó dễ.", "misconduct", created_at=now - timedelta(days=30)
        ).id,
        "working": make_case(
            world.ward, "Thiếu bút viết.", status="in_progress", created_at=now - timedelta(days=2)
        ).id,
        "answered": make_case(
            world.ward, "Đã được hướng dẫn.", "praise", status="answered", created_at=now - timedelta(days=30)
        ).id,
        "overdue": make_case(
            world.old, "Nên có thêm ghế chờ.", "suggestion", created_at=now - timedelta(days=30)
        ).id,
        "other": make_case(world.other, "Thiếu ghế ngồi.", created_at=now - timedelta(hours=3)).id,
        "other_viewer": other.id,
    }
    _db.session.commit()
    return ids


def _run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["sipas", "digest", *args])


def test_each_recipient_gets_exactly_what_they_may_see(app, db, world, cases, smtp):
    """Two viewer e-mails and three province e-mails; counts and lists as worked out above."""
    result = _run(app)
    assert result.exit_code == 0, result.output
    assert sorted(m.to[0] for m in smtp.messages) == sorted(
        [world.viewer.email, OTHER_VIEWER, world.admin.email, world.analyst.email, INSPECTORATE]
    )
    today = f"{local_today():%d/%m/%Y}"

    ward = smtp.to(world.viewer.email)
    assert ward.subject == f"SIPAS – Phản ánh của người dân – Phường Tân Phong – ngày {today}"
    assert "PHẢN ÁNH MỚI" in ward.body and ": 1\n- " in ward.body
    new_part, overdue_part = ward.body.split("PHẢN ÁNH QUÁ HẠN")
    assert "Chờ quá lâu ở quầy một cửa." in new_part and "Phản ánh · Mới" in new_part
    assert "(chưa trả lời sau 5 ngày làm việc): 1\n" in overdue_part
    assert "Góp ý, kiến nghị · Mới · Phường Đông Phong · “Nên có thêm ghế chờ.”" in overdue_part
    for absent in ("đòi tiền", "gây khó dễ", "Tố cáo", "Thiếu bút", "hướng dẫn", "Thiếu ghế", PHONE):
        assert absent not in ward.body, absent
    assert "CẢNH BÁO" not in ward.body  # no responses: no drop test

    other = smtp.to(OTHER_VIEWER)
    assert "Phường Đoàn Kết" in other.subject
    assert "“Thiếu ghế ngồi.”" in other.body and "(chưa trả lời sau 5 ngày làm việc): 0\n" in other.body
    assert "Chờ quá lâu" not in other.body and "Nên có thêm ghế" not in other.body

    snv = smtp.to(world.admin.email)
    assert snv.subject == f"SIPAS – Phản ánh của người dân toàn tỉnh – ngày {today}"
    assert smtp.to(world.analyst.email).body == snv.body == smtp.to(INSPECTORATE).body
    # Per unit (new · open · overdue · new allegations), allegations apart from the other counts:
    # 03408 — new: the complaint; open: the complaint and the case in progress; overdue: none;
    # new allegations: one. LC-OLD-03412 — the overdue suggestion. 03388 — the new complaint.
    assert "2 mới, 1 quá hạn" in snv.body
    assert "- Phường Tân Phong (03408): 1 · 2 · 0 · 1\n" in snv.body
    assert "- Phường Đông Phong (LC-OLD-03412): 0 · 1 · 1 · 0\n" in snv.body
    assert "- Phường Đoàn Kết (03388): 1 · 1 · 0 · 0\n" in snv.body
    allegations = snv.body.split("TỐ CÁO TIÊU CỰC MỚI")[1]
    assert allegations.startswith(
        " (chuyển Sở Nội vụ, đơn vị bị tố cáo không thấy): 1 — đang chờ xử lý tất cả: 2\n"
    )
    assert "Tố cáo tiêu cực · Mới · Phường Tân Phong · “Cán bộ đòi tiền bồi dưỡng.”" in allegations
    assert "gây khó dễ" not in snv.body  # an older allegation is counted, not listed again
    assert PHONE not in snv.body

    lines = result.output.splitlines()
    assert "v***@tanphong.laichau.gov.vn: sent (unit 03408: 1 new, 1 overdue)" in lines
    assert "c***@doanket.laichau.gov.vn: sent (unit 03388: 1 new, 0 overdue)" in lines
    assert "t***@laichau.gov.vn: sent (province: 2 new, 1 overdue, 1 new allegations)" in lines
    assert lines[-1].startswith("total: 5 sent, 0 failed (new cases since ")
    assert "viewer@" not in result.output and "thanhtra" not in result.output
    run = db.session.scalars(select(DigestRun)).one()
    assert (run.sent, run.failed) == (5, 0)


def test_a_second_run_sends_only_what_is_new_since_the_first(app, db, world, cases, smtp):
    """After the first run, one new case of 03388: its viewer hears of that one only; 03408's viewer
    hears of nothing new but still of the overdue suggestion; Sở Nội vụ of 1 new, 0 new allegations."""
    assert _run(app).exit_code == 0
    first = db.session.scalars(select(DigestRun)).one()
    smtp.messages.clear()
    make_case(world.other, "Nhà vệ sinh chưa sạch.", created_at=utcnow())
    db.session.commit()

    result = _run(app)
    assert result.exit_code == 0, result.output
    assert len(smtp.messages) == 5
    other = smtp.to(OTHER_VIEWER).body
    assert "Nhà vệ sinh chưa sạch." in other and "Thiếu ghế ngồi." not in other
    ward = smtp.to(world.viewer.email).body
    assert "Chờ quá lâu" not in ward and "Nên có thêm ghế chờ." in ward
    assert f"PHẢN ÁNH MỚI (từ {digest._day(first.started_at)} {digest._hour(first.started_at)}): 0\n" in ward
    snv = smtp.to(world.admin.email).body
    assert "1 mới, 1 quá hạn" in snv and "- Phường Đoàn Kết (03388): 1 · 2 · 0 · 0\n" in snv
    assert "TỐ CÁO TIÊU CỰC MỚI (chuyển Sở Nội vụ, đơn vị bị tố cáo không thấy): 0 —" in snv
    runs = db.session.scalars(select(DigestRun).order_by(DigestRun.id)).all()
    assert runs[1].since == first.started_at and (runs[1].sent, runs[1].failed) == (5, 0)


def test_smtp_down_counts_failures_exits_non_zero_and_loses_nothing(app, db, world, cases, smtp, caplog):
    """Nothing listens on the port: every send fails, each logged with the domain only; the run is
    recorded with its failures; the next run (server back) covers the same cases again."""
    live_port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = free_port()
    with caplog.at_level(logging.WARNING, logger="survey.cases.digest"):
        result = _run(app)
    assert result.exit_code != 0
    assert result.output.count(": FAILED (") == 5
    assert "total: 0 sent, 5 failed" in result.output
    assert "Error: 5 of 5 e-mails could not be sent" in result.output
    warnings = [r.getMessage() for r in caplog.records if r.name == "survey.cases.digest"]
    assert len(warnings) == 5 and all("failed" in w for w in warnings)
    assert "a recipient at tanphong.laichau.gov.vn failed" in " ".join(warnings)
    assert not any("viewer" in w or "admin" in w or "thanhtra" in w for w in warnings)
    assert smtp.messages == []
    failed = db.session.scalars(select(DigestRun)).one()
    assert (failed.sent, failed.failed) == (0, 5)

    app.config["SMTP_PORT"] = live_port
    result = _run(app)
    assert result.exit_code == 0, result.output
    assert "Chờ quá lâu ở quầy một cửa." in smtp.to(world.viewer.email).body
    assert "Cán bộ đòi tiền bồi dưỡng." in smtp.to(INSPECTORATE).body
    again = db.session.scalars(select(DigestRun).order_by(DigestRun.id.desc())).first()
    # The window still starts 24 hours back (no run has succeeded yet), not at the failed run.
    assert again.since < failed.started_at - timedelta(hours=23)


def test_dry_run_prints_and_sends_nothing(app, db, world, cases, smtp):
    """--dry-run: the five e-mails with subject and body on stdout, none sent, no run recorded."""
    result = _run(app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.count(": would send (") == 5
    assert "    Subject: SIPAS – Phản ánh của người dân – Phường Tân Phong" in result.output
    assert "    - " in result.output and "Chờ quá lâu ở quầy một cửa." in result.output
    assert result.output.splitlines()[-1].startswith("dry run: 5 e-mails would go")
    assert smtp.messages == []
    assert db.session.scalars(select(DigestRun)).all() == []


def test_without_a_mail_server_the_digest_refuses(app, db, world, cases):
    app.config["SMTP_HOST"] = ""
    result = _run(app)
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: SIPAS_SMTP_HOST is not set: the digest has no mail server to send through (try --dry-run)"
    )
    assert db.session.scalars(select(DigestRun)).all() == []
    preview = _run(app, "--dry-run")  # a preview needs no mail server
    assert preview.exit_code == 0 and preview.output.count(": would send (") == 4


def test_a_listed_viewer_never_gets_the_allegation_against_their_own_unit(app, db, world, cases, smtp):
    """03408's viewer is also in SIPAS_CASES_ESCALATE_TO: they still get only their unit's digest
    (one e-mail), without the allegation against 03408, and no province digest."""
    app.config["CASES_ESCALATE_TO"] = (INSPECTORATE, world.viewer.email)
    assert _run(app).exit_code == 0
    ward = smtp.to(world.viewer.email)  # exactly one e-mail
    assert "Phường Tân Phong" in ward.subject and "đòi tiền" not in ward.body and "Tố cáo" not in ward.body
    assert len(smtp.messages) == 5


def test_overdue_is_counted_in_working_days_in_vietnam(app, db, world):
    """At Wed 18 Nov 2026 09:00 in Vietnam (02:00 UTC), 5 working days to answer, no holiday in
    November: received Mon 9 Nov → due Mon 16 (10–13, 16 Nov): overdue; received Tue 10 Nov 09:00
    → due Tue 17: overdue; received Tue 10 Nov 18:00 UTC, which is Wed 11 Nov 01:00 in Vietnam →
    due Wed 18: not yet overdue (by the UTC day it would be). New (the last 24 h): the case of
    Tue 17 Nov 10:00 UTC, not the one at 01:00 UTC, an hour before the window opens."""
    now = datetime(2026, 11, 18, 2)
    make_case(world.ward, "Hạn 16.", created_at=datetime(2026, 11, 9, 2))
    make_case(world.ward, "Hạn 17.", status="in_progress", created_at=datetime(2026, 11, 10, 2))
    make_case(world.ward, "Hạn 18.", created_at=datetime(2026, 11, 10, 18))
    make_case(world.ward, "Đã xong.", status="answered", created_at=datetime(2026, 11, 2, 2))
    make_case(world.ward, "Mới trong ngày.", created_at=datetime(2026, 11, 17, 10))
    make_case(world.ward, "Trước cửa sổ.", created_at=datetime(2026, 11, 17, 1))
    db.session.commit()
    mails = digest.compose(now - timedelta(hours=24), now)
    ward = next(m for m in mails if m.to == world.viewer.email)
    new_part, overdue_part = ward.body.split("PHẢN ÁNH QUÁ HẠN")
    assert "PHẢN ÁNH MỚI (từ 17/11/2026 09:00): 1\n" in new_part and "Mới trong ngày." in new_part
    assert "(chưa trả lời sau 5 ngày làm việc): 2\n" in overdue_part
    assert "“Hạn 16.” · hạn 16/11/2026" in overdue_part and "“Hạn 17.” · hạn 17/11/2026" in overdue_part
    assert "Hạn 18." not in ward.body and "Đã xong." not in ward.body and "Trước cửa sổ." not in ward.body
    assert ward.summary == "unit 03408: 1 new, 2 overdue"


def test_the_drop_alert_is_in_the_unit_and_the_province_digest(app, db, world, smtp):
    """A constructed fall (85 % → 60 %) at ward 03408's two counters: its viewer's e-mail states both
    values, the change with its interval and the p-value in words — the numbers of drop.unit_drop
    in Vietnamese writing. The province (12) has only these responses, so its alert fires too;
    ward 03388 has none. No case at all: the alert alone is worth an e-mail."""
    before, after = drop.ranges(local_today())
    points = [world.point, make_point(world.ward, "Q02", "Quầy 2")]
    rng = np.random.default_rng(20261201)
    respond(rng, points, None, before, 240, 0.85)
    respond(rng, points, None, after, 120, 0.60)
    db.session.commit()
    expected = drop.unit_drop(world.ward)
    assert expected.fired

    result = _run(app)
    assert result.exit_code == 0, result.output
    ward = smtp.to(world.viewer.email).body
    n = digest._number
    assert "CẢNH BÁO: CHỈ SỐ SIPAS GIẢM\nChỉ số hài lòng SIPAS của Phường Tân Phong giảm:\n" in ward
    assert f"({after[0]:%d/%m/%Y}–{after[1]:%d/%m/%Y}): {n(expected.value_after)} % (120 ý kiến);" in ward
    assert f"({before[0]:%d/%m/%Y}–{before[1]:%d/%m/%Y}): {n(expected.value_before)} % (240 ý kiến);" in ward
    assert (
        f"- chênh lệch: −{n(-expected.diff)} điểm phần trăm "
        f"(khoảng tin cậy 95 %: từ −{n(-expected.ci_low)} đến −{n(-expected.ci_high)});"
    ) in ward
    assert "- giá trị p (một phía) < 0,001: nếu chỉ số thực tế không giảm, một mức giảm như vậy chỉ" in ward
    assert "chưa đến 1 lần trong 1.000 (ngưỡng cảnh báo 0,01)." in ward
    assert "PHẢN ÁNH MỚI" in ward and "): 0\n" in ward
    assert OTHER_VIEWER not in [m.to[0] for m in smtp.messages]
    snv = smtp.to(world.admin.email).body
    assert "CẢNH BÁO CHỈ SỐ SIPAS GIẢM: 2 đơn vị" in snv
    assert "Chỉ số hài lòng SIPAS của Phường Tân Phong giảm:" in snv
    assert "Chỉ số hài lòng SIPAS của Tỉnh Lai Châu giảm:" in snv
    assert "Phường Đoàn Kết giảm" not in snv
    assert (
        "v***@tanphong.laichau.gov.vn: sent (unit 03408: 0 new, 0 overdue, SIPAS drop alert)" in result.output
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SIPAS_SMTP_SECURITY": "tls"}, "SIPAS_SMTP_SECURITY must be one of none, starttls, ssl"),
        ({"SIPAS_SMTP_PORT": "smtp"}, "SIPAS_SMTP_PORT must be a number, not 'smtp'"),
        ({"SIPAS_SMTP_PORT": "70000"}, "SIPAS_SMTP_PORT must be a port number from 1 to 65535"),
        ({"SIPAS_CASES_ALERT_ALPHA": "5"}, "SIPAS_CASES_ALERT_ALPHA must be a number between 0 and 0.5"),
    ],
)
def test_bad_mail_settings_stop_the_start(monkeypatch, env, message):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(RuntimeError, match=message):
        case_settings.configure(Flask("t"))


def test_mail_settings_and_their_defaults(monkeypatch):
    for key in ("SIPAS_SMTP_HOST", "SIPAS_SMTP_PORT", "SIPAS_SMTP_SECURITY", "SIPAS_MAIL_FROM"):
        monkeypatch.delenv(key, raising=False)
    app = Flask("t")
    case_settings.configure(app)
    assert (app.config["SMTP_HOST"], app.config["SMTP_PORT"], app.config["SMTP_SECURITY"]) == ("", 25, "none")
    assert (app.config["MAIL_FROM"], app.config["CASES_ALERT_ALPHA"]) == ("sipas@localhost", 0.01)
    monkeypatch.setenv("SIPAS_SMTP_SECURITY", "STARTTLS")
    monkeypatch.setenv("SIPAS_SMTP_PORT", "587")
    app = Flask("t")
    case_settings.configure(app)
    assert (app.config["SMTP_PORT"], app.config["SMTP_SECURITY"]) == (587, "starttls")


def test_a_long_list_is_cut_at_50_with_the_rest_counted(app, db, world):
    """52 cases of 03388 received Mon 9 Nov 2026, all overdue on Wed 18 Nov: the count says 52, the
    list shows the first 50 and one line for the 2 others with the page that lists them all."""
    now = datetime(2026, 11, 18, 2)
    make_user(OTHER_VIEWER, "viewer", unit=world.other)
    for k in range(52):
        make_case(world.other, f"Ý kiến số {k + 1}.", created_at=datetime(2026, 11, 9, 2, k))
    db.session.commit()
    body = next(m for m in digest.compose(now - timedelta(hours=24), now) if m.to == OTHER_VIEWER).body
    overdue = body.split("PHẢN ÁNH QUÁ HẠN")[1]
    assert "(chưa trả lời sau 5 ngày làm việc): 52\n" in overdue
    assert "“Ý kiến số 50.”" in overdue and "“Ý kiến số 51.”" not in overdue
    assert overdue.count("\n- ") == 51
    assert "- … và 2 phản ánh khác: https://sipas.example.vn/cases/?overdue=1\n" in overdue
