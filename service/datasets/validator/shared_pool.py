"""One pool of validator processes for a long-lived process (the API): its cost is fixed,
whatever the number of validations in flight.

A pool per validation cost a set of worker processes, each with its tokenizer, per upload in
flight (four concurrent 100 MB uploads: some 180 MB each). This pool is started once, on first
use, and every validation of the process submits its ranges (or converted blocks) to it; the
ranges of concurrent validations queue in its one work queue.

The workers are forked from a fork server that has imported the validator and loaded the
tokenizer (`worker_preload`): each worker shares that copy instead of loading its own, and a
worker started to replace a dead one is ready at once. Keys of rows (row.keys) hash strings with
the process's hash secret, which every worker inherits from the one fork server, so blocks of
one validation stay comparable whichever worker ran them.

A worker that dies (killed by the OOM killer or an operator) breaks a ProcessPoolExecutor for
good: every later submit raises BrokenProcessPool. `borrow` notices it, drops the broken pool
(the next validation starts a new one) and raises `PoolUnavailable` to the validations that
were using it, which their caller can answer as "retry".
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import forkserver

from service.datasets.validator.tokens import shared_counter

# Imported by the fork server only: importing it here would load a tokenizer this process never
# uses.
WORKER_PRELOAD = "service.datasets.validator.worker_preload"


class PoolUnavailable(RuntimeError):  # noqa: N818 (a state the caller answers, not a bug)
    """The pool cannot run this validation: a worker died under it, or the pool is closed."""


def forkserver_context() -> multiprocessing.context.ForkServerContext:
    """Workers forked from a server that has the validator and the tokenizer loaded: fork
    itself is unsafe from a process with threads (the API's), the fork server has none."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([WORKER_PRELOAD])
    return context


class SharedPool:
    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self.started = 0  # pools started: one, plus one per pool a dead worker broke
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._closed = False

    @contextmanager
    def borrow(self) -> Iterator[Executor]:
        """The pool, for one validation's submissions and results. A worker's death, seen
        while submitting or waiting, replaces the pool and raises PoolUnavailable."""
        executor = self._current()
        try:
            yield executor
        except BrokenProcessPool as error:
            self._discard(executor)
            raise PoolUnavailable(
                "a validation worker process stopped while validating this upload"
            ) from error

    def warm(self) -> None:
        """Start the fork server now (it loads the tokenizer, ~1 s), so that the first
        validation does not wait for it; workers themselves still start on demand."""
        forkserver_context()
        forkserver.ensure_running()

    def close(self) -> None:
        """Stop the workers (queued work is cancelled; running work finishes). For good: a
        closed pool refuses validations."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise PoolUnavailable("the validation pool is shut down")
            if self._executor is None:
                # Workers start one by one as work arrives (a fork server pool spawns on
                # demand), each with the tokenizer the server loaded; the initializer only
                # loads it where the server could not.
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=forkserver_context(),
                    initializer=_start_worker,
                )
                self.started += 1
            return self._executor

    def _discard(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:  # not yet replaced by another validation
                self._executor = None
        broken.shutdown(wait=False, cancel_futures=True)


def _start_worker() -> None:
    """In each pool worker: Ctrl-C at a terminal reaches the whole process group, but it is the
    API process's to act on (it closes the pool at shutdown); a worker that took it would die
    mid-upload with a KeyboardInterrupt traceback on the developer's screen."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    shared_counter()
