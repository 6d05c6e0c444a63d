"""A compact table of 64-bit row keys -> first line, for duplicate and contradiction checks.

A Python dict of a million int keys costs ~100 MB; two flat arrays cost 12 bytes a slot. The
table grows up to `max_slots` and then stops accepting new keys (`full`), which the caller
reports, so memory stays bounded whatever the file size.
"""

from __future__ import annotations

from array import array

_EMPTY = 0
_MASK64 = (1 << 64) - 1


class SeenTable:
    def __init__(self, *, slots: int = 1 << 12, max_slots: int = 1 << 21) -> None:
        self._max_slots = max_slots
        self._alloc(slots)
        self.full = False

    def _alloc(self, slots: int) -> None:
        self._slots = slots
        self._keys = array("Q", bytes(8 * slots))
        self._lines = array("L", bytes(array("L").itemsize * slots))
        self.count = 0

    def _slot(self, key: int) -> int:
        """Linear probing: the slot holding `key`, or the empty slot where it would go."""
        mask = self._slots - 1
        i = key & mask
        keys = self._keys
        while True:
            k = keys[i]
            if k in (key, _EMPTY):
                return i
            i = (i + 1) & mask

    def get(self, key: int) -> int | None:
        key = (key & _MASK64) or 1  # 0 marks an empty slot
        i = self._slot(key)
        return self._lines[i] if self._keys[i] == key else None

    def add(self, key: int, line: int) -> int | None:
        """Remember `key` at `line`; return the line it was first seen at, if it was."""
        key = (key & _MASK64) or 1
        i = self._slot(key)
        if self._keys[i] == key:
            return self._lines[i]
        if self.count + 1 > self._slots * 0.7:
            if self._slots * 2 > self._max_slots:
                self.full = True
                return None
            self._grow()
            i = self._slot(key)
        self._keys[i] = key
        self._lines[i] = line
        self.count += 1
        return None

    def _grow(self) -> None:
        old_keys, old_lines, count = self._keys, self._lines, self.count
        self._alloc(self._slots * 2)
        for key, line in zip(old_keys, old_lines, strict=True):
            if key != _EMPTY:
                i = self._slot(key)
                self._keys[i] = key
                self._lines[i] = line
        self.count = count
