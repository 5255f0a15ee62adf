"""Trials run isolated: each in a child process forked from this one (at most ``workers`` at a time), so a trial
that kills its process or runs past its deadline becomes that trial's quarantine entry (stage ``worker``), never the
failure of its batch."""

from __future__ import annotations

import ctypes
import math
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe, wait

from hipdrop.errors import TrialError
from hipdrop.trial.process import TrialResult

#: what runs one trial: a path in, its result out
TrialFunction = Callable[[str], TrialResult]
#: the quarantine stage of a trial whose process died or overran its deadline
WORKER_STAGE = "worker"


#: glibc's ``mallopt`` parameters (malloc.h): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: freed memory a worker keeps for its next arrays instead of returning it to the system (bytes); 32 MiB is the
#: largest mmap threshold glibc accepts on 64-bit systems
KEPT_FREED_BYTES = 32 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Let this process's allocator keep freed blocks up to ``KEPT_FREED_BYTES`` for reuse (glibc only; False
    elsewhere, nothing changed).

    Why: glibc maps every block above its mmap threshold (128 KiB to start) afresh from the system and unmaps it
    when freed, so each [time, marker, axis] array a trial makes (2.9 MB at 6,000 frames x 20 markers) is
    page-faulted page by page, about 5,650 faults a trial (issue 27). Kept, the next trial's arrays reuse the
    pages: process_trial 12-15 % faster on the demo trials, no change measurable on RBDS001runT35
    (benchmarks/per_trial.py --allocator). The memory kept is bounded by the thresholds, not by the number of
    trials."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, KEPT_FREED_BYTES)
                    and libc.mallopt(_M_TRIM_THRESHOLD, 2 * KEPT_FREED_BYTES))
    except (OSError, AttributeError):  # not glibc (macOS, musl): its allocator as it is
        return False


def as_given(result: TrialResult, path: str) -> TrialResult:
    """The result under the path the caller gave (outputs do not depend on where the study folder lies)."""
    result.path = str(path)
    if result.failure is not None:
        result.failure = TrialError(path, result.failure.stage, result.failure.reason)
    return result


def worker_failure(path: str, reason: str) -> TrialResult:
    """The result of a trial whose worker process died (crash, signal, memory limit): failed at the worker stage."""
    return TrialResult(path=str(path), failure=TrialError(path, WORKER_STAGE, reason))


class _Worker:
    """A child process forked from this one that analyses the trials it is sent, one at a time.

    Forked, so it starts with everything this process has imported (a spawned one would pay the imports again:
    docs/architecture.md section 5, benchmarks/startup.py); it stays for the next trial, so a trial's first-use
    costs (lazy imports, caches) are paid once per worker, not per trial. Its death shows as end of file on ``connection``, and its exit status says how it died.
    """

    #: every live worker of this process: a new child closes their pipes, so that each worker sees end of file
    #: when this process goes (and not only when the last child holding a copy of its pipe does)
    live: set["_Worker"] = set()

    def __init__(self):
        self.connection, child_end = Pipe(duplex=True)
        self.pid = os.fork()
        if self.pid == 0:  # the child: serves trials until told to stop, never returns into the caller's code
            self.connection.close()
            for sibling in _Worker.live:
                sibling.connection.close()
            keep_freed_memory()  # the worker's trials reuse each other's freed arrays
            _serve(child_end)
        child_end.close()
        self.index, self.path, self.deadline = -1, "", math.inf
        _Worker.live.add(self)

    def give(self, function: TrialFunction, path: str, index: int, timeout_s: float) -> None:
        self.index, self.path, self.deadline = index, path, time.monotonic() + timeout_s
        self.connection.send((function, path))

    def receive(self) -> TrialResult:
        """The trial's result, or, when the worker died instead, a failure saying how (the worker is then gone)."""
        try:
            return self.connection.recv()
        except (EOFError, OSError, pickle.UnpicklingError):
            return worker_failure(self.path, _death_reason(self._reap()))

    def kill(self, reason: str) -> TrialResult:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap()
        return worker_failure(self.path, reason)

    def stop(self) -> None:
        try:
            self.connection.send(None)
        except OSError:
            pass
        self._reap()

    @property
    def alive(self) -> bool:
        return self in _Worker.live

    def _reap(self) -> int:
        self.connection.close()
        _Worker.live.discard(self)
        return os.waitpid(self.pid, 0)[1]


