"""Retention: personal data is kept only as long as its purpose needs (Law 91/2025, Decree 13/2023).

Each kind of data has a period (settings.RETENTION); `sipas retention` erases what is older,
and `--dry-run` counts it without changing anything. What is erased never enters an index:
a device hash only serves the burst flag, so the flag it gave becomes a given flag of the
response before the hash goes, and the indices are the same before and after, now and after
any recomputation of the flags. Every run is in the audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import bindparam, func, select, update

from analysis.quality import FLAGS
from survey import audit
from survey.aggregates import settle
from survey.extensions import db
from survey.models import Case, CaseContact, Response, utcnow
from survey.ops import archive, settings

__all__ = ["Due", "apply", "plan"]

# A burst spans minutes; the flags of responses this close after the cutoff may depend on the
# responses whose hashes go, so they are kept too.
FREEZE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Due:
    """One kind of data due for erasure: how many rows, older than when, by which setting."""

    kind: str
    count: int
    before: datetime
    setting: str
    action: str  # what happens to them, for the officer

    def line(self, done: bool) -> str:
        verb = "done" if done else "due"
        return (
            f"{self.kind}: {self.count} {self.action} ({verb}; older than "
            f"{self.before:%Y-%m-%d %H:%M} UTC, {self.setting})"
        )


def _years_before(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


# --- device hashes ------------------------------------------------------------------------


def _hashed_before(cutoff: datetime):  # type: ignore[no-untyped-def]
    return Response.device_hash.is_not(None) & (Response.submitted_at < cutoff)


def _counted(app: Flask, now: datetime, kind: str, setting: str, model, older, action: str) -> Due:  # type: ignore[no-untyped-def]
    """The rows of ``model`` that ``older(cutoff)`` selects, the cutoff ``setting`` days ago."""
    days = settings.period(app, setting)
    cutoff = now - timedelta(days=days)
    count = db.session.scalar(select(func.count()).select_from(model).where(older(cutoff)))
    return Due(kind, int(count or 0), cutoff, f"{setting}={days}", action)


def _device_hashes(app: Flask, now: datetime) -> Due:
    action = "responses lose their device hash"
    return _counted(
        app, now, "device_hash", "SIPAS_RETENTION_DEVICE_HASH_DAYS", Response, _hashed_before, action
    )


def _with_burst(flags: str) -> str:
    names = {f for f in flags.split(";") if f} | {"burst"}
    return ";".join(sorted(names, key=lambda f: (FLAGS.index(f) if f in FLAGS else len(FLAGS), f)))


def _freeze_bursts(cutoff: datetime) -> int:
    """Make the burst flags near the cutoff given flags; returns how many rows changed.

    The stored flags are first brought up to date (computed while the hashes still exist); a
    later recomputation (a new answer that day, new quality rules) joins the given flags with
    what it finds, so a burst it can no longer see stays flagged.
    """
    settle()
    rows = db.session.execute(
        select(Response.id, Response.flags_given).where(
            Response.submitted_at < cutoff + FREEZE_MARGIN, Response.flags.contains("burst")
        )
    ).all()
    frozen = [{"rid": rid, "flags_given": _with_burst(given or "")} for rid, given in rows]
    frozen = [row for row, (_rid, given) in zip(frozen, rows, strict=True) if row["flags_given"] != given]
    if frozen:
        table = Response.__table__
        db.session.execute(update(table).where(table.c.id == bindparam("rid")), frozen)
    return len(frozen)


def _erase_device_hashes(app: Flask, due: Due, actor: str) -> None:
    frozen = _freeze_bursts(due.before)
    db.session.execute(
        update(Response).where(_hashed_before(due.before)).values(device_hash=None),
        execution_options={"synchronize_session": False},
    )
    audit.record(
        "retention.device_hash",
        "response",
        "",
        actor=actor,
        after={"responses": due.count, "before": due.before, "burst_flags_stored": frozen},
    )
    db.session.commit()


# --- audit log ----------------------------------------------------------------------------


def _audit_entries(app: Flask, now: datetime) -> Due:
    setting = "SIPAS_RETENTION_AUDIT_YEARS"
    years = settings.period(app, setting)
    cutoff = _years_before(now, years)
    count, _up_to = archive.due(cutoff)
    action = f"audit entries move to an archive file in {settings.archive_dir(app)}"
    return Due("audit_log", count, cutoff, f"{setting}={years}", action)


def _archive_audit(app: Flask, due: Due, actor: str) -> None:
    archive.archive_entries(due.before, settings.archive_dir(app), actor)


# --- citizens' cases ---------------------------------------------------------------------


def _closed_texts_before(cutoff: datetime):  # type: ignore[no-untyped-def]
    return (Case.status == "closed") & (Case.closed_at < cutoff) & Case.text.is_not(None)


def _case_texts(app: Flask, now: datetime) -> Due:
    action = "closed cases lose their comment text (category, status, reply and dates stay)"
    return _counted(
        app, now, "case_text", "SIPAS_RETENTION_CASE_TEXT_DAYS", Case, _closed_texts_before, action
    )


def _remove_case_texts(app: Flask, due: Due, actor: str) -> None:
    now = utcnow()
    db.session.execute(
        update(Case).where(_closed_texts_before(due.before)).values(text=None, text_removed_at=now),
        execution_options={"synchronize_session": False},
    )
    audit.record(
        "retention.case_text", "case", "", actor=actor, after={"cases": due.count, "before": due.before}
    )
    db.session.commit()


def _contacts(app: Flask, now: datetime) -> Due:
    action = "call-back phone numbers are deleted"
    return _counted(
        app,
        now,
        "case_contact",
        "SIPAS_RETENTION_CONTACT_DAYS",
        CaseContact,
        lambda c: CaseContact.consented_at < c,
        action,
    )


def _delete_contacts(app: Flask, due: Due, actor: str) -> None:
    db.session.execute(
        CaseContact.__table__.delete().where(CaseContact.__table__.c.consented_at < due.before)
    )
    # The entry holds how many went, never a number.
    audit.record(
        "retention.case_contact", "case", "", actor=actor, after={"contacts": due.count, "before": due.before}
    )
    db.session.commit()


# --- the run ------------------------------------------------------------------------------

KINDS: list[tuple[Callable[[Flask, datetime], Due], Callable[[Flask, Due, str], None]]] = [
    (_device_hashes, _erase_device_hashes),
    (_case_texts, _remove_case_texts),
    (_contacts, _delete_contacts),
    (_audit_entries, _archive_audit),
]


def plan(app: Flask, now: datetime | None = None) -> list[Due]:
    """What is due for erasure now, per kind (nothing changes)."""
    now = now or utcnow()
    return [count(app, now) for count, _erase in KINDS]


def apply(app: Flask, now: datetime | None = None, actor: str = "retention") -> list[Due]:
    """Erase what is due, kind by kind (each kind in its own transaction); returns what went."""
    now = now or utcnow()
    done = []
    for count, erase in KINDS:
        due = count(app, now)
        if due.count:
            erase(app, due, actor)
        done.append(due)
    return done
