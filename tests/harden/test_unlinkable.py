"""End to end: serve with gunicorn as `make demo` does, answer, then try to link logs and tables.

Citizens answer (one through a receipt code), an official types a password into the e-mail
box; then every line gunicorn and the app wrote, and every row of every table, is searched for
what would tie a person to their answers: the client address, the user agent, the form-load
tokens and query strings, the receipt code and its time of use, the typed password.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from survey import receipts
from survey.extensions import db as _db
from tests.factories import make_open_point
from tests.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]
AGENT = "Mozilla/5.0 (Linux; Android 9; Redmi-7A-unlinkable-probe)"
PASSWORD_TYPED_AS_EMAIL = "MatKhauBiMat-7731"
HIDDEN = re.compile(r'name="(t|csrf_token)" value="([^"]*)"')


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _phone() -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    opener.addheaders = [("User-Agent", AGENT)]
    opener.jar = jar  # type: ignore[attr-defined]
    return opener


def _open(opener, url: str, data: dict[str, str] | None = None) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=body), timeout=30) as reply:  # noqa: S310 (loopback)
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _answer(opener, base: str, token: str, comment: str, secrets: list[str]) -> None:  # type: ignore[no-untyped-def]
    status, page = _open(opener, f"{base}/s/{token}")
    assert status == 200
    fields = dict(HIDDEN.findall(page))
    if "csrf_token" not in fields:  # a two-step survey: the questions come with the token
        status, page = _open(
            opener, f"{base}/s/{token}?" + urllib.parse.urlencode({"t": fields["t"], "S1": "2"})
        )
        fields = dict(HIDDEN.findall(page))
    secrets.append(fields["t"])
    status, _ = _open(opener, f"{base}/s/{token}", {**fields, "S1": "2", "B1.1": "4", "C1": comment})
    assert status == 303
    secrets.extend(c.value for c in opener.jar)  # device and session cookies


@pytest.fixture
def served(app, tmp_path):  # type: ignore[no-untyped-def]
    """The app's database seeded, and gunicorn with the project's config serving it."""
    with app.app_context():
        point = make_open_point()
        (code,) = receipts.mint(point)
        _db.session.commit()
        token = point.token
    port = free_port()
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SIPAS_SECRET_KEY": app.config["SECRET_KEY"],
        "SIPAS_BASE_URL": f"http://127.0.0.1:{port}",
        "SIPAS_RATELIMIT_STORAGE": f"sqlite:///{tmp_path}/limits.sqlite3",
        "SIPAS_WORKERS": "2",
    }
    log = tmp_path / "server.log"
    with log.open("w") as sink:
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).close()  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.1)
        try:
            yield base, token, code, log
        finally:
            server.terminate()
            server.wait(30)


def test_no_log_line_or_table_links_a_person_to_their_answers(app, served) -> None:
    """Logs carry route patterns only; tables hold no address, agent, token, code time or password."""
    base, token, code, log = served
    secrets: list[str] = [AGENT, "Redmi-7A", code, PASSWORD_TYPED_AS_EMAIL]
    comments = [f"góp ý số {n}" for n in range(3)]
    for comment in comments:
        _answer(_phone(), base, token, comment, secrets)
    receipt_phone = _phone()
    assert _open(receipt_phone, f"{base}/r/{code}")[0] == 303
    _answer(receipt_phone, base, token, "qua biên nhận", secrets)
    official = _phone()
    page = _open(official, f"{base}/login")[1]
    csrf = dict(HIDDEN.findall(page))["csrf_token"]
    form = {"email": PASSWORD_TYPED_AS_EMAIL, "password": "x", "csrf_token": csrf}
    assert _open(official, f"{base}/login?next=/reports/", form)[0] == 401
    assert _open(_phone(), f"{base}/s/no-such-token?t=abc&lang=vi")[0] == 404
    time.sleep(0.5)  # let the workers flush their log lines

    lines = log.read_text().splitlines()
    access = [line for line in lines if "sipas.access" in line]
    # every request above, one line each: 4 × (form, send), receipt, log-in page and post, 404
    # (the /healthz polls while the server starts are left out: their number varies)
    assert len([line for line in access if "/healthz" not in line]) == 12
    for line in lines:
        assert "127.0.0.1" not in line, line
        assert "?t=" not in line and "lang=vi" not in line, line
        for secret in secrets + comments:
            assert secret not in line, (secret, line)
    for line in access:
        assert re.search(r"sipas\.access: [A-Z]+ (/[^ ?]*) \d{3} \d+ms$", line), line
    assert any("POST /s/<token> 303" in line for line in access)
    assert any("GET /r/<code> 303" in line for line in access)

    with app.app_context():
        engine = _db.engine
        with engine.connect() as conn:
            for table in inspect(engine).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608 (table names from the schema)
                    cells = " ".join(str(v) for v in row)
                    for secret in secrets:
                        assert secret not in cells, (table, secret)
            used = conn.execute(text("SELECT used, used_on FROM receipt_code")).one()
        assert used[0] in (1, True) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(used[1]))
        columns = {c["name"] for c in inspect(engine).get_columns("receipt_code")}
        assert columns == {"id", "code_hash", "point_id", "created_at", "expires_at", "used", "used_on"}


def test_redact_removes_addresses_query_strings_and_codes() -> None:
    """Any log line passed through the filter loses client addresses, query strings and codes."""
    from survey.logs import redact

    line = (
        "Error handling request GET /s/abc?t=eyJrIjoiZm9vIn0.x&S1=2 from 203.0.113.7 [2001:db8::1] /r/Zx9-_q1"
    )
    cleaned = redact(line)
    for secret in ("eyJr", "S1=2", "203.0.113.7", "2001:db8::1", "Zx9-_q1"):
        assert secret not in cleaned
    assert "/s/abc?…" in cleaned and "/r/<code>" in cleaned
