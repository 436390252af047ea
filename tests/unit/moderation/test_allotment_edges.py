"""moderation.allotment's refusals, each with its text, and a spread of caps that adds up
but gives a shard less than it has used (test_allotment.py holds the rules on random
states)."""

from __future__ import annotations

import random

import pytest

from moderation.allotment import Shard, choose_shard, deal, is_dealt


def test_caps_that_add_up_but_leave_a_shard_under_its_usage_are_not_dealt() -> None:
    assert is_dealt(15, [Shard(8, 7), Shard(7, 0)])
    assert not is_dealt(15, [Shard(5, 7), Shard(10, 0)])
    assert not is_dealt(15, [Shard(15, -1), Shard(0, 0)])


@pytest.mark.parametrize(("args", "keywords", "problem"), [
    ((10, []), {}, "at least one shard is needed"),
    ((-1, [0]), {}, "limit, keep and usage must not be negative"),
    ((10, [0]), {"keep": -1}, "limit, keep and usage must not be negative"),
    ((10, [0, -2]), {}, "limit, keep and usage must not be negative"),
    ((10, [0, 0]), {"at": 2}, "at must name one of the shards"),
    ((10, [0, 0]), {"at": -1}, "at must name one of the shards"),
])
def test_deal_says_what_is_wrong(args: tuple[int, list[int]], keywords: dict[str, int],
                                 problem: str) -> None:
    with pytest.raises(ValueError) as err:
        deal(*args, **keywords)
    assert str(err.value) == problem


def test_choose_shard_wants_at_least_one_unit() -> None:
    for units in (0, -1):
        with pytest.raises(ValueError) as err:
            choose_shard([Shard(5, 0)], units, random.Random(1))
        assert str(err.value) == "units must be positive"
