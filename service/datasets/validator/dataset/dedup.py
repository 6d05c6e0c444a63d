"""A compact table of row keys (signed 64-bit ints, as `hash()` gives) -> first line, for the
duplicate and contradiction checks.

A Python dict of a million int keys costs ~100 MB; two flat arrays cost 12 bytes a slot (an
8-byte key, a 4-byte line: files of more than 4 billion lines are not a concern). The table
grows up to `max_slots` (12 MB; at 70% full that is 734,000 rows, more than a file within
OpenAI's 512 MB limit holds unless its rows average under 700 bytes) and then stops accepting
new keys (`full`), which the caller reports, so memory stays bounded whatever the file size.
"""

from __future__ import annotations

from array import array

from service.datasets.validator import heap


def _slot(key: int, mask: int) -> int:
    # Fold the high bits in: keys whose low bits cluster must not pile into one slot.
    return ((key >> 40) ^ (key >> 20) ^ key) & mask


class SeenTable:
    def __init__(self, *, slots: int = 1 << 16, max_slots: int = 1 << 20) -> None:
        self._max_slots = max_slots
        self._alloc(slots)
        self.count = 0
        self.full = False
        self.first_refused: int | None = None  # the line of the first key not remembered

    def _alloc(self, slots: int) -> None:
        self._mask = slots - 1
        self._keys = array("q", bytes(8 * slots))  # 0 marks an empty slot
        self._lines = array("I", bytes(4 * slots))  # "L" would be 8 bytes on 64-bit Linux

    def get(self, key: int) -> int | None:
        key = key or 1
        keys, mask = self._keys, self._mask
        i = ((key >> 40) ^ (key >> 20) ^ key) & mask  # _slot(), inlined: once per row
        while (k := keys[i]) != key:  # linear probing, inlined: this runs once per row
            if k == 0:
                return None
            i = (i + 1) & mask
        return self._lines[i]

    def add(self, key: int, line: int) -> int | None:
        """Remember `key` at `line`; return the line it was first seen at, if it was."""
        key = key or 1
        keys, mask = self._keys, self._mask
        i = ((key >> 40) ^ (key >> 20) ^ key) & mask  # _slot(), inlined: once per row
        while (k := keys[i]) != 0:
            if k == key:
                return self._lines[i]
            i = (i + 1) & mask
        if (self.count + 1) * 10 > (mask + 1) * 7:
            if (mask + 1) * 2 > self._max_slots:
                self.full = True
                if self.first_refused is None:
                    self.first_refused = line
                return None
            self._grow()
            return self.add(key, line)
        keys[i] = key
        self._lines[i] = line
        self.count += 1
        return None

    def _grow(self) -> None:
        old_keys, old_lines = self._keys, self._lines
        self._alloc(len(old_keys) * 2)
        keys, lines, mask = self._keys, self._lines, self._mask
        for key, line in zip(old_keys, old_lines, strict=True):
            if key:
                i = _slot(key, mask)
                while keys[i]:
                    i = (i + 1) & mask
                keys[i] = key
                lines[i] = line
        del old_keys, old_lines
        heap.trim()  # the old arrays would stay resident as holes in the heap
