"""Input checks shared by the admin pages and the commands; messages in the user's language."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

__all__ = ["InputError", "optional_date", "required"]


class InputError(ValueError):
    """Input that an operation refuses; the message names the field and can be shown as is."""


def required(value: str | None, label: str, max_length: int = 200) -> str:
    """The stripped value, or InputError when it is empty or too long."""
    text = (value or "").strip()
    if not text:
        raise InputError(_("%(field)s: required.", field=label))
    if len(text) > max_length:
        raise InputError(_("%(field)s: at most %(n)d characters.", field=label, n=max_length))
    return text


def optional_date(value: str | None, label: str) -> date | None:
    """A YYYY-MM-DD date, None when empty, InputError otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            _("%(field)s: '%(value)s' is not a date (YYYY-MM-DD).", field=label, value=text)
        ) from None
