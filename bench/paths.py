"""Paths through the survey: questions, pages and the weight of each page as served.

    .venv/bin/python bench/paths.py [--instrument sipas-2025]

For every combination of screener answers (each option of each screening question, or no
answer) the survey's own skip rules and page grouping (survey.public.pages.path_for) give the
path a respondent takes; the shortest and the longest of them are printed with the typical
one (handing in papers, no earlier feedback). Each page of a path is then served by the real
app through Flask's test client, turned without JavaScript as a phone without a script does
(one POST per page, every answer so far in the body), and its gzip-compressed size is taken
from the reply; the survey's script, cached by the phone after the first page, is printed
apart. The app runs on a throwaway SQLite file under bench/out/. The process exits 1 when a
page, with the script, exceeds the 30 KB budget or a page has more than five questions.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BUDGET_BYTES = 30 * 1024
GZIP = {"Accept-Encoding": "gzip"}
# The most common visit: handing in papers (S1 = 1) by a person who never gave feedback (B5.0 = 2).
TYPICAL = {"S1": 1, "B5.0": 2}

sys.path.insert(0, str(ROOT))
os.environ.setdefault("SIPAS_SECRET_KEY", "bench-secret-key-not-for-production")


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    if match is None:
        raise SystemExit(f"no hidden field {name!r} in the survey page")
    return match.group(1)


def screener_answers(ins) -> list[dict[str, int]]:  # type: ignore[no-untyped-def]
    """Every combination of answers to the screening questions, unanswered included."""
    items = [ins.items[c] for s in ins.sections if s.id == "screen" for c in s.items]
    choices = [[None, *(o.code for o in item.scale.options)] for item in items if item.scale]
    codes = [item.code for item in items if item.scale]
    return [
        {code: value for code, value in zip(codes, combo, strict=True) if value is not None}
        for combo in itertools.product(*choices)
    ]


def _app(db_path: Path):  # type: ignore[no-untyped-def]
    from flask_migrate import upgrade

    from survey import create_app

    db_path.unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    return app


def _open_point(app) -> str:  # type: ignore[no-untyped-def]
    """A counter of a department with an open period; its QR token."""
    from datetime import timedelta

    from survey.extensions import db
    from survey.models import Period, ServicePoint, Unit
    from survey.periods import local_today

    with app.app_context():
        today = local_today()
        unit = Unit(code="LC-SNV", name="Sở Nội vụ tỉnh Lai Châu", kind="department")
        point = ServicePoint(unit=unit, code="Q01", name="Quầy 1")
        period = Period(
            code="bench",
            name="Đợt đo",
            starts_on=today - timedelta(days=1),
            ends_on=today + timedelta(days=1),
            is_open=True,
        )
        db.session.add_all([unit, point, period])
        db.session.commit()
        return point.token


def page_weights(client, token: str, screen: dict[str, int], pages: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Compressed bytes of each page of a path, turned one POST at a time as without JavaScript."""
    first = client.get(f"/s/{token}", headers=GZIP)
    assert first.headers.get("Content-Encoding") == "gzip", "the survey page is served uncompressed"
    text = gzip.decompress(first.data).decode()
    t, csrf = _hidden(text, "t"), _hidden(text, "csrf_token")
    weights, page = [len(first.data)], _hidden(text, "page")
    answers = {k: str(v) for k, v in screen.items()}
    for _ in range(pages - 1):
        reply = client.post(
            f"/s/{token}",
            data={"t": t, "csrf_token": csrf, "page": page, "nav": "next", **answers},
            headers=GZIP,
        )
        assert reply.status_code == 200, reply.status_code
        weights.append(len(reply.data))
        page = _hidden(gzip.decompress(reply.data).decode(), "page")
    return weights


def script_weight(client, token: str) -> int:  # type: ignore[no-untyped-def]
    """Compressed bytes of the survey's script."""
    html = gzip.decompress(client.get(f"/s/{token}", headers=GZIP).data).decode()
    src = re.search(r'<script src="(/assets/survey-\w+\.js)"', html)
    assert src is not None, "no survey script in the page"
    return len(client.get(src.group(1), headers=GZIP).data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instrument", default="sipas-2025")
    args = parser.parse_args(argv)

    from analysis.instrument import load_instrument
    from survey.public.pages import MAX_PER_PAGE, path_for

    ins = load_instrument(args.instrument)
    paths = [(screen, path_for(ins, screen)) for screen in screener_answers(ins)]
    # Ties go to the combination with the most screeners answered: the path as a respondent sees it.
    rows = [
        ("shortest", *min(paths, key=lambda sp: (sp[1].total, len(sp[1].pages), -len(sp[0])))),
        ("typical", TYPICAL, path_for(ins, TYPICAL)),
        ("longest", *max(paths, key=lambda sp: (sp[1].total, len(sp[1].pages), len(sp[0])))),
    ]

    OUT.mkdir(parents=True, exist_ok=True)
    app = _app(OUT / "paths-bench.sqlite3")
    app.config["SIPAS_INSTRUMENT"] = args.instrument
    token = _open_point(app)
    client = app.test_client()
    js = script_weight(client, token)

    print(f"instrument {ins.id} (version {ins.version}); {len(paths)} combinations of screener answers")
    row = "{:<9} {:<12} {:>9} {:>5}  {:>18}  {}"
    print(row.format("path", "screeners", "questions", "pages", "largest page gz KB", "per page (gz KB)"))
    failed = False
    for name, screen, path in rows:
        weights = page_weights(client, token, screen, len(path.pages))
        shown = ",".join(f"{k}={v}" for k, v in screen.items()) or "none"
        per_page = " ".join(f"{w / 1024:.2f}" for w in weights)
        print(row.format(name, shown, path.total, len(path.pages), f"{max(weights) / 1024:.2f}", per_page))
        if max(weights) + js > BUDGET_BYTES or any(len(p.items) > MAX_PER_PAGE for p in path.pages):
            failed = True
    print(f"script (once, then cached) {js / 1024:.1f} KB gz; budget per page with the script 30 KB")
    if failed:
        print("OVER BUDGET: a page with the script exceeds 30 KB, or a page asks more than five questions")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
