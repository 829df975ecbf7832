"""The daily digest of citizens' cases by e-mail (``sipas digest``, cron on working-day mornings).

Who receives what (plain text, Vietnamese, UTF-8):

* **each active unit viewer** with an e-mail address: the cases of their unit's subtree exactly
  as they may read them (:func:`survey.cases.access.case_scope` — an allegation against their
  own unit never appears): the cases new since the last successful run, the open cases past
  their due date in working days (count and list), and the SIPAS drop alert of their unit
  (:mod:`survey.cases.drop`);
* **Sở Nội vụ** — active admin and analyst accounts, and the addresses in
  ``SIPAS_CASES_ESCALATE_TO`` that are not a unit viewer's account (a listed viewer gets the
  viewer digest, which already shows the allegations their access allows): one province
  digest with per-unit counts (new, open, overdue, new allegations), the new allegations of
  misconduct listed, and every unit whose drop alert fired.

A recipient with nothing to hear about (nothing new, nothing overdue, no alert) gets no e-mail.
A case's text is already masked; the call-back phone number a citizen left is never read here.

*New* means received since the start of the last run that sent everything it tried
(``digest_run`` with no failure; first run: the last 24 hours) and before this run started. A
run in which a send failed (the mail server down) is recorded with its failures, and the next
run starts again from the last fully successful run: new cases are never lost, at worst a
recipient hears about one twice.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import textwrap
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from sqlalchemy import and_, select

from survey.cases.access import SNV_ROLES, case_scope
from survey.cases.drop import Drop, p_in_words, unit_drop
from survey.cases.figures import due_date, is_overdue, local_day
from survey.extensions import db
from survey.models import Case, DigestRun, Unit, User, utcnow
from survey.periods import LOCAL_TZ

__all__ = ["Mail", "Outcome", "compose", "mask_address", "run", "send"]

log = logging.getLogger(__name__)

SMTP_TIMEOUT = 30  # seconds for each connect, command and reply
TEXT_WIDTH = 160  # characters of a case's text in a list
LIST_LIMIT = 50  # cases listed per list; the rest are counted, and the web page has them all

STATUS = {"new": "Mới", "in_progress": "Đang xử lý", "answered": "Đã trả lời", "closed": "Đã đóng"}
CATEGORY = {
    "suggestion": "Góp ý, kiến nghị",
    "complaint": "Phản ánh",
    "praise": "Khen ngợi",
    "misconduct": "Tố cáo tiêu cực",
}


@dataclass(frozen=True)
class Mail:
    """One digest e-mail, and a short summary for the command's output."""

    to: str
    subject: str
    body: str
    summary: str


@dataclass
class Outcome:
    """What a run did: the e-mails tried, and for each whether it was sent."""

    since: datetime
    started_at: datetime
    mails: list[Mail] = field(default_factory=list)
    failed: list[Mail] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return len(self.mails) - len(self.failed)


