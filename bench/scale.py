"""Scale: reports, exports and the submit path with a million stored responses (SPEC §4).

    .venv/bin/python bench/scale.py [--db sqlite|postgresql|both] [--responses N] [--cycles C]

For each database one run creates a fresh one (a SQLite file under bench/out/, or a throwaway
PostgreSQL database on 127.0.0.1:5432 as user postgres), migrates it, seeds the demo province
without responses, and then, each step in a fresh Python process so that its peak resident
memory is its own (``os.wait4``):

1. submit CPU per survey cycle (step 1, step 2, POST, thank-you page) through Flask's test
   client with no response stored, beside a bare Flask app walked by the same client;
2. bulk-loads N synthetic responses (COPY on PostgreSQL, executemany on SQLite; about 24
   answers each), then ``sipas refresh --rebuild`` (recount, then store every quality flag);
3. a cold unit report (the largest unit, open period, cache emptied) from the stored cells,
   computed again in the same process, and beside it the same figures computed from the rows
   (every response of the unit and of the province read and pivoted, as reports did before
   they read cells) with the ratio; then warm renders of its page from the cache (median of 20);
4. the province overview: every unit's indices (``sipas compute --by unit``), and
   ``sipas compute --format json`` with its peak memory;
5. ``export-responses`` of all N to CSV, streamed, with its peak memory;
6. submit CPU per cycle again, now with N responses stored.

It prints each figure next to its target. Figures only: nothing here fails on a timing.
``--reports-only`` runs steps 2 and 3 alone; ``--keep`` leaves the database for a further look.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "Bao-cao-2026-trieu-phieu"  # noqa: S105  (a throwaway account in a throwaway database)
TARGETS = {
    "cycle": "≤ 5 ms",
    "report_cold": "≤ 5 s, ≤ 1.5 GB",
    "report_warm": "≤ 50 ms",
    "province": "≤ 5 s",
    "compute": "≤ 2.5 GB",
    "export": "≤ 1 GB",
}
SERVICE = [f"B{e}.{i}" for e, n in ((1, 3), (2, 4), (3, 4), (4, 3), (5, 3)) for i in range(1, n + 1)]
GROUPS = [f"G{g}" for g in range(1, 10)]
CHUNK = 50_000

sys.path.insert(0, str(ROOT))
os.environ.setdefault("SIPAS_SECRET_KEY", "bench-secret-key-not-for-production")


def _app(url: str):  # type: ignore[no-untyped-def]
    from survey import create_app

    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SURVEY_LIMIT_PER_DEVICE": "1000000 per minute",
        "SURVEY_LIMIT_PER_ADDRESS": "1000000 per minute",
        "SURVEY_LIMIT_FORM_LOADS": "1000000 per minute",
    }
    return create_app(config)


# --- set-up (parent process) ---------------------------------------------------------------


def _create(kind: str) -> str:
    if kind == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / "scale-bench.sqlite3"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    name = f"sipas_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _drop(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _setup(url: str) -> None:
    from flask_migrate import upgrade

    from survey.accounts import create_user
    from survey.demo import seed_demo
    from survey.extensions import db
    from survey.instrument import instrument

    app = _app(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    with app.test_request_context():
        seed_demo(instrument(), responses=0)
        create_user("phan-tich@bench.vn", "analyst", None, PASSWORD)
        db.session.commit()


def _step(name: str, url: str, *extra: str) -> dict:  # type: ignore[type-arg]
    """Run one step in a fresh process; its JSON line plus its own peak RSS."""
    args = [sys.executable, __file__, "--step", name, "--url", url, *extra]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"step {name} failed ({proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    # CPU seconds beside wall seconds: on a shared 2-core machine the wall time of a step also
    # measures everyone else's work. The step's own peak (VmHWM) where the system gives it:
    # ru_maxrss survives execve, so it never shows less than this parent process's peak.
    rss = result.pop("hwm_mb", None) or usage.ru_maxrss / 1024
    return result | {"rss_mb": rss, "cpu_s": usage.ru_utime + usage.ru_stime}


def _own_peak_mb() -> float | None:
    """This process's peak resident memory (Linux VmHWM), in MB; None elsewhere."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), None)
    return None if line is None else int(line.split()[1]) / 1024


# --- bulk load -------------------------------------------------------------------------------


