"""Time budgets for exact work that can run away.

SymPy's own work is pure Python, so a SIGALRM timer can interrupt it between bytecodes and raise
``BudgetExceeded`` in the computation itself (``deadline``). Compiled code cannot be interrupted
that way, so the zero test runs in a forked child that is killed when its time is up
(``call_with_timeout``).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
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


def call_with_timeout(fn, seconds: float | None, what: str = "the computation"):
    """``fn()`` run in a forked child that is killed after ``seconds``; its result is returned.

    Compiled code (SymEngine's expand) does not return to the interpreter until it is done, so a
    timer signal cannot stop it; a child process can always be killed. The result must pickle.
    Where fork is unavailable the call runs in-process under ``deadline``.
    """
    if not seconds or not hasattr(os, "fork"):
        with deadline(seconds, what):
            return fn()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running any cleanup
        os.close(read_end)
        try:
            payload = pickle.dumps(("ok", fn()))
        except BaseException as error:  # noqa: BLE001 - everything goes back to the parent
            payload = pickle.dumps(("error", error))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    chunks = []
    end = time.monotonic() + seconds
    with os.fdopen(read_end, "rb") as pipe:
        while True:
            remaining = end - time.monotonic()
            ready, _, _ = select.select([pipe], [], [], max(remaining, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise BudgetExceeded(f"{what} did not finish within {seconds:g} s")
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.waitpid(pid, 0)
    status, value = pickle.loads(b"".join(chunks))
    if status == "error":
        raise value
    return value
