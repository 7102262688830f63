"""Time budgets for exact work that can run away.

SymPy's own work is pure Python, so a SIGALRM timer can interrupt it between bytecodes and raise
``BudgetExceeded`` in the computation itself (``deadline``). Compiled code cannot be interrupted
that way, so the zero test runs in a forked child that is killed when its time is up
(``call_with_timeout``).

Each forked worker also gets a memory cap (``limits.WORKER_MEMORY`` bytes of address space
beyond what it inherits, by ``RLIMIT_AS``): an item that tries to allocate past it gets a
``MemoryError`` (reported as that item's error, with the cap named) instead of taking the machine.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from . import limits
from .errors import BudgetExceeded

try:
    import resource
except ImportError:  # pragma: no cover - no fork there either: items run in-process, uncapped
    resource = None


T = TypeVar("T")
Item = TypeVar("Item")

# Seconds between the alarms that follow an expired deadline, until the block ends: REPEAT, or the
# budget itself when shorter (a lost alarm must not stretch a 0.05 s budget to 0.25 s), but
# never more often than REPEAT_FLOOR (without a floor, a 1 µs budget's alarms came faster than the
# block they had stopped could clean up, and tests/test_budget.py hung)
REPEAT = 0.2
REPEAT_FLOOR = 0.02


def _can_use_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def deadline(seconds: float | None, what: str = "the computation") -> Iterator[None]:
    """Raise BudgetExceeded inside the block once ``seconds`` have passed."""
    if not seconds or not _can_use_alarm():
        yield
        return

    active = [True]

    def expire(signum, frame):
        if active[0]:
            raise BudgetExceeded(f"{what} did not finish within {seconds:.3g} s")

    outer = signal.getitimer(signal.ITIMER_REAL)
    if outer[0] and outer[0] < seconds:  # an enclosing deadline is sooner: keep it
        yield
        return
    previous = signal.signal(signal.SIGALRM, expire)
    start = time.monotonic()
    try:
        # the timer repeats after it expires: an exception raised where Python ignores it (inside a
        # garbage-collector callback, a __del__) would otherwise let the block run on past its budget.
        # It is set inside the try: a budget so short that it expires at once raises here, and the
        # finally below still stops the timer (set before the try, it kept firing after the block)
        signal.setitimer(signal.ITIMER_REAL, seconds, max(min(REPEAT, seconds), REPEAT_FLOOR))
        yield
    finally:
        active[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer[0]:
            remaining = outer[0] - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(remaining, 1e-3), outer[1])


def call_with_timeout(fn: Callable[[], T], seconds: float | None, what: str = "the computation") -> T:
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
        raise BudgetExceeded(f"{what} did not finish within {seconds:.3g} s")
    if status == "error":
        raise value
    return value


def map_killable(fn: Callable[[Item], Any], items: Iterable[Item], jobs: int, seconds: float,
                 memory: int | None = None) -> Iterator[tuple[Item, str, Any]]:
    """Yield ``(item, status, value)`` for each item as its ``fn(item)`` finishes, in up to ``jobs``
    forked worker processes, each item killed after ``seconds`` of wall time.

    status is "ok" (value is the result), "error" (the exception it raised) or "timeout". A worker
    lives for many items (what it builds stays warm); one that overruns is killed and replaced by
    a fresh fork of the caller, and one that dies without an answer counts as an error. Items,
    results and exceptions must pickle. Without fork, items run in-process under ``deadline``.

    Each worker may allocate ``memory`` bytes beyond what it inherits (default
    ``limits.WORKER_MEMORY``, read at each call; 0 or None there: no cap); past it an item's
    allocation fails with a ``MemoryError`` naming the cap, its status "error".
    """
    memory = limits.WORKER_MEMORY if memory is None else memory
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
    pending = list(items)[::-1]
    idle: list[_Worker] = []
    busy: dict[int, _Worker] = {}  # result fd -> worker
    try:
        while pending or busy:
            while pending and len(busy) < max(jobs, 1):
                worker = idle.pop() if idle else _Worker(fn, memory)
                worker.send(pending.pop(), seconds)
                busy[worker.results] = worker
            wait = max(0.0, min(w.deadline for w in busy.values()) - time.monotonic())
            ready, _, _ = select.select(list(busy), [], [], wait)
            for fd in ready:
                worker = busy[fd]
                outcome = worker.receive()
                if outcome is None:
                    continue  # part of a result
                del busy[fd]
                item, (status, value) = worker.item, outcome
                if status == "died":
                    worker.kill()
                    cap = f" (it may have run past its memory cap, {_gib(memory)})" if memory else ""
                    status, value = "error", RuntimeError(f"the worker process died{cap}")
                else:
                    idle.append(worker)
                yield item, status, value
            now = time.monotonic()
            for fd in [fd for fd, w in busy.items() if w.deadline <= now]:
                worker = busy.pop(fd)
                worker.kill()
                yield worker.item, "timeout", None
    finally:
        for worker in idle + list(busy.values()):
            worker.kill()


_HEADER = 8  # bytes of a frame's length


class _Worker:
    """A forked child that computes ``fn(item)`` for each item sent to it, answering in frames
    (length, pickle) on a pipe, until its task pipe closes."""

    def __init__(self, fn, memory: int | None = None):
        task_read, self.tasks = os.pipe()
        self.results, result_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: serve, then leave without running any cleanup
            os.close(self.tasks)
            os.close(self.results)
            try:
                _cap_memory(memory)
                _serve(fn, task_read, result_write, memory)
            finally:
                os._exit(0)
        os.close(task_read)
        os.close(result_write)
        self.item = None
        self.deadline = 0.0
        self.buffer = b""

    def send(self, item, seconds: float) -> None:
        self.item, self.deadline = item, time.monotonic() + seconds
        _write_frame(self.tasks, pickle.dumps(item))

    def receive(self):
        """The outcome once a whole frame has come, None before; ("died", None) at end of file."""
        chunk = os.read(self.results, 1 << 16)
        if not chunk:
            return ("died", None)
        self.buffer += chunk
        if len(self.buffer) < _HEADER:
            return None
        size = int.from_bytes(self.buffer[:_HEADER], "big")
        if len(self.buffer) < _HEADER + size:
            return None
        frame, self.buffer = self.buffer[_HEADER:_HEADER + size], self.buffer[_HEADER + size:]
        return pickle.loads(frame)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        for fd in (self.tasks, self.results):
            with contextlib.suppress(OSError):
                os.close(fd)


def _gib(memory: int) -> str:
    return f"{memory / (1 << 30):g} GiB"


def _address_space() -> int:
    """Bytes of address space this process maps now (0 where /proc does not say)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cap_memory(memory: int | None) -> None:
    """In a forked worker: allow ``memory`` bytes of address space beyond what it already maps."""
    if not memory or resource is None:
        return
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = _address_space() + memory
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft == resource.RLIM_INFINITY or cap < soft:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (OSError, ValueError):  # pragma: no cover - a platform without RLIMIT_AS: uncapped
        pass


def _serve(fn, tasks: int, results: int, memory: int | None = None) -> None:
    while True:
        header = _read_exactly(tasks, _HEADER)
        if header is None:
            return
        item = pickle.loads(_read_exactly(tasks, int.from_bytes(header, "big")))
        try:
            payload = pickle.dumps(("ok", fn(item)))
        except MemoryError as error:
            detail = f": {error}" if str(error) else ""
            cap = f"its memory cap ({_gib(memory)})" if memory else "memory"
            payload = pickle.dumps(("error", MemoryError(f"the computation ran out of {cap}{detail}")))
        except BaseException as error:  # noqa: BLE001 - everything goes back to the parent
            try:
                payload = pickle.dumps(("error", error))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                payload = pickle.dumps(("error", RuntimeError(f"{type(error).__name__}: {error}")))
        _write_frame(results, payload)


def _write_frame(fd: int, payload: bytes) -> None:
    data = len(payload).to_bytes(_HEADER, "big") + payload
    while data:
        data = data[os.write(fd, data):]


def _read_exactly(fd: int, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
