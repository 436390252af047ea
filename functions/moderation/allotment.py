"""How a month's Vision budget is spread over allotment shards, free of any storage.

A month's limit is dealt out as caps over a few shard counters, so concurrent reservations
write to different documents instead of queueing on one. The rules that keep the limit hard
and exact live here; the Firestore adapter (`infra/firestore_vision_ledger.py`) applies
them, and `tests/unit/moderation/test_allotment.py` checks them on random states.

- `deal` gives every shard a cap of at least what it has used, and the caps add up to
  max(limit, total used): the caps never pass the limit unless the usage already had (a
  limit lowered below it), and then no shard has room left.
- A reservation takes room from one shard with `used + units <= cap`; `choose_shard` picks
  among the shards that have room, weighted by that room, so shards drain evenly and an
  idle shard's room is taken like any other.
- `exhausted` is decided on the total, never on one shard: a request is refused only when
  total used + units > limit. When the room left is split so that no single shard holds
  `units`, `needs_redeal` says so and the adapter deals the caps again.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    cap: int
    used: int

    @property
    def room(self) -> int:
        return max(0, self.cap - self.used)


def deal(limit: int, used: Sequence[int], *, keep: int = 0, at: int = 0) -> list[int]:
    """Caps for shards that have used `used`: each cap >= its used, and the caps add up to
    max(limit, sum(used)). Shard `at` first gets up to `keep` units of room (so a request
    for that many fits in one shard), then the rest of the room is dealt out evenly."""
    if not used:
        raise ValueError("at least one shard is needed")
    if limit < 0 or keep < 0 or any(u < 0 for u in used):
        raise ValueError("limit, keep and usage must not be negative")
    if not 0 <= at < len(used):
        raise ValueError("at must name one of the shards")
    room = max(0, limit - sum(used))
    kept = min(keep, room)
    share, extra = divmod(room - kept, len(used))
    caps = [u + share + (1 if i < extra else 0) for i, u in enumerate(used)]
    caps[at] += kept
    return caps


def total_used(shards: Sequence[Shard]) -> int:
    return sum(s.used for s in shards)


def is_dealt(limit: int, shards: Sequence[Shard]) -> bool:
    """True when the caps match `limit` the way `deal` would leave them (in any spread)."""
    if any(s.cap < s.used or s.used < 0 for s in shards):
        return False
    return sum(s.cap for s in shards) == max(limit, total_used(shards))


def choose_shard(shards: Sequence[Shard], units: int, rng: random.Random) -> int | None:
    """A shard with room for `units`, picked at random weighted by its room; None if no
    single shard has that much room."""
    if units < 1:
        raise ValueError("units must be positive")
    candidates = [i for i, s in enumerate(shards) if s.room >= units]
    if not candidates:
        return None
    return rng.choices(candidates, weights=[shards[i].room for i in candidates])[0]


def needs_redeal(limit: int, shards: Sequence[Shard], units: int) -> bool:
    """The total has room for `units` but no single shard does: deal the caps again."""
    return (total_used(shards) + units <= limit
            and all(s.room < units for s in shards))
