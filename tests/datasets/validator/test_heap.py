"""Freed C heap given back to the OS where libc can, and nothing done where it cannot."""

from __future__ import annotations

import ctypes

import pytest

from service.datasets.validator import heap


def test_trim_runs_here() -> None:
    heap.trim()


def test_trim_is_a_no_op_without_malloc_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_libc(name: object) -> object:
        raise OSError(f"no C library {name!r} here")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    heap.trim()
