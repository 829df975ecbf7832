"""Submit-path throughput against a bare Flask app, row count and page weight (SPEC §4).

    .venv/bin/python bench/submit.py [--seconds S] [--clients C] [--db sqlite|postgresql]

One run creates a fresh database (a SQLite file under bench/out/, or a throwaway PostgreSQL
database on 127.0.0.1:5432 as user postgres), migrates and seeds it, serves the real app and
bench/bare_app.py under gunicorn with identical settings on free loopback ports, and drives
both with the same client for the same wall time. A cycle is what a phone does: GET step 1,
GET step 2 with the screeners, POST about 25 answers, follow the 303 to the thank-you page.

It prints cycles/s of both and their ratio (target ≥ 0.5), checks that the database gained
exactly one response (and the expected answer rows) per successful POST — the process exits 1
when it did not — and prints the gzip-compressed weight of step 1 and step 2 against the 30 KB
budget. CPU seconds of the client, the servers and the rest of the machine are printed with
each figure, so a low ratio can be told apart from a saturated client.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gzip
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
BUDGET_BYTES = 30_000  # "≤ 30 KB over the wire": read strictly as 30,000 bytes
TARGET_RATIO = 0.5
WARMUP_S = 2.0  # templates compiled, pools filled, instrument loaded in every worker
SETTLE_S = 0.5  # before each later slice: clients back in steady state before counting
SLICE_S = 2.5  # measured seconds per slice (see interleaved())
HTTP_TIMEOUT_S = 30.0  # a hung server fails the run instead of hanging it

# Both apps get exactly these settings. The machine has 2 cores and the client shares them,
# so: one process per core (the views are Python, bound by the GIL), and threads in each so
# that a request waiting on the database (SQLite's write lock and fsync, a PostgreSQL round
# trip) does not leave its core idle. gthread also keeps connections alive, like a phone's
# browser, where sync workers would close every connection and we would time TCP set-up.
# 2 × 4 threads = 8 request slots, the default number of clients.
GUNICORN = [
    "--worker-class",
    "gthread",
    "--workers",
    "2",
    "--threads",
    "4",
    "--graceful-timeout",
    "3",
    "--no-control-socket",  # its default path is shared: two servers would fight over it
    "--log-level",
    "warning",
]

# The step-2 screeners that show every question (S1=2 shows B4.*, B5.0=1 shows B5.2-3).
SCREEN = {"S1": "2", "B5.0": "1"}
SERVICE_ITEMS = [f"B{e}.{i}" for e, n in ((1, 3), (2, 4), (3, 4), (4, 3), (5, 3)) for i in range(1, n + 1)]
POLICY_ELEMENTS = ("A1", "A2", "A3", "A4")
COMMENTS = ("Cần thêm ghế ngồi chờ.", "Cán bộ hướng dẫn nhiệt tình.", "Thời gian chờ hơi lâu.")
HIDDEN = {name: re.compile(rf'name="{name}" value="([^"]*)"') for name in ("t", "csrf_token")}
SELECTED_GROUP = re.compile(r'<option value="([^"]+)" selected>')
TAG = re.compile(r"<(?:link|script)\b[^>]*>", re.IGNORECASE)
SAME_ORIGIN_URL = re.compile(r'\b(?:href|src)="(/[^"/][^"]*)"')


# ---------------------------------------------------------------------------- the client


class CycleError(Exception):
    """A step of a cycle that did not answer as a phone expects; its text is the error kind."""


@dataclass
class Reply:
    """One HTTP answer: status, headers, body as sent (maybe gzip) and decoded text."""

    status: int
    headers: list[tuple[str, str]]
    raw: bytes
    text: str

    def header(self, name: str) -> str | None:
        """First header of that name (case-insensitive), or None."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def wire_bytes(self) -> int:
        """Status line, headers and body as they crossed the socket (close enough)."""
        head = len("HTTP/1.1 200 OK\r\n") + sum(len(k) + len(v) + 4 for k, v in self.headers) + 2
        return head + len(self.raw)


