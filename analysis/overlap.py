"""Work run beside other work: hashing a million strings (a duplicate check, a factorisation)
spends its time in Arrow or pandas code that releases the GIL, so another thread can go on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

__all__ = ["BACKGROUND_ROWS", "background"]

T = TypeVar("T")

#: Below this many responses the work is done in place, when its result is asked for: a thread
#: costs more than it saves on a small frame.
BACKGROUND_ROWS = 100_000


class _Later(Generic[T]):
    """``fn(*args)`` computed when first asked for, on the caller's thread."""

    def __init__(self, fn: Callable[..., T], args: tuple[Any, ...]) -> None:
        self._fn, self._args = fn, args
        self._value: tuple[T] | None = None

    def result(self) -> T:
        if self._value is None:
            self._value = (self._fn(*self._args),)
        return self._value[0]


@contextmanager
def background(fn: Callable[..., T], *args: Any, big: bool) -> Iterator[Future[T] | _Later[T]]:
    """``fn(*args)`` on a second thread while the block runs (``big``), else in place when its
    ``result()`` is asked for. Leaving the block waits for the thread."""
    if not big:
        yield _Later(fn, args)
        return
    with ThreadPoolExecutor(1) as pool:
        yield pool.submit(fn, *args)
