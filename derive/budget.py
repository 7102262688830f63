"""Time budgets for exact work that can run away.

SymPy's simplification is pure Python, so a SIGALRM timer can interrupt it between bytecodes and
raise ``BudgetExceeded`` in the computation itself. Where no timer is available (not the main
thread, or not a Unix system) the budget is not enforced here; grading runs each answer in a
worker process that can be killed instead.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time

from .errors import BudgetExceeded


def _can_use_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def deadline(seconds: float | None, what: str = "the computation"):
    """Raise BudgetExceeded inside the block once ``seconds`` have passed."""
    if not seconds or not _can_use_alarm():
        yield
        return

    def expire(signum, frame):
        raise BudgetExceeded(f"{what} did not finish within {seconds:g} s")

    outer = signal.getitimer(signal.ITIMER_REAL)
    if outer[0] and outer[0] < seconds:  # an enclosing deadline is sooner: keep it
        yield
        return
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer[0]:
            remaining = outer[0] - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-3))
