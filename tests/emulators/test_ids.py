"""The shared id source: shapes, repeatability under a seed, and request ids kept apart from it."""

from __future__ import annotations

import random
import re
import string

from service.emulators.ids import IdFactory


def test_shapes() -> None:
    ids = IdFactory(random.Random())
    alnum = ids.alnum("file-", 22)
    hex_id = ids.hex("evt_")

    assert re.fullmatch(r"file-[A-Za-z0-9]{22}", alnum)
    assert re.fullmatch(r"evt_[0-9a-f]{32}", hex_id)
    assert re.fullmatch(r"wh_[0-9a-f]{8}", ids.hex("wh_", 8))
    assert re.fullmatch(r"req_[0-9a-f]{32}", IdFactory.request())


def test_a_seed_repeats_the_ids() -> None:
    def draw(ids: IdFactory) -> list[str]:
        return [ids.alnum("x-", 10), ids.hex("y_"), ids.alnum("", 8)]

    assert draw(IdFactory(random.Random(7))) == draw(IdFactory(random.Random(7)))
    assert draw(IdFactory(random.Random(7))) != draw(IdFactory(random.Random(8)))


def test_request_ids_do_not_shift_the_seeded_ones() -> None:
    quiet, busy = IdFactory(random.Random(3)), IdFactory(random.Random(3))
    for _ in range(5):
        busy.request()  # clients poll as often as they like
    assert busy.alnum("a", 12) == quiet.alnum("a", 12)
    assert IdFactory.request() != IdFactory.request()


def test_alnum_uses_letters_and_digits_only() -> None:
    drawn = IdFactory(random.Random(1)).alnum("", 2000)
    assert set(drawn) <= set(string.ascii_letters + string.digits)
