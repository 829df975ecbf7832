"""A citizen answers the survey through the production layout: nginx (TLS) → gunicorn → the database.

The stack runs once per database kind: configs rendered by deploy/render.py, Debian's nginx with
a self-signed certificate, gunicorn started by deploy/gunicorn.conf.py with the rendered
environment file (as sipas.service does, check-config first), Redis with the rendered settings
for the shared rate limits. Requests come from other loopback addresses (127.0.0.2 …), so the
client's address differs from nginx's and the tests can see which one the app counts.
"""

from __future__ import annotations

import gzip
import http.client
import re
import ssl
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import redis
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select
from sqlalchemy.pool import NullPool

from survey.extensions import db
from survey.models import Answer, Response
from tests.deploy.conftest import KINDS, app_for, databases, dispose
from tests.deploy.stack import (
    ROOT,
    SERVER_NAME,
    Rendered,
    listening,
    nginx_main_conf,
    render,
    server_env,
    start_gunicorn,
    start_nginx,
    start_redis,
    stop,
    wait_until,
)
from tests.factories import PASSWORD, make_open_point, make_user

ADDRESS_BUDGET = 6  # submits per minute per client address in this stack (SIPAS_SURVEY_LIMIT_PER_ADDRESS)


@dataclass
class Stack:
    """The running servers and what a test needs to talk to them."""

    rendered: Rendered
    url: str
    token: str
    redis_port: int
    gunicorn_log: Path
    prefix: Path