def mask_address(address: str) -> str:
    """``canbo@laichau.gov.vn`` → ``c***@laichau.gov.vn``: enough to tell recipients apart in a log."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "?"


def _day(value: datetime) -> str:
    return f"{local_day(value):%d/%m/%Y}"


def _due(case: Case) -> str:
    return f"{due_date(case.created_at):%d/%m/%Y}"


def _number(value: float, digits: int = 1) -> str:
    """A number as Vietnamese write it: decimal comma, a true minus sign."""
    return f"{value:.{digits}f}".replace(".", ",").replace("-", "−")


def _case_line(case: Case, units: dict[int, Unit], own_unit_id: int | None = None) -> str:
    """``- 30/11/2026 · Phản ánh · Mới · [unit] · “text”`` (the unit when it is not the reader's own)."""
    parts = [_day(case.created_at), CATEGORY[case.category], STATUS[case.status]]
    if case.unit_id != own_unit_id:
        parts.append(units[case.unit_id].name)
    if case.text:
        text = textwrap.shorten(" ".join(case.text.split()), TEXT_WIDTH, placeholder=" …")
        parts.append(f"“{text}”")
    else:
        parts.append("(nội dung đã xóa theo thời hạn lưu giữ)")
    return "- " + " · ".join(parts)


def _base_url() -> str:
    return str(current_app.config["SIPAS_BASE_URL"]).rstrip("/")


def _listed(lines: list[str], page: str) -> list[str]:
    """At most LIST_LIMIT lines, then how many more and where to read them."""
    if len(lines) <= LIST_LIMIT:
        return lines
    rest = len(lines) - LIST_LIMIT
    return [*lines[:LIST_LIMIT], f"- … và {rest} phản ánh khác: {_base_url()}{page}"]


def drop_text(unit: Unit, drop: Drop) -> list[str]:
    """The alert in words: both values, the change with its 95 % interval, the p-value."""
    assert drop.value_before is not None and drop.value_after is not None and drop.diff is not None
    assert drop.p_one_sided is not None
    p = drop.p_one_sided
    p_text = "< 0,001" if p < 0.001 else _number(p, 3)
    interval = (
        f" (khoảng tin cậy 95 %: từ {_number(drop.ci_low)} đến {_number(drop.ci_high)})"
        if drop.ci_low is not None and drop.ci_high is not None
        else ""
    )
    (b0, b1), (a0, a1) = drop.before, drop.after
    return [
        f"Chỉ số hài lòng SIPAS của {unit.name} giảm:",
        f"- 30 ngày gần nhất ({a0:%d/%m/%Y}–{a1:%d/%m/%Y}): {_number(drop.value_after)} % "
        f"({drop.n_after} ý kiến);",
        f"- 90 ngày trước đó ({b0:%d/%m/%Y}–{b1:%d/%m/%Y}): {_number(drop.value_before)} % "
        f"({drop.n_before} ý kiến);",
        f"- chênh lệch: {_number(drop.diff)} điểm phần trăm{interval};",
        f"- giá trị p (một phía) {p_text}: {p_in_words(p)} (ngưỡng cảnh báo {_number(drop.alpha, 2)}).",
        f"Xem báo cáo của đơn vị: {_base_url()}/reports/{unit.code}",
    ]


class _Drops:
    """The drop test of each unit, run at most once per digest."""

    def __init__(self, today) -> None:  # type: ignore[no-untyped-def]
        self.today = today
        self.done: dict[int, Drop] = {}

    def __call__(self, unit: Unit) -> Drop:
        if unit.id not in self.done:
            self.done[unit.id] = unit_drop(unit, self.today)
        return self.done[unit.id]


def _viewer_mail(
    user: User, since: datetime, now: datetime, drops: _Drops, units: dict[int, Unit]
) -> Mail | None:
    assert user.unit is not None
    scope = case_scope(user)
    today = local_day(now)
    new = list(
        db.session.scalars(
            select(Case)
            .where(scope, Case.created_at >= since, Case.created_at < now)
            .order_by(Case.created_at, Case.id)
        )
    )
    open_cases = db.session.scalars(
        select(Case)
        .where(scope, Case.status.in_(("new", "in_progress")), Case.created_at < now)
        .order_by(Case.created_at, Case.id)
    )
    overdue = [c for c in open_cases if is_overdue(c, today)]
    drop = drops(user.unit)
    if not new and not overdue and not drop.fired:
        return None
    due_days, own = int(current_app.config["CASES_DUE_DAYS"]), user.unit_id
    lines = [
        f"Kính gửi cán bộ {user.unit.name},",
        "",
        f"Tóm tắt phản ánh của người dân gửi {user.unit.name} (cả các đơn vị trực thuộc) "
        f"ngày {today:%d/%m/%Y}.",
        "",
        f"PHẢN ÁNH MỚI (từ {_day(since)} {_hour(since)}): {len(new)}",
        *_listed([_case_line(c, units, own) for c in new], "/cases/"),
        "",
        f"PHẢN ÁNH QUÁ HẠN (chưa trả lời sau {due_days} ngày làm việc): {len(overdue)}",
        *_listed([f"{_case_line(c, units, own)} · hạn {_due(c)}" for c in overdue], "/cases/?overdue=1"),
    ]
    if drop.fired:
        lines += ["", "CẢNH BÁO: CHỈ SỐ SIPAS GIẢM", *drop_text(user.unit, drop)]
    lines += ["", f"Xem và xử lý phản ánh: {_base_url()}/cases/", "", _FOOTER]
    summary = f"unit {user.unit.code}: {len(new)} new, {len(overdue)} overdue" + (
        ", SIPAS drop alert" if drop.fired else ""
    )
    subject = f"SIPAS – Phản ánh của người dân – {user.unit.name} – ngày {today:%d/%m/%Y}"
    return Mail(user.email, subject, "\n".join(lines) + "\n", summary)


def _hour(value: datetime) -> str:
    return f"{value.replace(tzinfo=UTC).astimezone(LOCAL_TZ):%H:%M}"


_FOOTER = (
    "Thư này do hệ thống SIPAS gửi tự động mỗi ngày làm việc; không trả lời thư này. "
    "Nội dung phản ánh đã được che thông tin cá nhân."
)


@dataclass
class _UnitCounts:
    new: int = 0
    open: int = 0
    overdue: int = 0
    allegations: int = 0

    def any(self) -> bool:
        return bool(self.new or self.open or self.allegations)


def _province_body(
    since: datetime, now: datetime, drops: _Drops, units: dict[int, Unit]
) -> tuple[list[str], str] | None:
    today = local_day(now)
    window = and_(Case.created_at >= since, Case.created_at < now)
    cases = db.session.scalars(
        select(Case)
        .where(Case.created_at < now, (Case.status.in_(("new", "in_progress"))) | window)
        .order_by(Case.created_at, Case.id)
    )
    counts: dict[int, _UnitCounts] = defaultdict(_UnitCounts)
    new_allegations: list[Case] = []
    open_allegations = 0
    for case in cases:
        row = counts[case.unit_id]
        is_new = since <= case.created_at < now
        if case.escalated:
            open_allegations += case.is_open
            if is_new:
                row.allegations += 1
                new_allegations.append(case)
            continue
        row.new += is_new
        row.open += case.is_open
        row.overdue += is_overdue(case, today)
    current = [u for u in units.values() if u.valid_to is None or u.valid_to >= today]
    fired = [(u, d) for u in sorted(current, key=lambda u: u.code) if (d := drops(u)).fired]
    new_total = sum(r.new for r in counts.values())
    overdue_total = sum(r.overdue for r in counts.values())
    if not new_total and not overdue_total and not new_allegations and not fired:
        return None
    rows = sorted(((units[uid], r) for uid, r in counts.items() if r.any()), key=lambda x: x[0].name)
    lines = [
        "Kính gửi Sở Nội vụ,",
        "",
        f"Tóm tắt phản ánh của người dân toàn tỉnh ngày {today:%d/%m/%Y} "
        f"(phản ánh mới: từ {_day(since)} {_hour(since)}).",
        "",
        f"THEO ĐƠN VỊ (mới · đang mở · quá hạn · tố cáo mới): {new_total} mới, {overdue_total} quá hạn",
        *(f"- {u.name} ({u.code}): {r.new} · {r.open} · {r.overdue} · {r.allegations}" for u, r in rows),
        "",
        f"TỐ CÁO TIÊU CỰC MỚI (chuyển Sở Nội vụ, đơn vị bị tố cáo không thấy): {len(new_allegations)}"
        f" — đang chờ xử lý tất cả: {open_allegations}",
        *_listed([_case_line(c, units) for c in new_allegations], "/cases/?category=misconduct"),
    ]
    if fired:
        lines += ["", f"CẢNH BÁO CHỈ SỐ SIPAS GIẢM: {len(fired)} đơn vị"]
        for unit, drop in fired:
            lines += ["", *drop_text(unit, drop)]
    lines += ["", f"Xem và xử lý phản ánh: {_base_url()}/cases/", "", _FOOTER]
    summary = (
        f"province: {new_total} new, {overdue_total} overdue, {len(new_allegations)} new allegations"
        + (f", {len(fired)} SIPAS drop alerts" if fired else "")
    )
    return lines, summary


def _province_recipients() -> list[str]:
    """Active admins and analysts, and the listed addresses that are not a viewer's or an inactive account."""
    accounts = {u.email.lower(): u for u in db.session.scalars(select(User))}
    out = [u.email.lower() for u in accounts.values() if u.role in SNV_ROLES and u.active and "@" in u.email]
    for address in current_app.config.get("CASES_ESCALATE_TO", ()):
        account = accounts.get(address)
        if account is None or (account.active and account.role in SNV_ROLES):
            out.append(address)
    return sorted(set(out))


def compose(since: datetime, now: datetime) -> list[Mail]:
    """Every e-mail of a digest covering cases received from ``since`` to ``now`` (naive UTC)."""
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    drops = _Drops(local_day(now))
    mails: list[Mail] = []
    viewers = db.session.scalars(
        select(User)
        .where(User.role == "viewer", User.active.is_(True), User.unit_id.is_not(None))
        .order_by(User.email)
    )
    for user in viewers:
        if "@" in user.email and (mail := _viewer_mail(user, since, now, drops, units)):
            mails.append(mail)
    province = _province_body(since, now, drops, units)
    if province is not None:
        lines, summary = province
        subject = f"SIPAS – Phản ánh của người dân toàn tỉnh – ngày {local_day(now):%d/%m/%Y}"
        body = "\n".join(lines) + "\n"
        mails.extend(Mail(to, subject, body, summary) for to in _province_recipients())
    return mails


def message(mail: Mail) -> EmailMessage:
    """The e-mail itself: plain text, UTF-8."""
    sender = str(current_app.config["MAIL_FROM"])
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=_domain(sender) if "@" in sender else "localhost")
    msg.set_content(mail.body, charset="utf-8")
    return msg


