"""Row keys: a plain input is keyed from its strings, as the general key would; the pair key
depends on the outputs' order, and an output's tool calls are part of its key."""

from __future__ import annotations

from service.datasets.validator.row.keys import input_key, output_key, pair_key, plain_parts
from service.datasets.validator.row.typed import DPO_DECODER
from tests.datasets.helpers import call, edit
from tests.datasets.validator.row.test_plain import PLAIN, _line


def test_plain_keys_equal_the_general_keys() -> None:
    row = DPO_DECODER.decode(_line(PLAIN))
    parts = plain_parts(row.input)
    assert parts == ["system", "Be brief.", "user", "What is 2 + 2? (question 1)"]
    assert input_key(row.input) == hash(tuple(parts))
    swapped = DPO_DECODER.decode(_line(edit(PLAIN, "input/messages/0/role", "user")))
    assert input_key(swapped.input) != input_key(row.input)
    out = row.preferred_output[0]
    assert output_key(out, "The answer is 4.") == hash("The answer is 4.")
    tools = DPO_DECODER.decode(_line(edit(PLAIN, "input/tools", [])))
    assert plain_parts(tools.input) is None
    assert input_key(tools.input) != input_key(row.input)


def test_a_pair_key_depends_on_the_order_of_the_outputs() -> None:
    assert pair_key(1, 2, 3) == pair_key(1, 2, 3)
    assert pair_key(1, 2, 3) != pair_key(1, 3, 2)


def test_an_outputs_tool_calls_are_part_of_its_key() -> None:
    text = DPO_DECODER.decode(_line(PLAIN)).preferred_output[0]
    calling = edit(PLAIN, "preferred_output/0/tool_calls", [call()])
    with_call = DPO_DECODER.decode(_line(calling)).preferred_output[0]
    assert output_key(with_call, "The answer is 4.") != output_key(text, "The answer is 4.")
