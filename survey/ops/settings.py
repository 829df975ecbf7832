"""The operations settings (environment), with their defaults and one-line problems.

`SIPAS_ENV=production` switches on the production checks; the retention periods say how long
personal data is kept (Law 91/2025 on personal data protection, Decree 13/2023): only as long
as its purpose needs, then erased or, for the audit log, archived.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

__all__ = ["RETENTION", "archive_dir", "init_app", "period", "setting_problems"]

# name -> (default, what the number counts); every period is a whole number of at least 1.
RETENTION = {
    # A salted per-phone hash serves burst detection, which looks at minutes; three months
    # leave room to re-run the quality checks, then the link between one phone's answers goes.
    "SIPAS_RETENTION_DEVICE_HASH_DAYS": ("90", "days after the response"),
    # A closed case's (masked) comment text stays for a year for the unit's follow-up.
    "SIPAS_RETENTION_CASE_TEXT_DAYS": ("365", "days after the case closed"),
    # A phone number given for a call back is deleted when its case closes; this is the
    # backstop for a case left open.
    "SIPAS_RETENTION_CONTACT_DAYS": ("60", "days after it was given"),
    # Who changed what is kept five years in the database, then moved to an archive file.
    "SIPAS_RETENTION_AUDIT_YEARS": ("5", "years after the entry"),
}


def init_app(app: Flask) -> None:
    """Put the operations settings in the app config (test_config and earlier values win)."""
    app.config.setdefault("SIPAS_ENV", os.environ.get("SIPAS_ENV", "development").strip() or "development")
    workers = os.environ.get("SIPAS_WORKERS") or os.environ.get("WEB_CONCURRENCY") or ""
    app.config.setdefault("SIPAS_WORKERS", workers.strip())
    for name, (default, _unit) in RETENTION.items():
        app.config.setdefault(name, os.environ.get(name, default).strip())
    app.config.setdefault("SIPAS_AUDIT_ARCHIVE_DIR", os.environ.get("SIPAS_AUDIT_ARCHIVE_DIR", "").strip())


def _whole(value: object) -> int | None:
    text = str(value).strip()
    return int(text) if text.isdigit() and int(text) >= 1 else None


def setting_problems(app: Flask) -> list[str]:
    """One line per retention setting that is not a whole number of at least 1."""
    return [
        f"{name}: '{app.config[name]}' is not a whole number of at least 1 ({unit})"
        for name, (_default, unit) in RETENTION.items()
        if _whole(app.config[name]) is None
    ]


def period(app: Flask, name: str) -> int:
    """A retention period; ValueError naming the setting when it is not a whole number ≥ 1."""
    value = _whole(app.config[name])
    if value is None:
        raise ValueError(f"{name}: '{app.config[name]}' is not a whole number of at least 1")
    return value


def archive_dir(app: Flask) -> Path:
    """Where archived audit entries go (default: instance/audit-archive)."""
    return Path(app.config["SIPAS_AUDIT_ARCHIVE_DIR"] or Path(app.instance_path) / "audit-archive")