class Phone:
    """One keep-alive connection and one cookie jar, like one browser on one phone.

    The jar is a plain dict: every cookie of these apps is host-wide with path /, and a real
    jar (http.cookiejar) would need urllib request objects around each http.client call.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def forget(self) -> None:
        """Become a new phone: no cookies (a new device id, session and CSRF token)."""
        self.cookies.clear()

    def close(self) -> None:
        """Close the connection, if open."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> Reply:
        """Send one request; retry once on a fresh connection if a kept-alive one was closed.

        The retry only covers the server having closed an idle connection (keep-alive
        timeout) before reading the request, so it never sends a request twice in effect.
        """
        for attempt in (1, 2):
            reused = self.conn is not None
            try:
                return self._send(method, path, form)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if not reused or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, form: list[tuple[str, str]] | None) -> Reply:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=HTTP_TIMEOUT_S)
        headers = {"Accept-Encoding": "gzip", "User-Agent": "sipas-bench/1", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        raw = resp.read()
        for cookie in resp.msg.get_all("Set-Cookie") or ():
            name, _, value = cookie.split(";", 1)[0].partition("=")
            if value:
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        data = gzip.decompress(raw) if resp.getheader("Content-Encoding") == "gzip" else raw
        if resp.will_close:
            self.close()
        return Reply(resp.status, resp.getheaders(), raw, data.decode("utf-8", "replace"))


def expect(reply: Reply, status: int, step: str) -> Reply:
    """The reply if it has the expected status, else a CycleError naming step and status."""
    if reply.status != status:
        raise CycleError(f"{step}: status {reply.status}")
    return reply


def hidden(reply: Reply, name: str, step: str) -> str:
    """Value of a hidden input of a page."""
    match = HIDDEN[name].search(reply.text)
    if match is None:
        raise CycleError(f"{step}: no hidden {name}")
    return match.group(1)


def realistic_answers(rng: random.Random, group: str) -> tuple[list[tuple[str, str]], int]:
    """About 25 answers as a satisfied-ish citizen gives them; also the answer rows they make.

    Every service item, the overall rating, the four policy questions of the assigned group,
    two improvement choices and the profile; one in ten leaves a comment.
    """

    def rating() -> str:
        return rng.choice("4444555339")  # mostly satisfied, some neutral, a "don't know"

    form = [*SCREEN.items()]
    form += [(code, rating()) for code in SERVICE_ITEMS]
    form += [("B0", rating()), ("policy_group", group)]
    form += [(element, rating()) for element in POLICY_ELEMENTS]
    form += [("E1", str(c)) for c in sorted(rng.sample(range(1, 7), 2))]
    form += [("P1", str(rng.randint(1, 3))), ("P2", str(rng.randint(1, 4)))]
    if rng.random() < 0.1:
        form.append(("C1", rng.choice(COMMENTS)))
    return form, len(form) - 1  # policy_group is not an answer; every other field is a row


def cycle(phone: Phone, token: str, rng: random.Random, tally: Tally) -> None:
    """One respondent, start to thanks; a POST answered 303 is counted as stored at once."""
    phone.forget()
    page = f"/s/{token}"
    first = expect(phone.request("GET", page), 200, "GET step 1")
    t = hidden(first, "t", "GET step 1")
    query = urllib.parse.urlencode({"t": t, **SCREEN})
    second = expect(phone.request("GET", f"{page}?{query}"), 200, "GET step 2")
    csrf = hidden(second, "csrf_token", "GET step 2")
    group = SELECTED_GROUP.search(second.text)
    answers, rows = realistic_answers(rng, group.group(1) if group else "G1")
    posted = expect(phone.request("POST", page, [("t", t), ("csrf_token", csrf), *answers]), 303, "POST")
    tally.posts_ok += 1  # even if the thank-you page fails below, this response must be stored
    tally.rows_ok += rows
    location = posted.header("Location") or ""
    if urllib.parse.urlsplit(location).path != f"{page}/thanks":
        raise CycleError(f"POST: 303 to {location!r}")
    expect(phone.request("GET", location), 200, "GET thanks")


@dataclass
class Tally:
    """What one client thread saw; merged over threads after the run."""

    cycles: int = 0  # cycles completed inside the measured window
    latencies: list[float] = field(default_factory=list)
    posts_ok: int = 0  # every 303 to thanks, warm-up included: each must be one stored response
    rows_ok: int = 0  # answer rows those POSTs must have stored
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        """Merge another thread's tally into this one."""
        self.cycles += other.cycles
        self.latencies += other.latencies
        self.posts_ok += other.posts_ok
        self.rows_ok += other.rows_ok
        self.errors.update(other.errors)


def client_loop(
    port: int, tokens: list[str], seed: int, window: tuple[float, float], tally: Tally, stop: threading.Event
) -> None:
    """Run cycles back to back until told to stop; count those that end inside the window."""
    rng = random.Random(seed)
    phone = Phone("127.0.0.1", port)
    try:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                cycle(phone, rng.choice(tokens), rng, tally)
            except CycleError as exc:
                tally.errors[str(exc)] += 1
                continue
            except (OSError, http.client.HTTPException) as exc:
                tally.errors[f"connection: {type(exc).__name__}"] += 1
                phone.close()
                stop.wait(0.05)  # do not spin on a server that went away
                continue
            ended = time.perf_counter()
            if window[0] <= ended <= window[1]:
                tally.cycles += 1
                tally.latencies.append(ended - started)
    finally:
        phone.close()


# ---------------------------------------------------------------------------- CPU accounting


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> tuple[int, float]:
    """(parent pid, user+system CPU seconds) of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_cpu(root: int) -> float:
    """CPU seconds used so far by a process and its live children (a gunicorn master and workers)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            ppid, cpu = _proc_cpu(int(entry))
            if int(entry) == root or ppid == root:
                total += cpu
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        ticks = [int(x) for x in fh.readline().split()[1:9]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / CLK_TCK, sum(ticks) / CLK_TCK


@dataclass
class CpuSample:
    """CPU counters at one instant: client, server, database backends, whole machine.

    The client is this process, the server a gunicorn master with its workers, the database
    the PostgreSQL processes serving the benchmark database (none for SQLite).
    """

    client: float
    server: float
    db: dict[int, float]
    busy: float
    total: float

    @classmethod
    def take(cls, server_pid: int, db_pids: Callable[[], list[int]]) -> CpuSample:
        """Read all counters now."""
        busy, total = machine_cpu()
        db = {}
        for pid in db_pids():
            with contextlib.suppress(OSError, ValueError, IndexError):
                db[pid] = _proc_cpu(pid)[1]
        return cls(time.process_time(), tree_cpu(server_pid), db, busy, total)

    def db_since(self, before: CpuSample) -> float:
        """CPU seconds the database backends used since `before` (new backends from zero)."""
        return sum(cpu - before.db.get(pid, 0.0) for pid, cpu in self.db.items())


def no_db_pids() -> list[int]:
    """SQLite runs inside the server processes: no separate database server to account."""
    return []


# ---------------------------------------------------------------------------- one measurement


@dataclass
class Measurement:
    """Throughput and costs of one app over one window."""

    name: str
    seconds: float
    tally: Tally
    cpu_client: float
    cpu_server: float
    cpu_db: float
    cpu_busy: float
    cpu_total: float

    def add(self, other: Measurement) -> None:
        """Fold a later slice of the same app into this one."""
        self.seconds += other.seconds
        self.tally.add(other.tally)
        self.cpu_client += other.cpu_client
        self.cpu_server += other.cpu_server
        self.cpu_db += other.cpu_db
        self.cpu_busy += other.cpu_busy
        self.cpu_total += other.cpu_total

    @property
    def rate(self) -> float:
        """Completed cycles per second."""
        return self.tally.cycles / self.seconds

    def row(self) -> str:
        """One line of the results table."""
        n = max(self.tally.cycles, 1)
        lat = sorted(self.tally.latencies) or [0.0]
        p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
        other = self.cpu_busy - self.cpu_client - self.cpu_server - self.cpu_db
        return (
            f"{self.name:<18}{self.tally.cycles:>8}{self.rate:>10.1f}"
            f"{statistics.median(lat) * 1e3:>8.1f}{p95 * 1e3:>8.1f}{sum(self.tally.errors.values()):>8}"
            f"{self.cpu_server / n * 1e3:>9.2f}{self.cpu_db / n * 1e3:>6.2f}{self.cpu_client / n * 1e3:>8.2f}"
            f"{other / n * 1e3:>7.2f}"
            f"{100 * self.cpu_busy / self.cpu_total:>8.0f}%"
        )


HEADER = (
    f"{'':<18}{'cycles':>8}{'cycles/s':>10}{'p50 ms':>8}{'p95 ms':>8}{'errors':>8}"
    f"{'CPU ms/cycle: server':>23}{'db':>6}{'client':>8}{'other':>7}{'busy':>9}"
)


def measure(
    name: str,
    server: Server,
    tokens: list[str],
    clients: int,
    seconds: float,
    warmup: float,
    db_pids: Callable[[], list[int]],
) -> Measurement:
    """Warm up, then run `clients` phones for `seconds` and count what completed in between."""
    stop = threading.Event()
    start = time.perf_counter() + warmup
    window = (start, start + seconds)
    tallies = [Tally() for _ in range(clients)]
    threads = [
        threading.Thread(
            target=client_loop,
            args=(server.port, tokens, i, window, tallies[i], stop),
            daemon=True,
            name=f"phone-{i}",
        )
        for i in range(clients)
    ]
    try:
        for thread in threads:
            thread.start()
        stop.wait(max(0.0, start - time.perf_counter()))
        before = CpuSample.take(server.proc.pid, db_pids)
        stop.wait(max(0.0, window[1] - time.perf_counter()))
        after = CpuSample.take(server.proc.pid, db_pids)
    finally:
        stop.set()
        for thread in threads:
            thread.join(HTTP_TIMEOUT_S + 5)
    if any(t.is_alive() for t in threads):
        raise RuntimeError(f"{name}: a client thread did not finish")
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return Measurement(
        name,
        seconds,
        total,
        after.client - before.client,
        after.server - before.server,
        after.db_since(before),
        after.busy - before.busy,
        after.total - before.total,
    )


# ---------------------------------------------------------------------------- servers and database


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child: get SIGTERM when this benchmark dies, even by SIGKILL (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


@dataclass
class Server:
    """A gunicorn master started by this benchmark."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def stop(self) -> None:
        """SIGTERM the master (it stops its workers), then SIGKILL its process group if it hangs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)  # the group this script created
                self.proc.wait(5)


def start_server(name: str, target: str, env: dict[str, str], run_dir: Path, ready_path: str) -> Server:
    """Start gunicorn for `target` on a free loopback port and wait until it answers."""
    port = free_port()
    log = run_dir / f"{name}.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *GUNICORN, "--bind", f"127.0.0.1:{port}", target],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only us; we stop the servers in order
            preexec_fn=_die_with_parent,  # safe: no threads exist yet
        )
    server = Server(name, proc, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} server exited:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", ready_path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} server did not answer on port {port} within 60 s")


