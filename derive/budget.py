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
    ((_, status, value),) = map_killable(lambda _: fn(), [None], 1, seconds)
    if status == "timeout":
        raise BudgetExceeded(f"{what} did not finish within {seconds:g} s")
    if status == "error":
        raise value
    return value


def map_killable(fn, items, jobs: int, seconds: float):
    """Yield ``(item, status, value)`` for each item as its ``fn(item)`` finishes, running up to
    ``jobs`` forked children at once, each killed after ``seconds`` of wall time.

    status is "ok" (value is the result), "error" (the exception it raised) or "timeout". A
    child that dies without an answer (killed from outside, out of memory) counts as an error.
    Results and exceptions must pickle. Without fork, items run in-process under ``deadline``.
    """
    if not hasattr(os, "fork"):
        for item in items:
            try:
                with deadline(seconds):
                    yield item, "ok", fn(item)
            except BudgetExceeded:
                yield item, "timeout", None
            except Exception as error:  # noqa: BLE001 - reported per item, the run goes on
                yield item, "error", error
        return
    pending = iter(items)
    running: dict[int, tuple] = {}  # read fd -> (pid, item, deadline, chunks)
    exhausted = False
    while running or not exhausted:
        while not exhausted and len(running) < max(jobs, 1):
            item = next(pending, _END)
            if item is _END:
                exhausted = True
                break
            pid, fd = _fork(fn, item)
            running[fd] = (pid, item, time.monotonic() + seconds, [])
        if not running:
            break
        wait = max(0.0, min(entry[2] for entry in running.values()) - time.monotonic())
        ready, _, _ = select.select(list(running), [], [], wait)
        for fd in ready:
            chunk = os.read(fd, 1 << 16)
            if chunk:
                running[fd][3].append(chunk)
                continue
            pid, item, _, chunks = running.pop(fd)
            os.close(fd)
            os.waitpid(pid, 0)
            try:
                status, value = pickle.loads(b"".join(chunks))
            except Exception:  # noqa: BLE001 - nothing or garbage came back: the child died
                status, value = "error", RuntimeError("the worker process died")
            yield item, status, value
        now = time.monotonic()
        for fd in [fd for fd, entry in running.items() if entry[2] <= now]:
            pid, item, _, _ = running.pop(fd)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(fd)
            yield item, "timeout", None


_END = object()


def _fork(fn, item) -> tuple[int, int]:
    """A child computing ``fn(item)`` that writes the pickled outcome to a pipe: (pid, read fd)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running any cleanup
        os.close(read_end)
        try:
            payload = pickle.dumps(("ok", fn(item)))
        except BaseException as error:  # noqa: BLE001 - everything goes back to the parent
            try:
                payload = pickle.dumps(("error", error))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                payload = pickle.dumps(("error", RuntimeError(f"{type(error).__name__}: {error}")))
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_end)
    return pid, read_end
