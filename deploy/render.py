#!/usr/bin/env python3
"""Render the server configuration of a SIPAS installation from the templates in deploy/templates.

    python3 deploy/render.py --server-name sipas.laichau.gov.vn --out /tmp/sipas-config

writes, for the given domain and paths, the systemd unit, the nginx site, the cron jobs, the
`sipas` command wrapper, the environment file (with a fresh secret key) and the PostgreSQL and
Redis settings, then prints where each file goes (docs/deploy.md, step 5). Standard library
only, so it runs before the application is installed. A placeholder without a value, or a
value that would break the file it goes in, is an error.
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
PLACEHOLDER = re.compile(r"\{\{ ?([A-Z0-9_]+) ?\}\}")
SIZE = re.compile(r"^[1-9][0-9]*[km]?$")
# Characters that would end a value early or start a new directive in nginx, systemd or cron.
UNSAFE = re.compile(r"[\s;{}'\"#$\\`]")


@dataclass(frozen=True)
class Output:
    """One rendered file: its template, its name in the output folder, where it is installed, its mode."""

    template: str
    name: str
    installed: str
    mode: int = 0o644


OUTPUTS = (
    Output("sipas.service", "sipas.service", "/etc/systemd/system/sipas.service"),
    Output("nginx-site.conf", "nginx-sipas.conf", "/etc/nginx/sites-available/sipas"),
    Output("sipas.cron", "sipas.cron", "/etc/cron.d/sipas"),
    Output("sipas-command.sh", "sipas", "/usr/local/bin/sipas", 0o755),
    Output("sipas.env", "sipas.env", "{ENV_FILE}", 0o600),  # holds the secret key
    Output("postgresql.conf", "postgresql-sipas.conf", "/etc/postgresql/15/main/conf.d/sipas.conf"),
    Output("redis.conf", "redis-sipas.conf", "/etc/redis/sipas.conf"),
)


def _size(text: str) -> str:
    if not SIZE.match(text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a size such as 64k or 20m")
    return text


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number")
    return int(text)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server-name", required=True, help="public domain, as in SIPAS_BASE_URL")
    p.add_argument("--out", required=True, type=Path, help="folder for the rendered files (created)")
    p.add_argument("--app-dir", default="/srv/sipas", help="the checkout with .venv (default /srv/sipas)")
    p.add_argument("--user", default="sipas", help="system user running the app (default sipas)")
    p.add_argument("--env-file", default="/etc/sipas/sipas.env")
    p.add_argument(
        "--bind", default="127.0.0.1:8000", help="gunicorn's address, loopback (default 127.0.0.1:8000)"
    )
    p.add_argument("--https-port", type=_port, default=443)
    p.add_argument("--http-port", type=_port, default=80)
    p.add_argument("--no-ipv6", action="store_true", help="listen on IPv4 only")
    p.add_argument("--tls-cert", help="certificate chain (default: Let's Encrypt's path for the domain)")
    p.add_argument("--tls-key", help="private key (default: Let's Encrypt's path for the domain)")
    p.add_argument("--log-dir", default="/var/log/nginx")
    p.add_argument("--acme-root", default="/var/www/letsencrypt", help="webroot for certbot's challenges")
    p.add_argument("--static-dir", help="static files (default: APP_DIR/survey/static)")
    p.add_argument("--backup-dir", default="/var/backups/sipas")
    p.add_argument("--backup-keep-days", type=int, default=35)
    p.add_argument("--archive-dir", default="/var/lib/sipas/audit-archive", help="archived audit entries")
    # The app's own limits (survey answers, file uploads): nginx refuses larger bodies itself.
    p.add_argument("--max-survey-body", type=_size, default="64k")
    p.add_argument("--max-upload", type=_size, default="20m")
    p.add_argument("--secret-key", help="SIPAS_SECRET_KEY to write (default: a new random one)")
    return p


def values(args: argparse.Namespace) -> dict[str, str]:
    """The placeholders' values from the command line."""
    le = f"/etc/letsencrypt/live/{args.server_name}"
    app = args.app_dir.rstrip("/")
    v = {
        "SERVER_NAME": args.server_name,
        "APP_DIR": app,
        "USER": args.user,
        "ENV_FILE": args.env_file,
        "BIND": args.bind,
        "HTTPS_PORT": str(args.https_port),
        "HTTP_PORT": str(args.http_port),
        "TLS_CERT": args.tls_cert or f"{le}/fullchain.pem",
        "TLS_KEY": args.tls_key or f"{le}/privkey.pem",
        "LOG_DIR": args.log_dir.rstrip("/"),
        "ACME_ROOT": args.acme_root,
        "STATIC_DIR": (args.static_dir or f"{app}/survey/static").rstrip("/"),
        "BACKUP_DIR": args.backup_dir.rstrip("/"),
        "BACKUP_KEEP_DAYS": str(args.backup_keep_days),
        "ARCHIVE_DIR": args.archive_dir.rstrip("/"),
        "MAX_SURVEY_BODY": args.max_survey_body,
        "MAX_UPLOAD": args.max_upload,
        "SECRET_KEY": args.secret_key or secrets.token_urlsafe(48),
    }
    for name, value in v.items():
        if not value or UNSAFE.search(value):
            raise SystemExit(
                f"render: {name.lower().replace('_', '-')} '{value}' is empty or holds a space, quote or ;"
            )
    v["HTTPS_SUFFIX"] = "" if args.https_port == 443 else f":{args.https_port}"
    v["LISTEN_HTTPS_V6"] = "" if args.no_ipv6 else f"listen [::]:{args.https_port} ssl http2;"
    v["LISTEN_HTTP_V6"] = "" if args.no_ipv6 else f"listen [::]:{args.http_port};"
    return v


def render(text: str, given: dict[str, str], name: str) -> str:
    """Fill every placeholder; an unknown one is an error naming the template."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in given:
            raise SystemExit(f"render: {name} uses {{{{ {key} }}}}, which has no value")
        return given[key]

    return PLACEHOLDER.sub(fill, text)


def write_all(given: dict[str, str], out: Path) -> list[tuple[Path, str]]:
    """Render every template into ``out``; returns (file, where it is installed)."""
    out.mkdir(parents=True, exist_ok=True)
    done = []
    for o in OUTPUTS:
        path = out / o.name
        path.write_text(render((TEMPLATES / o.template).read_text(), given, o.template))
        path.chmod(o.mode)
        done.append((path, o.installed.format(**given)))
    return done


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    for path, installed in write_all(values(args), args.out):
        print(f"{path}\t-> {installed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