def flask_cli(env: dict[str, str], *args: str) -> str:
    """Run `flask --app wsgi sipas …` and return its output; fail loudly with its output."""
    cmd = [sys.executable, "-m", "flask", "--app", "wsgi", "sipas", *args]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def fresh_database(kind: str, run_dir: Path) -> Iterator[str]:
    """URL of an empty database that exists for the duration of the block."""
    if kind == "sqlite":
        yield f"sqlite:///{run_dir / 'sipas.sqlite3'}"
        return
    import psycopg

    name = f"sipas_bench_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise RuntimeError(f"PostgreSQL at 127.0.0.1:5432: {exc}") from exc
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        drop_database(name)


def backend_pids(url: str) -> Callable[[], list[int]]:
    """A function listing the PostgreSQL processes serving the benchmark database (none for SQLite).

    The server is on this machine (127.0.0.1), so their CPU can be read from /proc like ours.
    """
    if not url.startswith("postgresql://"):
        return no_db_pids
    name = url.rsplit("/", 1)[1]

    def pids() -> list[int]:
        import psycopg

        with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,)).fetchall()
        return [int(row[0]) for row in rows]

    return pids


def drop_database(name: str) -> None:
    """Drop a benchmark database, waiting up to 30 s for a server that is restarting."""
    import psycopg

    for attempt in range(10):
        try:
            with psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.OperationalError as exc:
            if attempt == 9:
                print(
                    f"bench/submit: could not drop database {name} ({exc}); drop it by hand", file=sys.stderr
                )
            else:
                time.sleep(3)


