"""`sipas check-config` and the production start-up check: each unsafe setting is refused by name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from survey import create_app
from survey.ops.checks import UnsafeConfiguration
from survey.ops.workers import MAX_DEFAULT_WORKERS, WorkerSettingError, worker_count
from tests.conftest import TEST_CONFIG

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Jx9-QwErTy_uIoP1aSdFgHjKl2ZxCvBnM4"  # 36 characters, not the generated one
SAFE = {
    "SIPAS_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "SIPAS_BASE_URL": "https://sipas.laichau.gov.vn",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
    "SIPAS_PROXY_COUNT": 1,
    "SIPAS_WORKERS": "5",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://sipas@127.0.0.1/sipas",
}
# One unsafe setting at a time -> the setting its one line must name.
UNSAFE = {
    "http base URL": ({"SIPAS_BASE_URL": "http://sipas.laichau.gov.vn"}, "SIPAS_BASE_URL"),
    "base URL of this machine": ({"SIPAS_BASE_URL": "https://127.0.0.1:5000"}, "SIPAS_BASE_URL"),
    "limits in worker memory": ({"RATELIMIT_STORAGE_URI": "memory://"}, "SIPAS_RATELIMIT_STORAGE"),
    "no proxy count behind nginx": ({"SIPAS_PROXY_COUNT": 0}, "SIPAS_PROXY_COUNT"),
    "SQLite with several workers": (
        {"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/sipas.sqlite3"},
        "SIPAS_DATABASE_URL",
    ),
    "short secret key": ({"SECRET_KEY": "secret"}, "SIPAS_SECRET_KEY"),
    "worker count not a number": ({"SIPAS_WORKERS": "many"}, "SIPAS_WORKERS"),
    "retention period not a number": ({"SIPAS_RETENTION_AUDIT_YEARS": "0"}, "SIPAS_RETENTION_AUDIT_YEARS"),
}


def _app(**config: object) -> Flask:
    """The app built in development, then switched to the given (production) settings."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": SAFE["SQLALCHEMY_DATABASE_URI"]})
    app.config.update({**SAFE, **config})
    return app


def _check(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["sipas", "check-config"])


def test_safe_production_settings_pass():
    """PostgreSQL, Redis limits, https, one proxy and a strong key: accepted, exit 0."""
    result = _check(_app())
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "configuration is safe for production\n",
        "",
    )


@pytest.mark.parametrize("case", UNSAFE)
def test_each_unsafe_setting_is_refused_with_one_line_naming_it(case):
    """One unsafe setting: exit 1 and exactly one line on stderr, beginning with the setting's name."""
    config, setting = UNSAFE[case]
    result = _check(_app(**config))
    lines = result.stderr.splitlines()
    assert result.exit_code == 1 and result.stdout == ""
    assert len(lines) == 1 and lines[0].startswith(f"{setting}: "), lines


def test_the_generated_development_key_is_refused(tmp_path):
    """The key that `make demo` generated into instance/secret_key is refused, however long it is."""
    generated = "g" * 64
    (tmp_path / "secret_key").write_text(generated + "\n")
    app = _app(SECRET_KEY=generated)
    app.instance_path = str(tmp_path)
    lines = _check(app).stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("SIPAS_SECRET_KEY: the development key generated"), lines


def test_every_problem_at_once_gives_one_line_each():
    """The settings of `make demo` in production: one line per problem, each naming its setting."""
    app = _app(
        SIPAS_BASE_URL="http://127.0.0.1:5000",
        RATELIMIT_STORAGE_URI="memory://",
        SIPAS_PROXY_COUNT=0,
        SQLALCHEMY_DATABASE_URI="sqlite:////tmp/x.sqlite3",
        SECRET_KEY="short",
    )
    result = _check(app)
    named = [line.split(":", 1)[0] for line in result.stderr.splitlines()]
    assert result.exit_code == 1
    assert sorted(named) == sorted(
        [
            "SIPAS_SECRET_KEY",
            "SIPAS_BASE_URL",
            "SIPAS_RATELIMIT_STORAGE",
            "SIPAS_DATABASE_URL",
            "SIPAS_PROXY_COUNT",
        ]
    )


def test_one_worker_may_use_sqlite_and_memory_limits():
    """With SIPAS_WORKERS=1 neither SQLite nor per-process limits are a problem (one process)."""
    app = _app(
        SIPAS_WORKERS="1", RATELIMIT_STORAGE_URI="memory://", SQLALCHEMY_DATABASE_URI="sqlite:////tmp/x"
    )
    assert _check(app).exit_code == 0


def test_development_is_not_checked_but_the_problems_are_shown():
    """Without SIPAS_ENV=production (make demo) nothing is refused: notes and exit 0."""
    result = _check(_app(SIPAS_ENV="development", SIPAS_PROXY_COUNT=0))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "note: SIPAS_PROXY_COUNT: 0, but a production server runs behind nginx; set 1, or every citizen"
        " shares nginx's address in the rate limits",
        "SIPAS_ENV=development: not checked (a server sets SIPAS_ENV=production)",
    ]


def test_the_app_refuses_to_start_in_production_with_unsafe_settings():
    """create_app (what gunicorn calls) raises, listing the problem, when production settings are unsafe."""
    config = {**TEST_CONFIG, **SAFE, "SIPAS_BASE_URL": "http://sipas.laichau.gov.vn"}
    with pytest.raises(UnsafeConfiguration, match=r"refusing to start.*\n  SIPAS_BASE_URL: 'http://sipas"):
        create_app(config)


def test_the_app_starts_in_production_with_safe_settings():
    """Safe production settings: create_app returns the app."""
    app = create_app({**TEST_CONFIG, **SAFE})
    assert app.config["SIPAS_ENV"] == "production"


def test_check_config_reads_the_environment_a_server_sets(tmp_path):
    """The real command with a server's environment: each unsafe variable is named, exit 1."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SIPAS_", "WEB_CONCURRENCY"))},
        "SIPAS_ENV": "production",
        "SIPAS_SECRET_KEY": STRONG_KEY,
        "SIPAS_DATABASE_URL": f"sqlite:///{tmp_path / 'sipas.sqlite3'}",
        "SIPAS_BASE_URL": "http://sipas.laichau.gov.vn",
        "SIPAS_RATELIMIT_STORAGE": "memory://",
        "SIPAS_PROXY_COUNT": "1",
        "WEB_CONCURRENCY": "3",
    }
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "wsgi", "sipas", "check-config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    named = sorted(line.split(":", 1)[0] for line in done.stderr.splitlines())
    assert done.returncode == 1, done.stderr
    assert named == ["SIPAS_BASE_URL", "SIPAS_DATABASE_URL", "SIPAS_RATELIMIT_STORAGE"]
    assert "3 workers" in done.stderr


def test_worker_count_rule():
    """SIPAS_WORKERS wins, then WEB_CONCURRENCY, else 2 × cores + 1 up to the cap; nonsense is an error."""
    assert worker_count({"SIPAS_WORKERS": "3", "WEB_CONCURRENCY": "7"}, ncores=2) == 3
    assert worker_count({"WEB_CONCURRENCY": "7"}, ncores=2) == 7
    assert worker_count({}, ncores=1) == 3
    assert worker_count({}, ncores=2) == 5
    assert worker_count({}, ncores=16) == MAX_DEFAULT_WORKERS == 8
    with pytest.raises(WorkerSettingError, match="SIPAS_WORKERS: '0'"):
        worker_count({"SIPAS_WORKERS": "0"})
