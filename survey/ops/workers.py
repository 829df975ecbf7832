"""How many gunicorn workers a server runs: one rule shared by gunicorn and `sipas check-config`.

`deploy/gunicorn.conf.py` imports this (standard library only), so the number of workers the
server starts and the number the production checks reason about (SQLite or per-process rate
limits are unsafe with several) come from the same settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["MAX_DEFAULT_WORKERS", "WorkerSettingError", "cores", "worker_count"]

# 2 × cores + 1 is gunicorn's advice for mostly-waiting workers; each worker holds pandas and may
# compute a report (hundreds of MB), so a large machine is capped rather than filled.
MAX_DEFAULT_WORKERS = 8


class WorkerSettingError(ValueError):
    """SIPAS_WORKERS or WEB_CONCURRENCY is not a whole number of at least 1."""


def cores() -> int:
    """CPU cores this process may run on (its affinity, which containers and systemd narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(environ: Mapping[str, str] | None = None, ncores: int | None = None) -> int:
    """SIPAS_WORKERS, else WEB_CONCURRENCY, else 2 × cores + 1 capped at MAX_DEFAULT_WORKERS."""
    env = os.environ if environ is None else environ
    for name in ("SIPAS_WORKERS", "WEB_CONCURRENCY"):
        value = env.get(name, "").strip()
        if value:
            if not value.isdigit() or int(value) < 1:
                raise WorkerSettingError(f"{name}: '{value}' is not a whole number of at least 1")
            return int(value)
    return min(2 * (ncores or cores()) + 1, MAX_DEFAULT_WORKERS)