def _rows(n: int, start: int, points: list[tuple[int, int]], period: int, since: date):  # type: ignore[no-untyped-def]
    """Responses and answers of ids start+1 … start+n (weekday mornings, no quality flag)."""
    import numpy as np

    rng = np.random.default_rng(start)
    ids = np.arange(start + 1, start + n + 1)
    which = rng.integers(0, len(points), n)
    days = rng.integers(0, max((date.today() - since).days, 1), n)
    minute = rng.integers(60, 240, n)  # 08:00-11:00 local = 01:00-04:00 UTC
    responses = []
    for k, rid in enumerate(ids.tolist()):
        day = since + timedelta(days=int(days[k]))
        day -= timedelta(days=max(0, day.weekday() - 4))
        at = datetime.combine(day, datetime.min.time()) + timedelta(minutes=int(minute[k]))
        point_id, unit_id = points[int(which[k])]
        group = GROUPS[rid % len(GROUPS)]
        responses.append(
            (rid, f"bench-{rid}", point_id, unit_id, period, at, int(100 + rid % 300), f"{rid:064x}", group)
        )
    values = rng.choice(
        [1, 2, 3, 4, 5, 9], p=[0.04, 0.08, 0.13, 0.45, 0.27, 0.03], size=(n, len(SERVICE) + 5)
    )
    answers = []
    for k, rid in enumerate(ids.tolist()):
        group = GROUPS[rid % len(GROUPS)]
        row = values[k]
        answers.append((rid, "S1", 2))
        answers.append((rid, "B5.0", 1))
        answers.extend((rid, code, int(v)) for code, v in zip(SERVICE, row, strict=False))
        answers.append((rid, "B0", int(row[len(SERVICE)])))
        answers.extend((rid, f"A{e}.{group}", int(row[len(SERVICE) + e])) for e in range(1, 5))
    return responses, answers


RESPONSE_COLUMNS = (
    "id, public_id, point_id, unit_id, period_id, submitted_at, duration_s, device_hash, policy_group, "
    "channel, language, weight, flags, flags_given"
)


def _load(url: str, total: int) -> float:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        points = [tuple(r) for r in conn.execute(text("SELECT id, unit_id FROM service_point ORDER BY id"))]
        period, since = conn.execute(text("SELECT id, starts_on FROM period WHERE is_open")).one()
        first = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM response")).scalar()  # after the cycles
        since = since if isinstance(since, date) else date.fromisoformat(since)
    t0 = time.perf_counter()
    for start in range(0, total, CHUNK):
        responses, answers = _rows(min(CHUNK, total - start), first + start, points, period, since)
        if url.startswith("sqlite"):
            _load_sqlite(engine, responses, answers)
        else:
            _load_postgres(engine, responses, answers)
    if not url.startswith("sqlite"):
        with engine.begin() as conn:
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('response', 'id'), (SELECT max(id) FROM response))"
                )
            )
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('answer', 'id'), (SELECT max(id) FROM answer))")
            )
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - t0


def _vacuum(url: str) -> float:
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - t0


def _load_sqlite(engine, responses, answers) -> None:  # type: ignore[no-untyped-def]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.executemany(
            f"INSERT INTO response ({RESPONSE_COLUMNS}) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'qr', 'vi', 1.0, '', '')",
            [(*r[:5], r[5].isoformat(sep=" "), *r[6:]) for r in responses],
        )
        cur.executemany("INSERT INTO answer (response_id, item_code, value) VALUES (?, ?, ?)", answers)
        raw.commit()
    finally:
        raw.close()


def _load_postgres(engine, responses, answers) -> None:  # type: ignore[no-untyped-def]
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(f"COPY response ({RESPONSE_COLUMNS}) FROM STDIN") as copy:  # noqa: S608
            for r in responses:
                copy.write_row((*r, "qr", "vi", 1.0, "", ""))
        with cur.copy("COPY answer (response_id, item_code, value) FROM STDIN") as copy:
            copy.write("".join(f"{a}\t{b}\t{c}\n" for a, b, c in answers))
        raw.commit()
    finally:
        raw.close()


# --- steps (child processes) -----------------------------------------------------------------


