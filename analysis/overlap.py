"""Work run beside other work: hashing a million strings (a duplicate check, a factorisation)
spends its time in Arrow or pandas code that releases the GIL, so another thread can go on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["BACKGROUND_ROWS", "background"]

T = TypeVar("T")

#: Below this many responses the work is done in place: a thread costs more than it saves on a
#: small frame.
BACKGROUND_ROWS = 100_000


@contextmanager
def background(fn: Callable[..., T], *args: Any, big: bool) -> Iterator[Future[T]]:
    """``fn(*args)`` on a second thread while the block runs (``big``), else at once, in place.
    Leaving the block waits for the thread."""
    if not big:
        done: Future[T] = Future()
        done.set_result(fn(*args))
        yield done
        return
    with ThreadPoolExecutor(1) as pool:
        yield pool.submit(fn, *args)
