"""Peak memory of importing 150,000 paper responses (a 20 MB interchange CSV), target ≤ 1 GB.

Builds a demo database in a temporary folder, exports its responses, repeats them with new ids
up to --rows, and imports the file with `sipas import-responses` in a child process, whose peak
resident memory is read from the kernel (getrusage of the children). Before the import was
streamed in chunks this took 4.4 GB.

Run: .venv/bin/python bench/imports.py [--rows 150000]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "sipas"]
# The import as `sipas import-responses` runs it, in a process of its own that reports its peak.
MEASURE = """
import resource, sys
from pathlib import Path
from wsgi import app
from survey.extensions import db
from survey.paper import import_responses
with app.test_request_context():
    n = import_responses(Path(sys.argv[1]), Path(sys.argv[1]).name)
    db.session.commit()
print(n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=150_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sipas-import-"))
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": f"sqlite:///{work}/db.sqlite3",
        "SIPAS_SECRET_KEY": "bench-import",
    }
    _run(["init"], env)
    _run(["seed-demo", "--responses", "2000"], env)
    _run(["export-responses", "--out", str(work / "seed.csv")], env)
    with (work / "seed.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    rid = header.index("response_id")
    big = work / "big.csv"
    with big.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        for n in range(args.rows):
            row = list(body[n % len(body)])
            row[rid] = f"bench-{n}"
            out.writerow(row)
    start = time.monotonic()
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", MEASURE, str(big)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    took = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"import failed: {done.stderr.strip().splitlines()[-1:]}")
    count, peak_kb = done.stdout.split()
    peak_mb = int(peak_kb) / 1024
    print(f"import of {args.rows:,} responses ({big.stat().st_size / 1e6:.1f} MB CSV): {count} imported")
    print(f"  peak RSS of the import process   {peak_mb:,.0f} MB   (target <= 1024 MB; was 4,400 MB)")
    print(f"  wall time                        {took:,.0f} s")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if peak_mb <= 1024 else 1


if __name__ == "__main__":
    raise SystemExit(main())
