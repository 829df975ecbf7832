"""bench/paths.py: the paths it prints are the survey's, and every page it serves is in budget."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "paths.py"


def test_paths_bench_prints_the_three_paths_within_budget() -> None:
    """Shortest and typical 23 questions on 9 pages, longest 28 on 10; each page a few KB."""
    run = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = re.findall(r"^(shortest|typical|longest)\s+(\S+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s", run.stdout, re.M)
    assert [(name, screen, int(q), int(p)) for name, screen, q, p, _kb in rows] == [
        ("shortest", "S1=1,B5.0=2", 23, 9),
        ("typical", "S1=1,B5.0=2", 23, 9),
        ("longest", "S1=2,B5.0=1", 28, 10),
    ]
    assert all(1.0 < float(kb) < 30.0 for *_rest, kb in rows)
    assert "12 combinations of screener answers" in run.stdout