def count_rows(url: str) -> tuple[int, int]:
    """(responses, answers) stored in the database."""
    from sqlalchemy import create_engine, text

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            responses = conn.execute(text("SELECT count(*) FROM response")).scalar_one()
            answers = conn.execute(text("SELECT count(*) FROM answer")).scalar_one()
    finally:
        engine.dispose()
    return int(responses), int(answers)


def seed_units(env: dict[str, str]) -> None:
    """The demo units, counters and open period, with no (or, see below, one) response.

    `seed-demo --responses 0` currently fails (survey/demo.py bulk-inserts an empty list of
    responses, which SQLAlchemy runs as one all-defaults row). Rather than measure nothing,
    fall back to a single synthetic response: the row check counts from the state before the
    first cycle, so one extra row changes no figure.
    """
    try:
        flask_cli(env, "seed-demo", "--responses", "0")
    except RuntimeError as exc:
        if "unit_id" not in str(exc):
            raise
        print("note: `seed-demo --responses 0` fails on this version; seeded with --responses 1")
        flask_cli(env, "seed-demo", "--responses", "1")


def survey_tokens(env: dict[str, str]) -> list[str]:
    """Tokens of the demo counters, from `sipas tokens` (the last path segment of each URL)."""
    lines = flask_cli(env, "tokens").strip().splitlines()[1:]
    tokens = [line.split("\t")[2].rstrip("/").rsplit("/", 1)[1] for line in lines]
    if not tokens:
        raise RuntimeError("sipas tokens printed no service point")
    return tokens


