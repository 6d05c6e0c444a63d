"""Run the per-line work inline for small inputs and on every core for large ones.

A file on disk is cut into byte ranges that worker processes read themselves (no bytes are
shipped between processes); a converted stream, which exists only in this process, is shipped
as blocks. Either way results are folded in file order with a bounded number in flight, so
memory stays flat whatever the size.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path

from service.datasets.validator.blocks import BlockResult, Options, process_block, process_range
from service.datasets.validator.dataset.aggregate import Aggregator
from service.datasets.validator.reading.lines import Block, LongLine
from service.datasets.validator.tokens import release_shared_counter, shared_counter

# Below this, starting workers (each loads the tokenizer) costs more than it saves.
POOL_THRESHOLD_BYTES = 16 << 20
RANGE_BYTES = 4 << 20
TAIL_RANGE_BYTES = 1 << 20


def worker_count(size: int, requested: int | None) -> int:
    if requested is not None:
        return max(1, requested)
    if size < POOL_THRESHOLD_BYTES:
        return 1
    return max(1, len(os.sched_getaffinity(0)))


def _pool(n: int, opts: Options) -> ProcessPoolExecutor:
    """Workers by fork when this process has one thread (the CLI): they start at once, with
    every module loaded. With threads (the API server) fork can deadlock, so a forkserver
    that has the validator preloaded forks them instead."""
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
    server = multiprocessing.get_context("forkserver")
    server.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(max_workers=n, mp_context=server)


def run_file(
    path: Path,
    agg: Aggregator,
    opts: Options,
    *,
    size: int,
    workers: int | None,
    done: Callable[[int], None],
) -> None:
    """Validate the `size` bytes of `path`; `done(offset)` follows progress, in order."""
    n = worker_count(size, workers)
    ranges = split_ranges(size, n)
    line = 0
    if n <= 1:
        for a, b in ranges:
            line = _fold_range(agg, process_range(path, a, b, opts), line)
            done(b)
        return
    with _pool(n, opts) as pool:
        pending: deque[tuple[int, Future[BlockResult]]] = deque()
        for a, b in ranges:
            pending.append((b, pool.submit(process_range, path, a, b, opts)))
            while len(pending) > 2 * n:
                end, fut = pending.popleft()
                line = _fold_range(agg, fut.result(), line)
                done(end)
        while pending:
            end, fut = pending.popleft()
            line = _fold_range(agg, fut.result(), line)
            done(end)


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
    items: Iterable[Block | LongLine],
    agg: Aggregator,
    opts: Options,
    *,
    size: int,
    workers: int | None = None,
) -> None:
    """Validate blocks produced in this process (a conversion's output)."""
    n = worker_count(size, workers)
    if n <= 1:
        for item in items:
            _fold(agg, item, _inline(item, opts))
        return
    with _pool(n, opts) as pool:
        pending: deque[tuple[Block | LongLine, Future[BlockResult] | None]] = deque()
        for item in items:
            pending.append((item, _submit(pool, item, opts)))
            while len(pending) > 2 * n:
                _fold_next(agg, pending)
        while pending:
            _fold_next(agg, pending)


def _inline(item: Block | LongLine, opts: Options) -> BlockResult | None:
    return process_block(item.data, item.first_line, opts) if isinstance(item, Block) else None


def _submit(pool: Executor, item: Block | LongLine, opts: Options) -> Future[BlockResult] | None:
    if isinstance(item, LongLine):
        return None
    return pool.submit(process_block, item.data, item.first_line, opts)


def _fold(agg: Aggregator, item: Block | LongLine, result: BlockResult | None) -> None:
    if isinstance(item, LongLine):
        agg.add_long_line(item.line, item.length)
    elif result is not None:
        agg.add_block(result)


def _fold_next(
    agg: Aggregator, pending: deque[tuple[Block | LongLine, Future[BlockResult] | None]]
) -> None:
    item, fut = pending.popleft()
    _fold(agg, item, fut.result() if fut is not None else None)