def _cycles(client, token: str, n: int) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds per survey cycle (this process: server and test client)."""
    import re

    data = {"S1": "2", "B5.0": "1", "B0": "4", **dict.fromkeys(SERVICE, "4")}

    def one() -> None:
        page = client.get(f"/s/{token}").text
        t = re.search(r'name="t" value="([^"]*)"', page)[1]
        page = client.get(f"/s/{token}", query_string={"t": t, "S1": "2", "B5.0": "1"}).text
        group = re.search(r'<option value="([^"]+)" selected>', page)
        csrf = re.search(r'name="csrf_token" value="([^"]*)"', page)[1]
        form = (
            data
            | {"t": t, "csrf_token": csrf}
            | ({"policy_group": group[1], "A1": "4", "A2": "5"} if group else {})
        )
        reply = client.post(f"/s/{token}", data=form)
        assert reply.status_code == 303, reply.status_code
        assert client.get(reply.headers["Location"]).status_code == 200

    for _ in range(20):
        one()
    t0 = time.process_time()
    for _ in range(n):
        one()
    return (time.process_time() - t0) / n


def step_cycle(url: str, n: int) -> dict:  # type: ignore[type-arg]
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import ServicePoint

    app = _app(url)
    with app.app_context():
        token = db.session.scalar(select(ServicePoint.token).order_by(ServicePoint.id))
    real = _cycles(app.test_client(), token, n)
    sys.path.insert(0, str(ROOT / "bench"))
    from bare_app import app as bare

    base = _cycles(bare.test_client(), token, n)
    return {"cpu_ms": real * 1000, "bare_ms": base * 1000}


def _biggest_unit(url: str):  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from survey.extensions import db
    from survey.models import Response, Unit

    query = select(Unit.code).join(Response, Response.unit_id == Unit.id).group_by(Unit.code)
    return db.session.scalar(query.order_by(func.count().desc()))


def step_refresh(url: str) -> dict:  # type: ignore[type-arg]
    from survey.aggregates import rebuild, settle
    from survey.extensions import db

    with _app(url).app_context():
        t0 = time.perf_counter()
        rebuild()
        db.session.commit()
        t1 = time.perf_counter()
        days = settle()
        db.session.commit()
        return {"rebuild_s": t1 - t0, "settle_s": time.perf_counter() - t1, "days": days}


def step_report_cold(url: str) -> dict:  # type: ignore[type-arg]
    from sqlalchemy import delete, select

    from survey.extensions import db
    from survey.models import ReportCache, Unit
    from survey.reports.indices import default_period
    from survey.reports.payloads import unit_report

    with _app(url).app_context():
        code = _biggest_unit(url)
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        times = []
        for _ in range(2):  # cold, then again with the database's pages warm
            db.session.execute(delete(ReportCache))
            db.session.commit()
            t0 = time.perf_counter()
            unit_report(unit, default_period())
            times.append(time.perf_counter() - t0)
        return {"s": times[0], "again_s": times[1], "unit": code}


def step_report_rows(url: str, code: str) -> dict:  # type: ignore[type-arg]
    """The unit report's index figures (unit with province importances, counters, months,
    quarters) computed from the rows, as before reports read the stored cells."""
    from sqlalchemy import select

    from survey.auth.access import family_ids
    from survey.extensions import db
    from survey.models import Unit
    from survey.reports.indices import compute, default_period, load

    with _app(url).app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
        period = default_period()
        t0 = time.perf_counter()
        frame = load(period, family_ids({unit.id}))
        compute(frame, "unit", load(period))
        for by in ("point", "month", "quarter"):
            compute(frame, by)
        return {"s": time.perf_counter() - t0, "responses": len(frame)}


def step_report_warm(url: str, code: str) -> dict:  # type: ignore[type-arg]
    client = _app(url).test_client()
    assert (
        client.post("/login", data={"email": "phan-tich@bench.vn", "password": PASSWORD}).status_code == 303
    )
    times, cpu = [], []
    for _ in range(21):
        t0, c0 = time.perf_counter(), time.process_time()
        assert client.get(f"/reports/{code}").status_code == 200
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"median_ms": statistics.median(times[1:]) * 1000, "cpu_ms": statistics.median(cpu[1:]) * 1000}


def step_province(url: str) -> dict:  # type: ignore[type-arg]
    """The province overview page's data for the open period, computed anew (cache emptied)."""
    from sqlalchemy import delete

    from survey.extensions import db
    from survey.models import ReportCache
    from survey.reports.indices import default_period
    from survey.reports.payloads import province_report

    with _app(url).app_context():
        db.session.execute(delete(ReportCache))
        db.session.commit()
        t0 = time.perf_counter()
        province_report(default_period())
        return {"s": time.perf_counter() - t0}


def step_cli(url: str, *args: str) -> dict:  # type: ignore[type-arg]
    app = _app(url)
    t0 = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["sipas", *args])
    assert result.exit_code == 0, result.output
    return {"s": time.perf_counter() - t0, "output": result.output.strip().splitlines()[-1]}