# ---------------------------------------------------------------------------- page weight


def page_weight(port: int, path: str) -> tuple[int, int, str]:
    """(bytes over the wire, of which body, content encoding) of a page and its own CSS/JS.

    A new phone (no cookies) asking with Accept-Encoding: gzip, as a first view does.
    """
    phone = Phone("127.0.0.1", port)
    try:
        page = expect(phone.request("GET", path), 200, f"GET {path}")
        total, body = page.wire_bytes(), len(page.raw)
        for sub in subresources(page.text):
            part = expect(phone.request("GET", sub), 200, f"GET {sub}")
            total, body = total + part.wire_bytes(), body + len(part.raw)
        return total, body, page.header("Content-Encoding") or "identity"
    finally:
        phone.close()


def subresources(html: str) -> list[str]:
    """Same-origin stylesheets and scripts a page loads (other <link>s are not downloaded)."""
    found = set()
    for tag in TAG.findall(html):
        url = SAME_ORIGIN_URL.search(tag)
        if url and (tag.lower().startswith("<script") or "stylesheet" in tag.lower()):
            found.add(url.group(1))
    return sorted(found)


def weight_line(label: str, weight: tuple[int, int, str]) -> str:
    """One page-weight line with its verdict."""
    wire, body, encoding = weight
    verdict = "ok" if wire <= BUDGET_BYTES and encoding == "gzip" else "OVER BUDGET OR NOT COMPRESSED"
    return f"  {label:<44}{wire:>7,} B ({body:,} B body, {encoding})  {verdict}"


def step2_path(port: int, token: str) -> str:
    """Address of step 2 with every question shown, for a form load issued by step 1."""
    phone = Phone("127.0.0.1", port)
    try:
        t = hidden(expect(phone.request("GET", f"/s/{token}"), 200, "GET step 1"), "t", "GET step 1")
    finally:
        phone.close()
    return f"/s/{token}?{urllib.parse.urlencode({'t': t, **SCREEN})}"


# ---------------------------------------------------------------------------- the run


