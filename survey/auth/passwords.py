"""Password hashing (argon2id) and the rules a new password must follow."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _

__all__ = ["MIN_LENGTH", "hash_password", "password_problem", "verify_password"]

MIN_LENGTH = 10


def _cheap() -> bool:
    # Tests log in hundreds of times; the cheapest parameters keep them fast. Every hash
    # carries its own parameters, so verification works whichever profile made it.
    return has_app_context() and bool(current_app.testing)


def _hasher(cheap: bool) -> PasswordHasher:
    return PasswordHasher.from_parameters(profiles.CHEAPEST if cheap else profiles.RFC_9106_LOW_MEMORY)


@cache
def _dummy_hash(cheap: bool) -> str:
    """A hash made with the same parameters as real ones, once per process, for unknown e-mails."""
    return _hasher(cheap).hash("not-a-real-password")


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher(_cheap()).hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether the password matches; a missing hash still costs one verification (no timing leak)."""
    if stored_hash is None:
        # Exactly the work of a known account (one verification): hashing here as well would
        # make an unknown e-mail measurably slower and tell who has an account.
        stored_hash = _dummy_hash(_cheap())
        password = "wrong" + password
    try:
        return _hasher(_cheap()).verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, email: str = "") -> str | None:
    """A message in the user's language saying why the password is refused, or None."""
    if (
        len(password) < MIN_LENGTH
        or not any(c.isalpha() for c in password)
        or not any(c.isdigit() for c in password)
    ):
        return _(
            "The password must have at least %(n)d characters, with both letters and digits.",
            n=MIN_LENGTH,
        )
    if email and email.split("@")[0].lower() in password.lower():
        return _("The password must not contain the e-mail address.")
    return None
