"""Accounts of officials and API keys of integrations: create, change, revoke (all audited)."""

from __future__ import annotations

import hashlib
import secrets

from flask import has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from survey import audit
from survey.auth.passwords import hash_password, password_problem
from survey.extensions import db
from survey.models import ROLES, ApiKey, Unit, User, utcnow
from survey.validation import InputError, required

__all__ = ["api_key_for", "create_api_key", "create_user", "revoke_api_key", "set_password", "update_user"]

FIELDS = ("email", "role", "unit_id", "active")
KEY_PREFIX = "sipas_"


def _check_role(role: str, unit: Unit | None) -> None:
    if role not in ROLES:
        raise InputError(_("Role: '%(value)s' is not one of admin, analyst, viewer.", value=role))
    if role == "viewer" and unit is None:
        raise InputError(_("Unit: a viewer needs the unit whose reports they read."))


def create_user(email: str, role: str, unit: Unit | None, password: str) -> User:
    """Add an account; the e-mail is unique (case-insensitive) and the password follows the rules."""
    email = required(email, _("E-mail"), 254).lower()
    if "@" not in email:
        raise InputError(_("E-mail: '%(value)s' is not an e-mail address.", value=email))
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise InputError(_("E-mail: an account with '%(value)s' already exists.", value=email))
    _check_role(role, unit)
    if problem := password_problem(password, email):
        raise InputError(problem)
    user = User(email=email, role=role, unit=unit if role == "viewer" else None, active=True)
    user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", "user", user.id, after=audit.snapshot(user, FIELDS))
    return user


def _acting_user_id() -> int | None:
    if has_request_context() and current_user.is_authenticated:
        return int(current_user.id)
    return None


def _keep_an_admin(user: User, role: str, active: bool) -> None:
    """Refuse a change that locks the province out of its own administration."""
    if user.role != "admin" or not user.active or (role == "admin" and active):
        return
    if user.id == _acting_user_id():
        raise InputError(_("Role: you cannot take away your own admin role or disable your own account."))
    others = select(func.count(User.id)).where(
        User.role == "admin", User.active.is_(True), User.id != user.id
    )
    if not db.session.scalar(others):
        raise InputError(_("Role: this is the last active admin account; it must stay an active admin."))


def update_user(user: User, role: str, unit: Unit | None, active: bool) -> None:
    """Change an account's role, unit and whether it may log in; at least one active admin stays."""
    before = audit.snapshot(user, FIELDS)
    _check_role(role, unit)
    _keep_an_admin(user, role, active)
    user.role, user.unit, user.active = role, unit if role == "viewer" else None, active
    db.session.flush()
    audit.record("user.update", "user", user.id, before, audit.snapshot(user, FIELDS))


def set_password(user: User, password: str) -> None:
    """Replace an account's password (the log says it changed, never what it is)."""
    if problem := password_problem(password, user.email):
        raise InputError(problem)
    user.password_hash = hash_password(password)
    db.session.flush()
    audit.record("user.password", "user", user.id)


def _digest(key: str) -> str:
    # A random 256-bit key needs no slow hash: SHA-256 cannot be searched back to it.
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(name: str) -> tuple[ApiKey, str]:
    """A new key: the record (hash only) and the key itself, which is shown once and never again."""
    name = required(name, _("Name"), 100)
    plain = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, prefix=plain[:12], key_hash=_digest(plain))
    if has_request_context() and current_user.is_authenticated:
        key.created_by_id = current_user.id
    db.session.add(key)
    db.session.flush()
    audit.record("api_key.create", "api_key", key.id, after={"name": name, "prefix": key.prefix})
    return key, plain


def revoke_api_key(key: ApiKey) -> None:
    """Stop a key from working (kept for the record)."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        db.session.flush()
        audit.record("api_key.revoke", "api_key", key.id, after={"name": key.name, "prefix": key.prefix})


def api_key_for(plain: str) -> ApiKey | None:
    """The live key matching a presented key, or None."""
    if not plain.startswith(KEY_PREFIX):
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(plain)))
    return key if key is not None and key.revoked_at is None else None