def _serve(connection: Connection) -> None:
    """The worker's loop: ``(function, path)`` in, ``function(path)`` out, until ``None`` or end of file."""
    code = 0
    try:
        while True:
            try:
                task = connection.recv()
            except EOFError:  # the parent is gone
                break
            if task is None:
                break
            function, path = task
            try:
                result = function(path)
            except Exception as err:  # an injected function may raise; process_trial does not
                result = worker_failure(path, f"{type(err).__name__}: {' '.join(str(err).split())}")
            try:
                connection.send(result)
            except (pickle.PicklingError, TypeError, AttributeError) as err:
                connection.send(worker_failure(path, f"its result could not be sent back: {err}"))
    except BaseException:  # a closed pipe, Ctrl-C: the parent learns it from the exit status
        code = 1
    finally:
        # os._exit: the parent's atexit handlers and buffers are not run twice, but this worker's output is kept
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _death_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        hint = " (killed from outside, typically for exhausting the memory)" if number == signal.SIGKILL else ""
        return f"the worker process died ({name}){hint} while analysing this trial"
    return (f"the worker process exited with code {os.waitstatus_to_exitcode(status)} without a result while "
            "analysing this trial")


def _late(timeout_s: float) -> str:
    return f"did not finish within {timeout_s:g} s (config dask.trial_timeout_s)"


def run_isolated(function: TrialFunction, paths: list[str], *, workers: int, timeout_s: float) -> list[TrialResult]:
    """``function(path)`` for every path on at most ``workers`` forked worker processes. A worker that dies gives
    the trial it held a ``worker`` failure naming the signal; one still busy ``timeout_s`` seconds after it got
    its trial is killed and the trial fails as late; either way a fresh worker takes the next trial. Results in
    the order of ``paths``. Forks from the calling thread only (call it from one thread at a time).
    """
    results: list[TrialResult | None] = [None] * len(paths)
    waiting = deque(range(len(paths)))
    idle: list[_Worker] = []
    busy: dict[Connection, _Worker] = {}
    try:
        while waiting or busy:
            while waiting and len(busy) < max(1, workers):
                worker = idle.pop() if idle else _Worker()
                index = waiting.popleft()
                worker.give(function, paths[index], index, timeout_s)
                busy[worker.connection] = worker
            soonest = min(worker.deadline for worker in busy.values())
            for connection in wait(list(busy), timeout=max(0.0, soonest - time.monotonic())):
                worker = busy.pop(connection)
                results[worker.index] = worker.receive()
                if worker.alive:
                    idle.append(worker)
            now = time.monotonic()
            for connection in [c for c, worker in busy.items() if worker.deadline <= now]:
                worker = busy.pop(connection)
                results[worker.index] = worker.kill(_late(timeout_s))
    finally:  # an interrupted batch (Ctrl-C, an error here) leaves no worker behind
        for worker in idle:
            worker.stop()
        for worker in busy.values():
            worker.kill("interrupted")
    return results


#: a ``distributed`` worker thread's own forked worker process, kept for the thread's next trials
_thread_worker = threading.local()


def isolated_trial(function: TrialFunction, path: str, *, timeout_s: float) -> TrialResult:
    """One trial on this thread's forked worker process: the task a ``distributed`` worker runs."""
    worker = getattr(_thread_worker, "worker", None)
    if worker is None or not worker.alive:
        worker = _thread_worker.worker = _Worker()
    worker.give(function, path, 0, timeout_s)
    if wait([worker.connection], timeout=timeout_s):
        return worker.receive()
    return worker.kill(_late(timeout_s))
