"""Together's id shapes, repeatable from a seed (no server)."""

from __future__ import annotations

import random
import re

from service.emulators.together.ids import TogetherIds

UUID4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def test_shapes() -> None:
    ids = TogetherIds(random.Random(1))
    assert re.fullmatch(f"file-{UUID4}", ids.file())
    assert re.fullmatch(f"ft-{UUID4}", ids.job())
    assert re.fullmatch("[0-9a-f]{8}", ids.model_tag())


def test_a_seed_repeats_them() -> None:
    first, second = TogetherIds(random.Random(9)), TogetherIds(random.Random(9))
    assert [first.job(), first.file()] == [second.job(), second.file()]
