"""The production layout (deploy/): each rendered file is accepted by the program that reads it."""

from __future__ import annotations

import glob
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import redis

from survey.ops.workers import worker_count
from tests.deploy.stack import (
    RENDER,
    ROOT,
    nginx_main_conf,
    nginx_test,
    render,
    start_redis,
    stop,
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):  # type: ignore[no-untyped-def]
    return render(tmp_path_factory.mktemp("layout"))


def test_nginx_accepts_the_rendered_site(rendered, tmp_path):
    """`nginx -t` (Debian's nginx, Debian's main config) accepts the site as rendered for a server."""
    conf = nginx_main_conf(rendered.out / "nginx-sipas.conf", tmp_path)
    done = nginx_test(conf, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_nginx_accepts_the_default_rendering_with_ipv6(tmp_path):
    """The production defaults (ports 443/80, IPv6 too) pass `nginx -t` once the certificate exists."""
    r = render(tmp_path, "--https-port", "443", "--http-port", "80")
    text = (r.out / "nginx-sipas.conf").read_text()
    default = tmp_path / "default"
    subprocess.run(
        [
            sys.executable,
            str(RENDER),
            "--server-name",
            "sipas.laichau.gov.vn",
            "--out",
            str(default),
            "--app-dir",
            str(ROOT),
            "--tls-cert",
            str(r.cert),
            "--tls-key",
            str(r.cert.with_name("key.pem")),
            "--log-dir",
            str(r.logs),
        ],
        check=True,
        capture_output=True,
    )
    site = (default / "nginx-sipas.conf").read_text()
    assert "listen [::]:443 ssl http2;" in site and "listen 443 ssl http2;" in site
    assert "return 301 https://sipas.laichau.gov.vn$request_uri;" in site
    assert "listen [::]" not in text
    prefix = tmp_path / "prefix"
    prefix.mkdir()
    done = nginx_test(nginx_main_conf(default / "nginx-sipas.conf", prefix), prefix)
    assert done.returncode == 0, done.stderr


def test_the_site_logs_no_client_address_nor_query_string(rendered):
    """The access log format has no address, user agent, query string or raw survey URL."""
    site = (rendered.out / "nginx-sipas.conf").read_text()
    formats = [line for line in site.splitlines() if line.startswith("log_format")]
    assert formats == [
        "log_format sipas_private '$time_iso8601 $request_method $sipas_log_path $status $body_bytes_sent"
        " $request_time';"
    ]
    for variable in (
        "$remote_addr",
        "$http_user_agent",
        "$request ",
        "$args",
        "$request_uri",
        "$query_string",
    ):
        assert variable not in formats[0]
    logs = re.findall(r"access_log ([^;]+);", site)
    assert logs and all(v == "off" or v.endswith(" sipas_private") for v in logs), logs


def _bytes(size: str) -> int:
    return int(size[:-1]) * {"k": 1024, "m": 1024 * 1024}[size[-1]] if size[-1] in "km" else int(size)


def test_the_body_limits_are_the_apps(rendered):
    """nginx refuses exactly the bodies the app would: citizens' pages above the survey limit,
    anything else above the upload limit (the app's defaults, SIPAS_SURVEY_MAX_BYTES and
    SIPAS_UPLOAD_MAX_BYTES)."""
    from survey import create_app
    from tests.conftest import TEST_CONFIG

    config = create_app(dict(TEST_CONFIG)).config
    site = (rendered.out / "nginx-sipas.conf").read_text()
    server = re.search(r"\n    client_max_body_size (\w+);", site)
    citizens = re.search(r"location ~ \^/\(s\|r\|c\)/ \{\n        client_max_body_size (\w+);", site)
    assert server and citizens
    assert _bytes(server.group(1)) == config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
    assert _bytes(citizens.group(1)) == config["SIPAS_SURVEY_MAX_BYTES"] == 64 * 1024


def test_systemd_accepts_the_unit_and_its_sandbox(rendered):
    """`systemd-analyze verify` finds no error, and the sandbox rates at most 2.5 (of 10) exposure."""
    unit = rendered.out / "sipas.service"
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--threshold=25", str(unit)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    text = unit.read_text()
    assert f"ExecStartPre={ROOT}/.venv/bin/flask --app wsgi sipas check-config" in text
    assert f"ExecStart={ROOT}/.venv/bin/gunicorn --config {ROOT}/deploy/gunicorn.conf.py wsgi:app" in text
    assert "EnvironmentFile=/etc/sipas/sipas.env" in text


def test_the_environment_file_passes_check_config(rendered):
    """The rendered settings are safe for production as they stand (a fresh secret key included)."""
    env = rendered.env()
    assert env["SIPAS_ENV"] == "production" and len(env["SIPAS_SECRET_KEY"]) >= 60
    assert oct((rendered.out / "sipas.env").stat().st_mode & 0o777) == "0o600"
    from survey import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": env["SIPAS_SECRET_KEY"],
            "SIPAS_ENV": env["SIPAS_ENV"],
            "SIPAS_BASE_URL": env["SIPAS_BASE_URL"],
            "SQLALCHEMY_DATABASE_URI": env["SIPAS_DATABASE_URL"].replace(
                "postgresql://", "postgresql+psycopg://"
            ),
            "RATELIMIT_STORAGE_URI": env["SIPAS_RATELIMIT_STORAGE"],
            "SIPAS_PROXY_COUNT": int(env["SIPAS_PROXY_COUNT"]),
            "SIPAS_WORKERS": env["SIPAS_WORKERS"],
        }
    )
    result = app.test_cli_runner().invoke(args=["sipas", "check-config"])
    assert (result.exit_code, result.output) == (0, "configuration is safe for production\n")


