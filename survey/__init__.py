"""The SIPAS web application: citizens' survey, administration, reports and API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from survey.config import load_config
from survey.ops import checks as production_checks

__all__ = ["create_app"]

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints, errors, commands."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    production_checks.init_app(app)  # SIPAS_ENV=production refuses unsafe settings (docs/deploy.md)
    if app.config["SIPAS_PROXY_COUNT"]:
        n = app.config["SIPAS_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from survey import auth, cases, compress, database, i18n, logs, ratelimit, security  # noqa: F401 (ratelimit: sqlite://)
    from survey.aggregates import lookups
    from survey.extensions import csrf, db, limiter, migrate

    database.engine_options(app)
    db.init_app(app)
    database.configure_engine(app)
    lookups.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    # The singleton keeps the first app's strategy otherwise; each app (and test) names its own.
    limiter._strategy = None  # noqa: SLF001
    # Flask-Limiter keeps `enabled` on its one shared instance and defaults each new app to
    # the previous app's value: every app states its own, so one app switched off stays alone.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    ratelimit.skip_idle_middleware(app, limiter)
    csrf.init_app(app)
    i18n.init_app(app)
    compress.init_app(app)
    security.init_app(app)
    logs.init_app(app)
    auth.init_app(app)
    cases.init_app(app)


def register_blueprints(app: Flask) -> None:
    from survey.actions import bp as actions_bp
    from survey.admin import bp as admin_bp
    from survey.api import bp as api_bp
    from survey.auth import bp as auth_bp
    from survey.cases.citizen import bp as cases_public_bp
    from survey.cases.views import bp as cases_bp
    from survey.health import bp as health_bp
    from survey.public import bp as public_bp
    from survey.reports import bp as reports_bp
    from survey.reports.landing import bp as home_bp

    for bp in (
        health_bp,
        home_bp,
        public_bp,
        cases_public_bp,
        auth_bp,
        admin_bp,
        reports_bp,
        actions_bp,
        cases_bp,
        api_bp,
    ):
        app.register_blueprint(bp)


def register_errorhandlers(app: Flask) -> None:
    from survey import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from survey.cli import sipas

    app.cli.add_command(sipas)