@dataclass
class Phone:
    """A browser on one loopback address: TLS to nginx, cookies kept like a phone keeps them."""

    stack: Stack
    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: dict[str, str] | None = None, headers=None):  # type: ignore[no-untyped-def]
        context = ssl.create_default_context(cafile=str(self.stack.rendered.cert))
        conn = http.client.HTTPSConnection(
            "127.0.0.1",
            self.stack.rendered.https_port,
            context=context,
            source_address=(self.address, 0),
            timeout=60,
        )
        head = {"Host": f"{SERVER_NAME}:{self.stack.rendered.https_port}", **(headers or {})}
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True).encode()
            head["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=head)
        reply = conn.getresponse()
        payload = reply.read()
        for raw in reply.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        conn.close()
        return reply, payload


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def _count(url: str, model) -> int:  # type: ignore[no-untyped-def]
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        n = conn.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return int(n or 0)


def _database(url: str) -> str:
    """Migrate the empty database and add one counter with an open period; returns its token."""
    app = app_for(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        token = make_open_point().token
        make_user()
        db.session.commit()
    dispose(app)
    return token


@pytest.fixture(scope="module", params=KINDS)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("stack")
    rendered = render(folder)
    (rendered.static / "survey.css").write_text("body { font-family: system-ui, sans-serif; }\n" * 40)
    prefix = folder / "nginx"
    prefix.mkdir()
    procs: list[subprocess.Popen[bytes]] = []
    with databases(request.param, folder) as new_database:
        url = new_database()
        token = _database(url)
        try:
            redis_proc, redis_port = start_redis(rendered.out / "redis-sipas.conf", folder)
            procs.append(redis_proc)
            env = server_env(
                rendered,
                SIPAS_DATABASE_URL=url,
                SIPAS_RATELIMIT_STORAGE=f"redis://127.0.0.1:{redis_port}/0",
                SIPAS_BASE_URL=f"https://{SERVER_NAME}:{rendered.https_port}",
                # SQLite is for one worker only (check-config refuses more); PostgreSQL gets two.
                SIPAS_WORKERS="1" if request.param == "sqlite" else "2",
                SIPAS_SURVEY_LIMIT_PER_ADDRESS=f"{ADDRESS_BUDGET} per minute",
            )
            check = subprocess.run(  # sipas.service's ExecStartPre
                [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "sipas", "check-config"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
            )
            assert check.returncode == 0, check.stderr
            log = folder / "gunicorn.log"
            procs.append(start_gunicorn(env, rendered.bind_port, log))
            procs.append(start_nginx(nginx_main_conf(rendered.out / "nginx-sipas.conf", prefix), prefix))
            wait_until(listening(rendered.https_port), "nginx", procs[-1])
            s = Stack(rendered, url, token, redis_port, log, prefix)
            phone = Phone(s, "127.0.0.9")
            wait_until(lambda: phone.request("GET", "/healthz")[0].status == 200, "the app behind nginx")
            yield s
        finally:
            stop(*reversed(procs))


def test_a_survey_submitted_through_nginx_is_stored_once(stack):
    """Step 1, step 2, submit over TLS: 303 to the thank-you page; the same POST again stores nothing more."""
    phone = Phone(stack, "127.0.0.2")
    reply, page = phone.request("GET", f"/s/{stack.token}")
    assert reply.status == 200 and "sipas_device" in phone.cookies
    t = _hidden(page.decode(), "t")
    reply, page = phone.request(
        "GET", f"/s/{stack.token}?" + urllib.parse.urlencode({"t": t, "S1": "2", "B5.0": "2"})
    )
    assert reply.status == 200
    form = {
        "t": t,
        "csrf_token": _hidden(page.decode(), "csrf_token"),
        "S1": "2",
        "B5.0": "2",
        "B1.1": "4",
        "B2.1": "5",
        "B0": "4",
        "C1": "Cán bộ nhiệt tình.",
    }
    before = _count(stack.url, Response)
    reply, _ = phone.request("POST", f"/s/{stack.token}", form)
    assert (reply.status, reply.headers["Location"]) == (303, f"/s/{stack.token}/thanks")
    again, _ = phone.request("POST", f"/s/{stack.token}", form)
    assert again.status == 303
    assert _count(stack.url, Response) == before + 1
    engine = create_engine(stack.url, poolclass=NullPool)
    with engine.connect() as conn:
        rid = conn.scalar(select(func.max(Response.id)))
        stored = sorted(
            tuple(r)
            for r in conn.execute(
                select(Answer.item_code, Answer.value, Answer.text).where(Answer.response_id == rid)
            )
        )
    engine.dispose()
    assert stored == [
        ("B0", 4, None),
        ("B1.1", 4, None),
        ("B2.1", 5, None),
        ("B5.0", 2, None),
        ("C1", None, "Cán bộ nhiệt tình."),
        ("S1", 2, None),
    ]
    reply, page = phone.request("GET", f"/s/{stack.token}/thanks")
    assert reply.status == 200 and "Xin cảm ơn" in page.decode()


def test_an_official_logs_in_over_tls_and_reads_the_admin_page(stack):
    """The login form works behind nginx (https, no Referer sent), and the session cookie is Secure."""
    browser = Phone(stack, "127.0.0.8")
    reply, page = browser.request("GET", "/login")
    assert reply.status == 200
    form = {
        "email": "admin@snv.laichau.gov.vn",
        "password": PASSWORD,
        "csrf_token": _hidden(page.decode(), "csrf_token"),
    }
    reply, _ = browser.request("POST", "/login", form)
    assert reply.status == 303, reply.status
    assert all("Secure" in c for c in reply.headers.get_all("Set-Cookie") or [])
    reply, page = browser.request("GET", reply.headers["Location"])
    assert reply.status == 200 and "admin@snv.laichau.gov.vn" in page.decode()


def test_the_rate_limiter_counts_the_citizens_address_not_nginxs(stack):
    """Past its address budget a client gets 429 (a forged X-Forwarded-For is no help); another does not."""
    crowd = Phone(stack, "127.0.0.3")
    statuses = []
    for n in range(ADDRESS_BUDGET + 1):
        crowd.cookies.clear()  # phones without the device cookie share the address budget
        reply, _ = crowd.request(
            "POST", f"/s/{stack.token}", {"t": "x", "B1.1": "4"}, headers={"X-Forwarded-For": f"10.0.0.{n}"}
        )
        statuses.append(reply.status)
    assert statuses[-1] == 429 and 429 not in statuses[:-1], statuses
    reply, _ = Phone(stack, "127.0.0.4").request("POST", f"/s/{stack.token}", {"t": "x", "B1.1": "4"})
    assert reply.status != 429
    keys = [k.decode() for k in redis.Redis(port=stack.redis_port).keys("*")]
    assert any("127.0.0.3" in k for k in keys) and any("127.0.0.4" in k for k in keys), keys
    assert not any("127.0.0.1" in k or "10.0.0." in k for k in keys), keys


def test_no_log_holds_a_client_address_or_the_survey_query(stack):
    """nginx's access log has the route pattern only; gunicorn logs no request at all."""
    Phone(stack, "127.0.0.5").request("GET", f"/s/{stack.token}?t=secret-form-token&S1=2")
    access = (stack.rendered.logs / "sipas-access.log").read_text()
    assert "GET /s/<token> 200" in access
    phones = [f"127.0.0.{n}" for n in range(2, 10)]  # every client address of this module
    for leak in (*phones, stack.token, "secret-form-token", "S1=2", "Mozilla", "python"):
        assert leak not in access, leak
    errors = (
        (stack.rendered.logs / "sipas-error.log").read_text()
        if (stack.rendered.logs / "sipas-error.log").exists()
        else ""
    )
    gunicorn = stack.gunicorn_log.read_text()
    for leak in (*phones, stack.token, "secret-form-token"):
        assert leak not in gunicorn and leak not in errors, leak


def test_static_files_are_compressed_and_cached(stack):
    """nginx serves /static/ itself, gzipped for a phone that accepts it, cacheable for a week."""
    reply, body = Phone(stack, "127.0.0.6").request(
        "GET", "/static/survey.css", headers={"Accept-Encoding": "gzip"}
    )
    assert reply.status == 200 and reply.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body) == (stack.rendered.static / "survey.css").read_bytes()
    assert "max-age=604800" in reply.headers["Cache-Control"]


def test_a_survey_body_over_64_kb_is_refused_by_nginx_with_a_vietnamese_page(stack):
    """A 70 KB answer never reaches the app: 413, nginx's bilingual page; a 1 MB upload passes nginx."""
    phone = Phone(stack, "127.0.0.7")
    reply, page = phone.request("POST", f"/s/{stack.token}", {"C1": "x" * 70_000})
    assert reply.status == 413 and "Nội dung gửi lên quá lớn" in page.decode()
    reply, _ = phone.request("POST", "/admin/units/import", {"file": "x" * 1_000_000})
    assert reply.status != 413


def test_plain_http_moves_to_https(stack):
    """http:// answers 301 to the same path on https://, at the server's own name."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.rendered.http_port, timeout=60)
    conn.request("GET", f"/s/{stack.token}", headers={"Host": SERVER_NAME})
    reply = conn.getresponse()
    assert (reply.status, reply.headers["Location"]) == (
        301,
        f"https://{SERVER_NAME}:{stack.rendered.https_port}/s/{stack.token}",
    )
    conn.close()


def test_gunicorn_refuses_to_start_with_unsafe_production_settings(tmp_path):
    """The factory's check under gunicorn: an http base URL stops the start, naming the setting."""
    from tests.deploy.stack import free_port

    rendered = render(tmp_path)
    port = free_port()
    env = server_env(
        rendered,
        SIPAS_BASE_URL="http://sipas.test",
        SIPAS_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}",
        SIPAS_WORKERS="1",
        SIPAS_BIND=f"127.0.0.1:{port}",
        SIPAS_RATELIMIT_STORAGE="memory://",
    )
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "SIPAS_BASE_URL: 'http://sipas.test' is not https" in done.stderr


@pytest.mark.browser
def test_a_phone_browser_answers_through_nginx(stack, browser):
    """Chromium at phone size walks the survey over https/HTTP 2 (skipping every question, as anyone
    may) to the thank-you page; exactly one response is stored."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, locale="vi-VN", ignore_https_errors=True
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    before = _count(stack.url, Response)
    page.goto(f"https://127.0.0.1:{stack.rendered.https_port}/s/{stack.token}")
    send = page.get_by_role("button", name="Gửi câu trả lời")
    for _ in range(40):  # the phone turns the pages itself: "next" until "send" shows
        if send.is_visible():
            break
        page.get_by_role("button", name="Tiếp tục").click()
    send.click()
    page.get_by_role("heading", name="Xin cảm ơn!").wait_for()
    assert page.url.endswith(f"/s/{stack.token}/thanks")
    protocol = page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")
    context.close()
    assert protocol == "h2"
    assert _count(stack.url, Response) == before + 1


def test_an_error_page_logs_the_route_asked_for(stack):
    """When nginx answers with its own page (413), the log names the route pattern asked for."""
    log = stack.rendered.logs / "sipas-access.log"
    before = log.read_text().count(" /s/<token> 413 ")
    Phone(stack, "127.0.0.9").request("POST", f"/s/{stack.token}?t=abc", {"C1": "x" * 70_000})
    # nginx writes the line once the connection is closed, a moment after the answer (its error
    # page turns the method into GET).
    wait_until(lambda: log.read_text().count(" /s/<token> 413 ") > before, "the access log line")
    assert "_sipas" not in log.read_text() and "t=abc" not in log.read_text()
