"""The allotment rules on random states: caps never add up past the limit, a reservation
never passes its shard's cap, and nobody is refused while any shard has room."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.allotment import Shard, choose_shard, deal, is_dealt, needs_redeal

usages = st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=32)
limits = st.integers(min_value=0, max_value=20_000)


@given(limits, usages)
def test_deal_gives_each_shard_its_usage_and_the_caps_add_up_to_the_limit(
        limit: int, used: list[int]) -> None:
    caps = deal(limit, used)
    assert len(caps) == len(used)
    assert all(cap >= u for cap, u in zip(caps, used, strict=True))
    assert sum(caps) == max(limit, sum(used))
    rooms = [cap - u for cap, u in zip(caps, used, strict=True)]
    assert max(rooms) - min(rooms) <= 1  # dealt evenly
    assert is_dealt(limit, [Shard(c, u) for c, u in zip(caps, used, strict=True)])


@given(limits, usages, st.integers(0, 100), st.data())
def test_deal_can_keep_room_for_one_request_in_one_shard(limit: int, used: list[int],
                                                        keep: int, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(used) - 1))
    caps = deal(limit, used, keep=keep, at=at)
    assert all(cap >= u for cap, u in zip(caps, used, strict=True))
    assert sum(caps) == max(limit, sum(used))
    assert caps[at] - used[at] >= min(keep, max(0, limit - sum(used)))


def test_deal_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        deal(10, [])
    with pytest.raises(ValueError):
        deal(-1, [0])
    with pytest.raises(ValueError):
        deal(10, [-1])
    with pytest.raises(ValueError):
        deal(10, [0], at=1)


def test_a_limit_below_the_usage_leaves_no_room_anywhere() -> None:
    assert deal(5, [4, 3, 0]) == [4, 3, 0]


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=16),
       st.integers(1, 5), st.integers(0, 2**32))
def test_choose_shard_picks_only_a_shard_with_room(pairs: list[tuple[int, int]], units: int,
                                                   seed: int) -> None:
    shards = [Shard(cap=c, used=u) for c, u in pairs]
    chosen = choose_shard(shards, units, random.Random(seed))
    if any(s.room >= units for s in shards):
        assert chosen is not None and shards[chosen].room >= units
    else:
        assert chosen is None


def test_choose_shard_weighs_by_room() -> None:
    shards = [Shard(cap=1, used=0), Shard(cap=99, used=0)]
    rng = random.Random(7)
    picks = [choose_shard(shards, 1, rng) for _ in range(2000)]
    assert 0.95 < picks.count(1) / len(picks) < 1.0


def test_needs_redeal_only_when_the_room_is_split() -> None:
    split = [Shard(cap=1, used=0), Shard(cap=1, used=0)]
    assert needs_redeal(2, split, 2)
    assert not needs_redeal(2, split, 1)  # one shard has room for one unit
    assert not needs_redeal(1, [Shard(cap=1, used=1)], 1)  # really exhausted


operations = st.lists(st.one_of(
    st.tuples(st.just("reserve"), st.integers(1, 3)),
    st.tuples(st.just("release"), st.integers(0, 10_000)),
    st.tuples(st.just("limit"), st.integers(0, 60)),
    st.tuples(st.just("reset"), st.just(0)),
), max_size=200)


@settings(max_examples=300)
@given(st.integers(1, 16), st.integers(0, 60), operations, st.integers(0, 2**32))
def test_a_month_driven_only_by_these_rules_is_hard_and_exact(
        shard_count: int, limit: int, ops: list[tuple[str, int]], seed: int) -> None:
    """A model of the ledger: every grant fits its shard, a refusal happens only when the
    total has no room, and the units granted since the last reset are exactly the usage."""
    rng = random.Random(seed)
    used = [0] * shard_count
    caps = deal(limit, used)
    held: list[tuple[int, int]] = []  # (shard, units) of reservations not yet released
    for op, arg in ops:
        if op == "reserve":
            # As FirestoreVisionLedger.begin: decide on the total, deal again when the caps
            # do not match the limit or the room is split too thin, then take one shard.
            if sum(used) + arg > limit:
                continue  # exhausted: refused only when the month is full
            shards = [Shard(c, u) for c, u in zip(caps, used, strict=True)]
            if not is_dealt(limit, shards) or needs_redeal(limit, shards, arg):
                caps = deal(limit, used, keep=arg, at=rng.randrange(shard_count))
                shards = [Shard(c, u) for c, u in zip(caps, used, strict=True)]
            chosen = choose_shard(shards, arg, rng)
            assert chosen is not None  # never refused while the month has room
            assert used[chosen] + arg <= caps[chosen]
            used[chosen] += arg
            held.append((chosen, arg))
            assert sum(used) <= limit  # a grant never leaves the month over its limit
        elif op == "release" and held:
            shard, units = held.pop(arg % len(held))
            used[shard] -= units
        elif op == "limit":
            was = sum(used)
            limit = arg
            caps = deal(limit, used)
            assert sum(used) == was  # a limit change moves room, never usage
        elif op == "reset":
            used = [0] * shard_count
            held = []  # earlier reservations belong to the old epoch
            caps = deal(limit, used)
        assert all(u <= c for u, c in zip(used, caps, strict=True))
        assert sum(used) == sum(units for _, units in held)
