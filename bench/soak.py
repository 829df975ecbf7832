"""Soak: 50 phones submit while the database is stopped for 10 s; count lost and doubled answers.

A throwaway PostgreSQL cluster (never the shared server) and gunicorn with the project's
gunicorn.conf.py (2 workers x 4 threads) on free loopback ports. Fifty submitters each walk
the survey like a phone (step 1, step 2, POST) and, like the survey page's script does, send
the same form again after a 503 or a dropped connection until it is stored. Ten seconds in,
the cluster is stopped; ten seconds later it starts again. At the end every form that was
sent is looked up by its unique comment: stored once = kept, never = lost, twice = doubled.

Run: .venv/bin/python bench/soak.py [--seconds 60] [--phones 50] [--outage 10]
Bounded: the load stops after --seconds, retries of the last forms after 60 s more.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pgcluster import Cluster, free_port  # noqa: E402

HIDDEN = re.compile(r'name="(t|csrf_token)" value="([^"]*)"')


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    forms: list[str] = field(default_factory=list)  # comment markers of every form sent
    confirmed: set[str] = field(default_factory=set)  # forms that got their 303
    statuses: Counter = field(default_factory=Counter)
    retries: int = 0
    slowest_s: float = 0.0

    def note(self, status: object, took: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.slowest_s = max(self.slowest_s, took)


def _opener() -> urllib.request.OpenerDirector:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def _call(opener, url: str, tally: Tally, data: dict[str, str] | None = None) -> tuple[object, str]:  # type: ignore[no-untyped-def]
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    start = time.monotonic()
    try:
        with opener.open(urllib.request.Request(url, data=body), timeout=60) as reply:
            status, text = reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        status, text = type(exc).__name__, ""
    tally.note(status, time.monotonic() - start)
    return status, text


def phone(n: int, base: str, token: str, stop_at: float, give_up_at: float, tally: Tally) -> None:
    """One phone: fresh forms until stop_at; every form sent is retried until stored (or give_up_at)."""
    opener = _opener()
    sequence = 0
    while time.monotonic() < stop_at:
        status, page = _call(opener, f"{base}/s/{token}", tally)
        fields = dict(HIDDEN.findall(page)) if status == 200 else {}
        if "t" not in fields:
            time.sleep(0.5)
            continue
        if "csrf_token" not in fields:  # a two-step survey: the questions come with the token
            status, page = _call(
                opener, f"{base}/s/{token}?" + urllib.parse.urlencode({"t": fields["t"]}), tally
            )
            fields = dict(HIDDEN.findall(page)) if status == 200 else {}
        if "csrf_token" not in fields:
            time.sleep(0.5)
            continue
        marker = f"soak-{n}-{sequence}"
        sequence += 1
        form = {**fields, "B1.1": "4", "B2.1": "5", "C1": marker}
        with tally.lock:
            tally.forms.append(marker)
        while time.monotonic() < give_up_at:
            status, page = _call(opener, f"{base}/s/{token}", tally, form)
            if status == 303:
                with tally.lock:
                    tally.confirmed.add(marker)
                break
            # The 503 page is the form with the answers; its fresh CSRF token goes with the retry.
            fields = dict(HIDDEN.findall(page))
            if "csrf_token" in fields:
                form["csrf_token"] = fields["csrf_token"]
            with tally.lock:
                tally.retries += 1
            time.sleep(1.0)


def _prepare(url: str) -> str:
    """Migrate the throwaway database and add one open counter; returns its token."""
    from flask_migrate import upgrade

    from survey import create_app
    from survey.extensions import db
    from tests.factories import make_open_point

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "soak"})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        token = make_open_point().token
        db.engine.dispose()
    return token


def _stored(url: str) -> Counter:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        rows = conn.execute("SELECT text FROM answer WHERE item_code = 'C1'").fetchall()
    return Counter(r[0] for r in rows)


def _serve(url: str, port: int, workdir: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": url,
        "SIPAS_SECRET_KEY": "soak-secret-key-0123456789abcdef0123456789",
        "SIPAS_BASE_URL": f"http://127.0.0.1:{port}",
        "SIPAS_RATELIMIT_STORAGE": f"sqlite:///{workdir}/limits.sqlite3",
        "SIPAS_SURVEY_LIMIT_PER_DEVICE": "100000 per minute",
        "SIPAS_SURVEY_LIMIT_PER_ADDRESS": "100000 per minute",
        "SIPAS_SURVEY_LIMIT_FORM_LOADS": "100000 per minute",
        "SIPAS_DB_CONNECT_TIMEOUT": "2",
        "SIPAS_DB_CALL_TIMEOUT": "5",
        "SIPAS_LOG_LEVEL": "warning",
    }
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
    ]
    server = subprocess.Popen(
        [*command, "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "gunicorn.log", "w"),  # noqa: SIM115 (the server keeps it open)
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--outage", type=float, default=10)
    args = parser.parse_args()
    cluster = Cluster()
    workdir = Path(tempfile.mkdtemp(prefix="sipas-soak-"))
    server = None
    try:
        cluster.start()
        token = _prepare(cluster.url)
        port = free_port()
        server = _serve(cluster.url, port, workdir)
        base = f"http://127.0.0.1:{port}"
        tally = Tally()
        start = time.monotonic()
        stop_at, give_up_at = start + args.seconds, start + args.seconds + 60
        phones = [
            threading.Thread(target=phone, args=(n, base, token, stop_at, give_up_at, tally), daemon=True)
            for n in range(args.phones)
        ]
        for t in phones:
            t.start()
        time.sleep(min(10, args.seconds / 4))
        down_at = time.monotonic() - start
        cluster.stop()
        time.sleep(args.outage)
        cluster.start()
        up_at = time.monotonic() - start
        for t in phones:
            t.join(max(1.0, give_up_at - time.monotonic() + 5))
        stored = _stored(cluster.url)
        sent = tally.forms
        kept = sum(1 for m in sent if stored[m] == 1)
        lost = [m for m in sent if stored[m] == 0]
        doubled = [m for m in sent if stored[m] > 1]
        print(
            f"soak: {args.phones} phones, {args.seconds:.0f} s of load,"
            f" database stopped {down_at:.1f}-{up_at:.1f} s"
        )
        print(f"  forms sent               {len(sent)}")
        print(f"  stored exactly once      {kept}")
        print(f"  lost                     {len(lost)}")
        print(f"  stored twice or more     {len(doubled)}")
        print(f"  confirmed to the phone   {len(tally.confirmed)}")
        print(f"  retried submissions      {tally.retries}")
        print(f"  answers by status        {dict(sorted(tally.statuses.items(), key=str))}")
        print(f"  slowest single request   {tally.slowest_s:.1f} s")
        return 0 if not lost and not doubled else 1
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