# --- the run ---------------------------------------------------------------------------------


def _say(label: str, r: dict, target: str, extra: str = "") -> None:  # type: ignore[type-arg]
    print(
        f"{label}: {r['s']:.1f} s (process CPU {r['cpu_s']:.1f} s), "
        f"peak {r['rss_mb']:.0f} MB{extra} [{target}]",
        flush=True,
    )


def _cycle_line(label: str, r: dict) -> None:  # type: ignore[type-arg]
    ratio = r["bare_ms"] / r["cpu_ms"]
    print(
        f"submit cycle, {label}: {r['cpu_ms']:.2f} ms CPU; bare Flask through the same client "
        f"{r['bare_ms']:.2f} ms (ratio {ratio:.2f}) [{TARGETS['cycle']}]",
        flush=True,
    )


def _run(kind: str, total: int, cycles: int, reports_only: bool, keep: bool = False) -> None:
    print(f"\n== {kind}: {total:,} responses ==", flush=True)
    url = _create(kind)
    try:
        _setup(url)
        if not reports_only:
            _cycle_line("0 stored", _step("cycle", url, str(cycles)))
        print(f"bulk load: {_load(url, total):.0f} s", flush=True)
        r = _step("refresh", url)
        print(
            f"sipas refresh --rebuild: recount {r['rebuild_s']:.1f} s, first fold of {r['days']} days "
            f"(every quality flag and cell) {r['settle_s']:.1f} s, process CPU {r['cpu_s']:.1f} s, "
            f"peak {r['rss_mb']:.0f} MB",
            flush=True,
        )
        if not url.startswith("sqlite"):
            # The first fold rewrote every response's flags: vacuum now, as an operator would after
            # a bulk load, so that autovacuum does not run under the timed steps below.
            print(f"VACUUM (ANALYZE) after the first fold: {_vacuum(url):.0f} s", flush=True)
        cold = _step("report_cold", url)
        _say(
            f"unit report {cold['unit']} from stored cells, cold",
            cold,
            TARGETS["report_cold"],
            f"; computed again in the same process {cold['again_s']:.2f} s",
        )
        rows = _step("report_rows", url, cold["unit"])
        _say(
            f"the same unit's index figures from its {rows['responses']:,} rows and the province's",
            rows,
            TARGETS["report_cold"],
            f"; cells are {rows['s'] / cold['s']:.1f}× faster, "
            f"{rows['rss_mb'] / cold['rss_mb']:.1f}× less memory",
        )
        warm = _step("report_warm", url, cold["unit"])
        print(
            f"unit report page, warm: median {warm['median_ms']:.1f} ms (CPU {warm['cpu_ms']:.1f} ms) "
            f"[{TARGETS['report_warm']}]",
            flush=True,
        )
        if reports_only:
            return
        _say("province overview (all units)", _step("province", url), TARGETS["province"])
        out = OUT / "scale-compute.json"
        _say(
            "sipas compute --format json",
            _step("cli", url, "compute", "--format", "json", "--out", str(out)),
            TARGETS["compute"],
        )
        out.unlink(missing_ok=True)
        out = OUT / "scale-export.csv"
        exp = _step("cli", url, "export-responses", "--out", str(out))
        _say(
            "export-responses (CSV, streamed)", exp, TARGETS["export"], f", {out.stat().st_size / 1e6:.0f} MB"
        )
        out.unlink(missing_ok=True)
        _cycle_line(f"{total:,} stored", _step("cycle", url, str(cycles)))
    finally:
        if keep:
            print(f"kept: {url} (one step again: bench/scale.py --step NAME --url URL [ARGS])")
        else:
            _drop(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--reports-only", action="store_true", help="load, refresh and reports only")
    parser.add_argument(
        "--keep", action="store_true", help="keep the loaded database afterwards and print its URL"
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args(argv)
    if args.step:
        steps = {
            "cycle": lambda: step_cycle(args.url, int(rest[0])),
            "refresh": lambda: step_refresh(args.url),
            "report_cold": lambda: step_report_cold(args.url),
            "report_rows": lambda: step_report_rows(args.url, rest[0]),
            "report_warm": lambda: step_report_warm(args.url, rest[0]),
            "province": lambda: step_province(args.url),
            "cli": lambda: step_cli(args.url, *rest),
        }
        print(json.dumps(steps[args.step]() | {"hwm_mb": _own_peak_mb()}))
        return 0
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"bench/scale.py on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load {load}")
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        _run(kind, args.responses, args.cycles, args.reports_only, args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
