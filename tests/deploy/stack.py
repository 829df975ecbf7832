"""The production layout run for real on loopback: configs rendered by deploy/render.py, a
self-signed certificate, Debian's nginx, gunicorn with deploy/gunicorn.conf.py, Redis with the
rendered settings. Free ports, files under a temporary folder; every process is stopped.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "deploy" / "render.py"
DEBIAN_NGINX_CONF = Path("/etc/nginx/nginx.conf")
SERVER_NAME = "sipas.test"
READY_TIMEOUT = 120.0  # a busy CI machine may take long to boot the workers


def free_port() -> int:
    """A TCP port nobody listens on now (the kernel's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(ready: Callable[[], bool], what: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``ready`` until it holds (the only waiting these tests do); fail if the process died."""
    deadline = time.monotonic() + READY_TIMEOUT
    while not _holds(ready):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready after {READY_TIMEOUT} s")
        time.sleep(0.05)


def _holds(ready: Callable[[], bool]) -> bool:
    try:
        return ready()
    except OSError:  # refused, reset or timed out: not ready yet
        return False


def listening(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            return False
        return True

    return check


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for sipas.test and 127.0.0.1 (openssl, as an officer would test)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            f"/CN={SERVER_NAME}",
            "-addext",
            f"subjectAltName=DNS:{SERVER_NAME},IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@dataclass
class Rendered:
    """The configs rendered for a test server, and the ports and paths they use."""

    out: Path
    https_port: int
    http_port: int
    bind_port: int
    logs: Path
    static: Path
    cert: Path

    def env(self) -> dict[str, str]:
        """The rendered environment file, read the way systemd reads it (NAME=value lines)."""
        values = {}
        for line in (self.out / "sipas.env").read_text().splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.partition("=")
                values[name] = value
        return values


def render(folder: Path, *extra: str) -> Rendered:
    """Render every config for a loopback test server (IPv4 only, test ports and paths)."""
    cert, key = self_signed_certificate(folder)
    logs, static = folder / "logs", folder / "static"
    logs.mkdir()
    static.mkdir()
    r = Rendered(folder / "config", free_port(), free_port(), free_port(), logs, static, cert)
    args = [
        "--server-name",
        SERVER_NAME,
        "--out",
        str(r.out),
        "--app-dir",
        str(ROOT),
        "--no-ipv6",
        "--https-port",
        str(r.https_port),
        "--http-port",
        str(r.http_port),
        "--bind",
        f"127.0.0.1:{r.bind_port}",
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
        "--log-dir",
        str(logs),
        "--static-dir",
        str(static),
        "--acme-root",
        str(folder / "acme"),
        "--archive-dir",
        str(folder / "archive"),
        *extra,
    ]
    subprocess.run([sys.executable, str(RENDER), *args], check=True, capture_output=True)
    return r


def nginx_main_conf(site: Path, prefix: Path) -> Path:
    """Debian's own /etc/nginx/nginx.conf with the test's paths, including only our site.

    Each substitution must match, so a changed Debian file fails here rather than testing
    something else.
    """
    text = DEBIAN_NGINX_CONF.read_text()
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the test's private folders
    temp = "".join(
        f"\t{kind}_temp_path {prefix}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    for pattern, replacement in (
        (r"(?m)^user [^;]+;", user),
        (r"(?m)^pid [^;]+;", f"pid {prefix}/nginx.pid;"),
        (r"(?m)^error_log [^;]+;", f"error_log {prefix}/error.log;"),
        (r"(?m)^\s*access_log [^;]+;", f"\taccess_log {prefix}/access.log;\n{temp}"),
        (r"(?m)^\s*include /etc/nginx/sites-enabled/\*;", f"\tinclude {site};"),
    ):
        text, n = re.subn(pattern, replacement, text)
        if n != 1:
            raise AssertionError(f"Debian's nginx.conf no longer has one line matching {pattern!r}")
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    return conf


def nginx_test(conf: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a config (what an officer runs before reloading)."""
    return subprocess.run(
        [nginx(), "-t", "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log")],
        capture_output=True,
        text=True,
    )


def nginx() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise RuntimeError("nginx is not installed (scripts/apt-packages.txt lists it; run make test)")
    return found


def start_nginx(conf: Path, prefix: Path) -> subprocess.Popen[bytes]:
    with (prefix / "nginx.stderr").open("wb") as err:  # the child keeps its own copy
        return subprocess.Popen(
            [
                nginx(),
                "-p",
                str(prefix),
                "-c",
                str(conf),
                "-e",
                str(prefix / "error.log"),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def start_redis(conf: Path, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            str(conf),
            "--port",
            str(port),
            "--dir",
            str(folder),
            "--daemonize",
            "no",
            "--logfile",
            str(folder / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(listening(port), "redis-server", proc)
    return proc, port


def start_gunicorn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """gunicorn as sipas.service starts it: the repository as working directory, the config file."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [str(gunicorn), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    wait_until(listening(port), "gunicorn", proc)
    return proc


def stop(*procs: subprocess.Popen[bytes] | None) -> None:
    """Stop processes this test started (by their handles), waiting for each."""
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.terminate()
    for proc in procs:
        if proc is not None:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def server_env(rendered: Rendered, **overrides: str) -> dict[str, str]:
    """A clean process environment holding the rendered server settings (plus overrides)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SIPAS_") and k != "WEB_CONCURRENCY"}
    return {**base, **rendered.env(), **overrides}
