"""Accounts of officials and API keys of integrations."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey import accounts as ops
from survey.admin import bp
from survey.admin.forms import checked, done
from survey.auth import bind_session
from survey.extensions import db
from survey.models import ROLES, ApiKey, Unit, User
from survey.tree import unit_by_code
from survey.validation import InputError


def _form_unit() -> Unit | None:
    code = request.form.get("unit_code", "").strip()
    if not code:
        return None
    unit = unit_by_code(code)
    if unit is None:
        raise InputError(_("Unit: unknown unit code '%(code)s'.", code=code))
    return unit


def _users_page(error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    users = db.session.scalars(select(User).order_by(User.email))
    return render_template("admin/users.html", users=list(users), roles=ROLES, error=error), status


@bp.route("/users", methods=["GET", "POST"])
def users():  # type: ignore[no-untyped-def]
    """Accounts, and the form for a new one."""
    if request.method == "GET":
        return _users_page()
    form = request.form
    try:
        ops.create_user(form.get("email", ""), form.get("role", ""), _form_unit(), form.get("password", ""))
    except InputError as exc:
        db.session.rollback()
        return _users_page(str(exc), 422)
    return done(_("Account created."), url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int):  # type: ignore[no-untyped-def]
    """Change an account's role, unit, whether it may log in, and optionally its password."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if request.method == "POST":
        try:
            ops.update_user(user, request.form.get("role", ""), _form_unit(), checked("active"))
            if request.form.get("password"):
                ops.set_password(user, request.form["password"])
                if user.id == current_user.id:
                    bind_session(user)  # other sessions end; the one making the change goes on
        except InputError as exc:
            db.session.rollback()
            return render_template("admin/user_edit.html", user=user, roles=ROLES, error=str(exc)), 422
        return done(_("Account saved."), url_for("admin.users"))
    return render_template("admin/user_edit.html", user=user, roles=ROLES)


@bp.route("/api-keys", methods=["GET", "POST"])
def api_keys():  # type: ignore[no-untyped-def]
    """API keys; a new key is shown once, on the page that creates it."""
    new_key, error = None, None
    if request.method == "POST":
        try:
            _key, new_key = ops.create_api_key(request.form.get("name", ""))
        except InputError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
    keys = db.session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc()))
    page = render_template("admin/api_keys.html", keys=list(keys), new_key=new_key, error=error)
    # The page with the new key must not be cached by the browser or a proxy.
    return page, 422 if error else 200, {"Cache-Control": "no-store"}


@bp.post("/api-keys/<int:key_id>/revoke")
def revoke_api_key(key_id: int):  # type: ignore[no-untyped-def]
    """Revoke a key: integrations using it get 401 from then on."""
    key = db.session.get(ApiKey, key_id)
    if key is None:
        abort(404)
    ops.revoke_api_key(key)
    return done(_("API key revoked."), url_for("admin.api_keys"))
