"""For tests and benches of the month's rules alone: each job charged to an account of its
own that is exempt from allowances (staff), so only the month's limit and the shards decide
(the allowances have their own suite: tests/contract/test_quota_ledger_contract.py)."""

from __future__ import annotations

import hashlib
from typing import Any

from infra.firestore_vision_ledger import FirestoreVisionLedger
from moderation.allowance import Spender
from moderation.ports import Begin

EXEMPT = frozenset({"staff"})


def anyone(job: str) -> Spender:
    return Spender(f"t-{hashlib.sha1(job.encode()).hexdigest()[:16]}", roles=EXEMPT)


class MonthLedger(FirestoreVisionLedger):
    """The Firestore ledger whose begin charges `anyone(job)` unless told otherwise, and
    whose complete and release act as the job's last begin (its lease owner) unless told
    otherwise: the lease rules have their own tests."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners: dict[str, str | None] = {}

    def begin(self, job_path: str, units: int, fields: dict[str, Any],
              spender: Spender | None = None, *, after_fallback: bool = False) -> Begin:
        begin = super().begin(job_path, units, fields, spender or anyone(job_path),
                              after_fallback=after_fallback)
        if begin.kind not in ("done", "busy"):
            self.owners[job_path] = begin.owner
        return begin

    def complete(self, job_path: str, result: dict[str, Any], *, owner: str | None = None,
                 **kwargs: Any) -> bool:
        return super().complete(job_path, result, owner=owner or self.owners.get(job_path),
                                **kwargs)

    def release(self, job_path: str, result: dict[str, Any] | None = None, *,
                owner: str | None = None, fields: dict[str, Any] | None = None) -> bool:
        return super().release(job_path, result, owner=owner or self.owners.get(job_path),
                               fields=fields)
