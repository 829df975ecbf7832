"""Where a survey cycle's server time goes, request by request, in process (SPEC §4).

    .venv/bin/python bench/cycle.py [--db sqlite|postgresql] [--blocks B] [--cycles C]

Creates a fresh database (as bench/scale.py does: a SQLite file under bench/out/, or a
throwaway PostgreSQL database on 127.0.0.1:5432), migrates and seeds it, then walks survey
cycles through Flask's test client — step 1, step 2 with the screeners, the POST of about 25
answers, the thank-you page — and prints the median CPU time of the serving thread per request
over B blocks of C cycles. Beside them, measured in the same blocks:

- ``floor``: a request to a route of this app that does nothing (the survey script, already
  cached): what every request pays before any view runs (hooks, session, limiter, language,
  the setup-version read);
- ``bare``: the same four requests to bench/bare_app.py.

No gzip here (the test client does not ask for it) and no HTTP server: bench/submit.py measures
those under gunicorn. To compare two versions of the code, run this command in each checkout
in turn (A B A B): the medians of one run move by 5-10 % on a busy machine.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the project: bench/analysis.py is not the package

import scale  # noqa: E402  (bench/scale.py: database set-up and the app's bench settings)

STEPS = ("step 1", "step 2", "submit", "thank-you", "floor", "bare cycle")


def _walker(client, bare, token: str, script: str):  # type: ignore[no-untyped-def]
    """One cycle of each kind, adding the CPU seconds of each request to ``spent``."""
    data = {"S1": "2", "B5.0": "1", "B0": "4", **dict.fromkeys(scale.SERVICE, "4")}

    def timed(spent: dict[str, float], step: str, call):  # type: ignore[no-untyped-def]
        start = time.thread_time()
        reply = call()
        spent[step] += time.thread_time() - start
        return reply

    def cycle(spent: dict[str, float]) -> None:
        page = timed(spent, "step 1", lambda: client.get(f"/s/{token}")).text
        t = re.search(r'name="t" value="([^"]*)"', page)[1]
        screens = {"t": t, "S1": "2", "B5.0": "1"}
        page = timed(spent, "step 2", lambda: client.get(f"/s/{token}", query_string=screens)).text
        group = re.search(r'<option value="([^"]+)" selected>', page)
        csrf = re.search(r'name="csrf_token" value="([^"]*)"', page)[1]
        form = data | {"t": t, "csrf_token": csrf} | ({"policy_group": group[1], "A1": "4"} if group else {})
        reply = timed(spent, "submit", lambda: client.post(f"/s/{token}", data=form))
        if reply.status_code != 303:
            sys.exit(f"submit answered {reply.status_code}")
        if timed(spent, "thank-you", lambda: client.get(reply.headers["Location"])).status_code != 200:
            sys.exit("thank-you page did not answer 200")
        if timed(spent, "floor", lambda: client.get(script)).status_code != 200:
            sys.exit("survey script did not answer 200")
        start = time.thread_time()
        bare.get(f"/s/{token}")
        bare.get(f"/s/{token}", query_string=screens)
        bare.get(bare.post(f"/s/{token}", data=form).headers["Location"])
        spent["bare cycle"] += time.thread_time() - start

    return cycle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--cycles", type=int, default=50, help="cycles per block")
    args = parser.parse_args(argv)

    from bare_app import app as bare_app
    from sqlalchemy import select

    from survey.extensions import db
    from survey.models import ServicePoint
    from survey.public.assets import script_digest

    url = scale._create(args.db)  # noqa: SLF001 - the bench's own helpers
    try:
        scale._setup(url)  # noqa: SLF001
        app = scale._app(url)  # noqa: SLF001
        with app.app_context():
            token = db.session.scalar(select(ServicePoint.token).order_by(ServicePoint.id))
        script = f"/assets/survey-{script_digest()}.js"
        cycle = _walker(app.test_client(), bare_app.test_client(), token, script)
        for _ in range(20):  # templates compiled, kept pages drawn, pools filled
            cycle(dict.fromkeys(STEPS, 0.0))
        blocks = []
        for _ in range(args.blocks):
            spent = dict.fromkeys(STEPS, 0.0)
            for _ in range(args.cycles):
                cycle(spent)
            blocks.append({step: seconds / args.cycles * 1000 for step, seconds in spent.items()})
    finally:
        scale._drop(url)  # noqa: SLF001
    median = {step: statistics.median(b[step] for b in blocks) for step in STEPS}
    app_cycle = statistics.median(sum(b[s] for s in STEPS[:4]) for b in blocks)
    print(f"survey cycle in process, {args.db}: median of {args.blocks} blocks of {args.cycles} cycles,")
    print("CPU ms of the serving thread (Flask test client, no gzip, no HTTP server)")
    for step in STEPS[:4]:
        print(f"  {step:<12}{median[step]:8.2f} ms")
    print(f"  {'cycle':<12}{app_cycle:8.2f} ms   (target ≤ 5 ms)")
    print(f"  {'floor':<12}{median['floor']:8.2f} ms   a request to a route that does nothing, per request")
    print(f"  {'bare cycle':<12}{median['bare cycle']:8.2f} ms   the same four requests to bench/bare_app.py")
    print(f"  ratio of CPU, bare / app: {median['bare cycle'] / app_cycle:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
