"""Run the per-line work inline for small inputs and on every core for large ones.

A file on disk is cut into byte ranges that worker processes read themselves (no bytes are
shipped between processes); a converted stream, which exists only in this process, is shipped
as blocks. Either way results are folded in file order with a bounded number in flight, so
memory stays flat whatever the size.

The workers are either a pool of this validation's own (the CLI: forked from it, gone when it
ends) or a `SharedPool` the caller keeps for all its validations (the API: see shared_pool).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from service.datasets.validator.blocks import BlockResult, Options, process_block, process_range
from service.datasets.validator.dataset.aggregate import Aggregator
from service.datasets.validator.reading.lines import Block
from service.datasets.validator.shared_pool import SharedPool, forkserver_context
from service.datasets.validator.tokens import release_shared_counter, shared_counter

# Below this, starting workers (each loads the tokenizer) costs more than it saves.
POOL_THRESHOLD_BYTES = 16 << 20
RANGE_BYTES = 4 << 20
TAIL_RANGE_BYTES = 1 << 20


class SourceBlock(NamedTuple):
    """Converted rows, numbered from 1 in `block`, and the line of the user's file where each
    came from: the report names those lines, not the converted file's."""

    block: Block
    lines: Sequence[int]


def worker_count(size: int, requested: int | None) -> int:
    if requested is not None:
        return max(1, requested)
    if size < POOL_THRESHOLD_BYTES:
        return 1
    return max(1, len(os.sched_getaffinity(0)))


def _pool(n: int, opts: Options) -> ProcessPoolExecutor:
    """Workers by fork when this process has one thread (the CLI): they start at once, with
    every module loaded. With threads fork can deadlock, so a forkserver that has the
    validator preloaded forks them instead."""
    if threading.active_count() == 1:
        fork = multiprocessing.get_context("fork")
        if not opts.count_tokens:
            return ProcessPoolExecutor(max_workers=n, mp_context=fork)
        # Loaded once here and shared copy-on-write: each worker loading its own would cost
        # 0.3 s and a ~25 MB transient peak apiece.
        shared_counter()
        pool = ProcessPoolExecutor(max_workers=n, mp_context=fork)
        # A fork pool starts all its workers at its first task: after this one each has the
        # tokenizer, and this process, which counts nothing, gives its copy back. (A worker
        # started later would load its own: slower, still right.)
        pool.submit(int).result()
        release_shared_counter()
        return pool
    return ProcessPoolExecutor(max_workers=n, mp_context=forkserver_context())


@contextmanager
def _workers(n: int, opts: Options, shared: SharedPool | None) -> Iterator[tuple[Executor, int]]:
    """The executor to submit to and how many workers it has: the shared pool, or one of
    this validation's own, shut down at the end."""
    if shared is not None:
        with shared.borrow() as executor:
            yield executor, shared.workers
        return
    with _pool(n, opts) as pool:
        yield pool, n


def run_file(
    path: Path,
    agg: Aggregator,
    opts: Options,
    *,
    size: int,
    workers: int | None,
    done: Callable[[int], None],
    shared: SharedPool | None = None,
) -> None:
    """Validate the `size` bytes of `path`; `done(offset)` follows progress, in order. With
    a shared pool every file goes to it, whatever its size: its workers are running already,
    and this process keeps no tokenizer."""
    n = worker_count(size, workers)
    line = 0
    if n <= 1 and shared is None:
        for a, b in split_ranges(size, 1):
            line = _fold_range(agg, process_range(path, a, b, opts), line)
            done(b)
        return
    with _workers(n, opts, shared) as (pool, width):
        pending: deque[tuple[int, Future[BlockResult]]] = deque()
        try:
            for a, b in split_ranges(size, width):
                pending.append((b, pool.submit(process_range, path, a, b, opts)))
                while len(pending) > 2 * width:
                    end, fut = pending.popleft()
                    line = _fold_range(agg, fut.result(), line)
                    done(end)
            while pending:
                end, fut = pending.popleft()
                line = _fold_range(agg, fut.result(), line)
                done(end)
        finally:
            _cancel(fut for _, fut in pending)


def _cancel(futures: Iterable[Future[BlockResult]]) -> None:
    """A validation that stops early (an error) leaves no work behind in a shared pool."""
    for fut in futures:
        fut.cancel()


def split_ranges(size: int, workers: int) -> list[tuple[int, int]]:
    """[start, end) byte ranges covering `size`: RANGE_BYTES each, but the last few get
    smaller, so that no worker is left finishing a big range while the others idle."""
    tail = min(size, 2 * workers * RANGE_BYTES) if workers > 1 else 0
    cuts = list(range(0, size - tail, RANGE_BYTES))
    cuts += range(size - tail, size, TAIL_RANGE_BYTES)
    return list(zip(cuts, [*cuts[1:], size], strict=True)) if cuts else []


def _fold_range(agg: Aggregator, result: BlockResult, lines_before: int) -> int:
    result.shift(lines_before)
    agg.add_block(result)
    return lines_before + result.lines


def run_blocks(
    items: Iterable[SourceBlock],
    agg: Aggregator,
    opts: Options,
    *,
    size: int,
    workers: int | None = None,
    shared: SharedPool | None = None,
) -> None:
    """Validate blocks produced in this process (a conversion's output)."""
    n = worker_count(size, workers)
    if n <= 1 and shared is None:
        for item in items:
            _fold_block(agg, item, process_block(item.block.data, 1, opts))
        return
    with _workers(n, opts, shared) as (pool, width):
        pending: deque[tuple[SourceBlock, Future[BlockResult]]] = deque()
        try:
            for item in items:
                pending.append((item, pool.submit(process_block, item.block.data, 1, opts)))
                while len(pending) > 2 * width:
                    done, fut = pending.popleft()
                    _fold_block(agg, done, fut.result())
            while pending:
                done, fut = pending.popleft()
                _fold_block(agg, done, fut.result())
        finally:
            _cancel(fut for _, fut in pending)


def _fold_block(agg: Aggregator, item: SourceBlock, result: BlockResult) -> None:
    result.renumber(item.lines)
    agg.add_block(result)