def test_postgresql_accepts_the_settings():
    """PostgreSQL parses the snippet as a conf.d file (a throwaway data folder; no server is started)."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    assert bins, "PostgreSQL server binaries are missing (apt package postgresql)"
    # PostgreSQL refuses to run as root: as root, its files belong to the postgres user.
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    with tempfile.TemporaryDirectory(prefix="sipas-pgconf-") as folder:
        if as_postgres:
            shutil.chown(folder, "postgres")
        data = Path(folder) / "data"
        subprocess.run(
            [*as_postgres, f"{bins[-1]}/initdb", "--no-sync", "-A", "trust", "-D", str(data)],
            check=True,
            capture_output=True,
        )
        (data / "conf.d").mkdir()
        shutil.copy(ROOT / "deploy" / "templates" / "postgresql.conf", data / "conf.d" / "sipas.conf")
        with (data / "postgresql.conf").open("a") as fh:
            fh.write("include_dir = 'conf.d'\n")
        for name, value in (
            ("idle_in_transaction_session_timeout", "300000"),  # ms
            ("log_parameter_max_length", "0"),
            ("shared_buffers", "131072"),  # 8 kB pages
            ("listen_addresses", "localhost"),
        ):
            done = subprocess.run(
                [*as_postgres, f"{bins[-1]}/postgres", "-D", str(data), "-C", name],
                capture_output=True,
                text=True,
            )
            assert (done.returncode, done.stdout.strip()) == (0, value), (name, done.stderr)


def test_redis_runs_with_the_settings_and_keeps_nothing_on_disk(rendered, tmp_path):
    """redis-server starts with the snippet: no snapshots, no append-only file, a memory cap."""
    proc, port = start_redis(rendered.out / "redis-sipas.conf", tmp_path)
    try:
        client = redis.Redis(port=port)
        config = client.config_get("*")
        assert (config["save"], config["appendonly"], config["maxmemory-policy"]) == (
            "",
            "no",
            "volatile-ttl",
        )
        assert int(config["maxmemory"]) == 64 * 1024 * 1024
        client.close()
    finally:
        stop(proc)
    assert not list(tmp_path.glob("*.rdb")) and not list(tmp_path.glob("appendonly*"))


def test_cron_backs_up_nightly_and_prunes_only_after_success(rendered):
    """Cron runs backup, retention and the digest as the app's user; old copies go only after a good
    backup."""
    lines = [l for l in (rendered.out / "sipas.cron").read_text().splitlines() if l and not l.startswith("#")]
    jobs = [l for l in lines if not l.startswith(("SHELL=", "PATH="))]
    assert len(jobs) == 3
    backup, keep = jobs[0], "-mtime +35 -delete"
    assert backup.startswith(
        "30 1 * * * sipas sipas backup --out /var/backups/sipas/sipas-$(date +\\%Y\\%m\\%d).dump"
    )
    assert "[ -s /var/backups/sipas/sipas-$(date +\\%Y\\%m\\%d).dump ] && find" in backup and keep in backup
    assert jobs[1].startswith("30 2 * * * sipas sipas retention")
    assert jobs[2] == "30 6 * * 1-5 sipas sipas digest 2>&1 | logger -t sipas-digest"


def test_the_command_wrapper_is_valid_shell(rendered):
    """/usr/local/bin/sipas parses as POSIX shell and reads the environment file before the command."""
    wrapper = rendered.out / "sipas"
    assert subprocess.run(["sh", "-n", str(wrapper)], capture_output=True).returncode == 0
    text = wrapper.read_text()
    assert text.index(". /etc/sipas/sipas.env") < text.index("flask --app wsgi sipas")


def test_gunicorn_runs_the_workers_check_config_reasons_with(monkeypatch):
    """deploy/gunicorn.conf.py: the worker count of check-config's rule, the app's redacted logging."""
    for env in ({"SIPAS_WORKERS": "3"}, {"WEB_CONCURRENCY": "6"}, {}):
        monkeypatch.delenv("SIPAS_WORKERS", raising=False)
        monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        conf = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
        assert conf["workers"] == worker_count(env)
    app = runpy.run_path(str(ROOT / "gunicorn.conf.py"))  # the app's own settings (make demo)
    assert conf["accesslog"] is None and conf["logconfig_dict"] == app["logconfig_dict"]
    assert conf["forwarded_allow_ips"] == "127.0.0.1,::1" and conf["timeout"] == app["timeout"]


def test_render_refuses_a_value_that_would_break_a_file(tmp_path):
    """A server name with a space or a semicolon is refused with one line naming the option."""
    done = subprocess.run(
        [sys.executable, str(RENDER), "--server-name", "sipas.vn; evil", "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert done.stderr.strip() == "render: server-name 'sipas.vn; evil' is empty or holds a space, quote or ;"
    assert not (tmp_path / "x").exists()
