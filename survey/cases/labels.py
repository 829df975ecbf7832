"""Names of statuses and categories in the reader's language, and dates as people write them."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import format_date, get_locale, lazy_gettext

from survey.periods import LOCAL_TZ

__all__ = ["CATEGORY", "STATUS", "local_date", "local_time"]

STATUS = {
    "new": lazy_gettext("New"),
    "in_progress": lazy_gettext("In progress"),
    "answered": lazy_gettext("Answered"),
    "closed": lazy_gettext("Closed"),
}
CATEGORY = {
    "suggestion": lazy_gettext("Suggestion"),
    "complaint": lazy_gettext("Complaint"),
    "praise": lazy_gettext("Praise"),
    "misconduct": lazy_gettext("Allegation of misconduct"),
}


def _local(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(LOCAL_TZ)


def local_date(value: date | datetime | None) -> str:
    """``12/12/2026`` in Vietnamese, ``12 Dec 2026`` in English; a datetime is naive UTC."""
    if value is None:
        return ""
    day = _local(value).date() if isinstance(value, datetime) else value
    pattern = "dd/MM/yyyy" if str(get_locale() or "vi").startswith("vi") else "d MMM yyyy"
    return format_date(day, pattern)


def local_time(value: datetime | None) -> str:
    """The day and the hour in Vietnam of a naive UTC timestamp."""
    if value is None:
        return ""
    return f"{local_date(value)} {_local(value):%H:%M}"