def send(mail: Mail) -> None:
    """Send one e-mail through the configured server (SIPAS_SMTP_*); OSError or SMTPException on failure."""
    cfg = current_app.config
    host, port, security = cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), cfg["SMTP_SECURITY"]
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=context)
        if cfg["SMTP_USER"]:
            smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
        smtp.send_message(message(mail))


def last_success() -> DigestRun | None:
    """The latest run that sent everything it tried."""
    return db.session.scalars(
        select(DigestRun)
        .where(DigestRun.failed == 0)
        .order_by(DigestRun.started_at.desc(), DigestRun.id.desc())
    ).first()


def run(
    dry_run: bool = False,
    now: datetime | None = None,
    report: Callable[[Mail, bool | None], None] | None = None,
) -> Outcome:
    """Compose and send the digest; record the run (not in a dry run). ``report(mail, sent)`` is called
    for each e-mail (``sent`` None in a dry run)."""
    now = now or utcnow()
    previous = last_success()
    since = previous.started_at if previous is not None else now - timedelta(hours=24)
    outcome = Outcome(since, now, compose(since, now))
    for mail in outcome.mails:
        if dry_run:
            if report:
                report(mail, None)
            continue
        try:
            send(mail)
        except (OSError, smtplib.SMTPException) as exc:
            outcome.failed.append(mail)
            domain, kind = _domain(mail.to), type(exc).__name__
            log.warning("digest: the e-mail to a recipient at %s failed (%s)", domain, kind)
            if report:
                report(mail, False)
            continue
        if report:
            report(mail, True)
    if not dry_run:
        db.session.add(DigestRun(started_at=now, since=since, sent=outcome.sent, failed=len(outcome.failed)))
        db.session.commit()
    return outcome