def interleaved(
    servers: list[tuple[str, Server]],
    tokens: list[str],
    args: argparse.Namespace,
    db_pids: Callable[[], list[int]] = no_db_pids,
) -> list[Measurement]:
    """Measure each server for args.seconds in alternating slices: A B B A A B …

    The machine is shared (other jobs, CPU frequency, the growing database): alternating
    short slices in a balanced order exposes both apps to the same drift, so the ratio stays
    meaningful even when the absolute figures move.
    """
    rounds = max(1, round(args.seconds / SLICE_S))
    results: dict[str, Measurement] = {}
    for i in range(rounds):
        for name, server in servers if i % 2 == 0 else servers[::-1]:
            warmup = SETTLE_S if name in results else WARMUP_S
            m = measure(name, server, tokens, args.clients, args.seconds / rounds, warmup, db_pids)
            if name in results:
                results[name].add(m)
            else:
                results[name] = m
    return [results[name] for name, _ in servers]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per app (10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent phones (8)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    if not 0 < args.seconds <= 600 or not 0 < args.clients <= 256:
        parser.error("--seconds must be in (0, 600] and --clients in [1, 256]")
    return args


def print_errors(m: Measurement) -> None:
    """Every unexpected answer of a measurement, by kind."""
    for kind, n in m.tally.errors.most_common():
        print(f"  {m.name}: {n} × {kind}")


def print_throughput(results: list[Measurement]) -> None:
    """The table, the errors and the ratio against its target."""
    print(HEADER)
    for m in results:
        print(m.row())
    print(
        "  (CPU per cycle: server = gunicorn master and workers; db = PostgreSQL backends of the "
        "benchmark database; client = this process; other = the rest of the machine)"
    )
    for m in results:
        print_errors(m)
    ratio = results[0].rate / results[1].rate if results[1].rate else float("nan")
    verdict = "ok" if ratio >= TARGET_RATIO else "BELOW TARGET"
    print(f"ratio app/bare: {ratio:.2f} (target ≥ {TARGET_RATIO})  {verdict}")


def check_rows(url: str, before: tuple[int, int], app: Measurement) -> bool:
    """Print and compare new responses and answer rows with what the successful POSTs sent."""
    responses, answers = (a - b for a, b in zip(count_rows(url), before, strict=True))
    posts, rows = app.tally.posts_ok, app.tally.rows_ok
    same = responses == posts and answers == rows
    print(
        f"rows: {posts} successful POSTs, {responses} new responses in the database; "
        f"{rows} answer rows expected, {answers} stored  {'ok' if same else 'MISMATCH'}"
    )
    return same


def print_page_weight(port: int, token: str) -> None:
    """Compressed weight of step 1 and of step 2 with every question, against the budget."""
    print(f"page weight, first view, gzip, budget {BUDGET_BYTES:,} B:")
    print(weight_line("step 1", page_weight(port, f"/s/{token}")))
    print(weight_line("step 2 (S1=2&B5.0=1, all questions)", page_weight(port, step2_path(port, token))))


def run(args: argparse.Namespace, run_dir: Path, stack: contextlib.ExitStack) -> int:
    """Set up, measure both apps, check the rows and the page weight; return the exit status."""
    url = stack.enter_context(fresh_database(args.db, run_dir))
    env = {**os.environ, "SIPAS_DATABASE_URL": url, "SIPAS_SECRET_KEY": "bench-" + uuid.uuid4().hex}
    env.pop("SIPAS_RATELIMIT_STORAGE", None)  # in-memory, the default of a single server
    # Every simulated phone comes from 127.0.0.1: the per-address budget is raised so that the
    # limiter is still consulted on every submit (its cost is measured) but does not refuse.
    env["SIPAS_SURVEY_LIMIT_PER_ADDRESS"] = "1000000 per minute"
    env["SIPAS_SURVEY_LIMIT_FORM_LOADS"] = "1000000 per minute"
    flask_cli(env, "init")
    seed_units(env)
    tokens = survey_tokens(env)
    app = start_server("app", "wsgi:app", env, run_dir, "/healthz")
    stack.callback(app.stop)
    bare = start_server("bare", "bench.bare_app:app", env, run_dir, "/s/ready")
    stack.callback(bare.stop)
    rows_before = count_rows(url)

    print(
        f"SIPAS submit benchmark: {args.db}, {args.clients} clients, {args.seconds:g} s per app "
        f"in alternating slices, gunicorn {' '.join(GUNICORN[:6])}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} before the run"
    )
    results = interleaved([(f"app ({args.db})", app), ("bare Flask", bare)], tokens, args, backend_pids(url))
    print_throughput(results)
    same = check_rows(url, rows_before, results[0])
    print_page_weight(app.port, tokens[0])
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; servers and the PostgreSQL database go away whatever happens."""
    args = parse_args(argv)
    run_dir = OUT / f"submit-{args.db}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir.mkdir(parents=True, exist_ok=True)
    # SIGTERM (a CI timeout) unwinds like Ctrl-C, so the finally clauses stop the servers;
    # SIGINT too when started from a shell that ignores it for background jobs.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    try:
        with contextlib.ExitStack() as stack:
            return run(args, run_dir, stack)
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        return 130
    except (RuntimeError, OSError, CycleError) as exc:
        print(f"bench/submit: {exc} (logs in {run_dir})", file=sys.stderr)
        return 2


def _raise_interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
