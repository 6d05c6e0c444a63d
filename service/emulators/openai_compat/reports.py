"""Dataset checks for jobs: each (file, method, param) once, and big files off the event loop.

Checking a few hundred MB of JSONL takes seconds; done inline it would freeze every other request.
A job asks for its reports when it is created; `validating_files` lasts until they are ready.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future as ThreadFuture
from typing import TypeAlias

from service.emulators.openai_compat.dataset_rules import DatasetError, OutputRule, check_dataset
from service.emulators.openai_compat.records import DatasetReport

Key: TypeAlias = tuple[str, str, str]  # file id, method, param
Outcome: TypeAlias = DatasetReport | DatasetError
INLINE_BYTES = 1024 * 1024  # smaller files are checked on the spot


def _check(content: bytes, key: Key, outputs: OutputRule) -> Outcome:
    file_id, method, param = key
    try:
        return check_dataset(content, method=method, file_id=file_id, param=param, outputs=outputs)
    except DatasetError as exc:
        return exc


class ReportCache:
    def __init__(self, outputs: OutputRule = "one_assistant") -> None:
        self._outputs = outputs  # the world's rule for DPO outputs (its flavor's)
        self._done: dict[Key, Outcome] = {}
        self._running: dict[Key, asyncio.Future[Outcome]] = {}

    def request(self, key: Key, content: bytes) -> None:
        """Start checking `content` unless it is known or under way."""
        if key in self._done or key in self._running:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or len(content) < INLINE_BYTES:
            self._done[key] = _check(content, key, self._outputs)
            return
        future = loop.run_in_executor(None, _check, content, key, self._outputs)
        self._running[key] = future
        future.add_done_callback(lambda done: self._finish(key, done))

    def _finish(self, key: Key, future: asyncio.Future[Outcome] | ThreadFuture[Outcome]) -> None:
        self._running.pop(key, None)
        if not future.cancelled():
            self._done[key] = future.result()

    def get(self, key: Key) -> Outcome | None:
        """The outcome, or None while it is still being computed (or was never asked for)."""
        return self._done.get(key)

    def pending(self, key: Key) -> bool:
        return key in self._running

    def clear(self) -> None:
        for future in self._running.values():
            future.cancel()
        self._running.clear()
        self._done.clear()
