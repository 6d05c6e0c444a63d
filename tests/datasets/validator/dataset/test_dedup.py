"""The table of row keys behind the duplicate and contradiction checks: it grows, stops at its
bound, spreads clustered keys, and holds 12 bytes a slot."""

from __future__ import annotations

from service.datasets.validator.dataset.dedup import SeenTable


def test_seen_table_grows_and_stops_at_its_limit() -> None:
    table = SeenTable(slots=16, max_slots=1024)
    for k in range(700):
        assert table.add(k * 7919, k + 1) is None
    assert table.add(5 * 7919, 9999) == 6
    assert table.get(5 * 7919) == 6 and table.get(12345678) is None
    for k in range(700, 800):
        table.add(k * 7919, k + 1)
    assert table.full and table.count < 800


def test_seen_table_stays_fast_when_keys_share_low_bits() -> None:
    """Keys are crc32 << 32 | length: many rows of one length must not pile into one slot."""
    table = SeenTable()
    keys = [(crc << 32) | 3000 for crc in range(0, 200_000 * 7919, 7919)]
    for line, key in enumerate(keys, 1):
        table.add(key, line)
    # Linear probing over clustered slots would take minutes; spread slots take well under a
    # second, which pytest-timeout's limit does not need to catch.
    assert table.get(keys[-1]) == len(keys)
    assert table.count == len(keys)


def test_a_seen_table_slot_is_twelve_bytes() -> None:
    """What the memory bound rests on: an 8-byte key and a 4-byte line per slot."""
    table = SeenTable()
    assert table._keys.itemsize + table._lines.itemsize == 12
    table.add(1, 2**32 - 1)  # the largest line a slot holds
    assert table.get(1) == 2**32 - 1
