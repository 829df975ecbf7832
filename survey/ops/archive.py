"""Moving audit entries older than the retention period into an archive file.

The audit log is append-only in the database; the one way an entry leaves it is this: the
entries are written to a JSON Lines file (one entry a line, every column), the file is synced
and its SHA-256 taken, then, in one transaction, an `audit_archive` record naming the file is
added, the entries it covers are deleted (the database refuses any others), and an audit entry
says who archived what. If the transaction fails, the file is removed and nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import delete, func, select

from survey import audit
from survey.extensions import db
from survey.models import AuditArchive, AuditLog

__all__ = ["ArchiveError", "ArchiveResult", "archive_entries", "archived_count", "due"]

BATCH = 5000


class ArchiveError(Exception):
    """The archive cannot be written; nothing was removed."""


@dataclass(frozen=True)
class ArchiveResult:
    """What an archive run moved: how many entries, into which file, with its SHA-256."""

    entries: int
    path: Path
    sha256: str


def _covered(cutoff: datetime, up_to_id: int):  # type: ignore[no-untyped-def]
    return (AuditLog.at < cutoff) & (AuditLog.id <= up_to_id)


def due(cutoff: datetime) -> tuple[int, int | None]:
    """How many entries are older than ``cutoff``, and the largest id among them."""
    count, up_to = db.session.execute(
        select(func.count(), func.max(AuditLog.id)).where(AuditLog.at < cutoff)
    ).one()
    return int(count), up_to


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _write(path: Path, cutoff: datetime, up_to_id: int) -> tuple[int, str]:
    """Stream the covered entries into ``path`` (created, private, synced); count and SHA-256."""
    columns = [c.name for c in AuditLog.__table__.columns]
    digest, count, last = hashlib.sha256(), 0, 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        while True:
            rows = db.session.execute(
                select(AuditLog.__table__)
                .where(_covered(cutoff, up_to_id), AuditLog.id > last)
                .order_by(AuditLog.id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            for row in rows:
                entry = {c: _plain(getattr(row, c)) for c in columns}
                line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode()
                digest.update(line)
                fh.write(line)
            count, last = count + len(rows), rows[-1].id
        fh.flush()
        os.fsync(fh.fileno())
    return count, digest.hexdigest()


def archive_entries(cutoff: datetime, directory: Path, actor: str) -> ArchiveResult | None:
    """Archive every audit entry older than ``cutoff`` into ``directory``; commits. None if none are due."""
    count, up_to_id = due(cutoff)
    if not count or up_to_id is None:
        return None
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"audit-log-before-{cutoff:%Y-%m-%d}-to-{up_to_id}.jsonl"
    tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
    try:
        written, sha256 = _write(tmp, cutoff, up_to_id)
        os.link(tmp, path)  # never over an earlier archive of the same name
    except FileExistsError as exc:
        raise ArchiveError(f"{path}: an archive of that name exists already; move it away first") from exc
    finally:
        tmp.unlink(missing_ok=True)
    try:
        db.session.add(
            AuditArchive(
                cutoff=cutoff,
                up_to_id=up_to_id,
                entries=written,
                file_name=path.name,
                sha256=sha256,
                actor=actor[:254],
            )
        )
        db.session.flush()
        removed = db.session.execute(delete(AuditLog.__table__).where(_covered(cutoff, up_to_id))).rowcount
        if removed != written:
            raise ArchiveError(f"audit archive: wrote {written} entries, {removed} matched; nothing removed")
        audit.record(
            "audit.archive",
            "audit_log",
            up_to_id,
            actor=actor,
            after={"entries": written, "before": cutoff, "file": path.name, "sha256": sha256},
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return ArchiveResult(written, path, sha256)


def archived_count() -> int:
    """How many entries all archive files hold together."""
    return int(db.session.scalar(select(func.coalesce(func.sum(AuditArchive.entries), 0))) or 0)
