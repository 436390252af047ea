"""The Vision quota ledger in Firestore: a hard monthly budget, spread over allotment shards
so that a burst of uploads does not queue on one document, and counted once per job.

Documents (`month` is YYYY_MM in the quota time zone):
  vision_api_quota/{month}            monthKey, usageCount, limit, lastUpdated, createdAt,
                                      epoch, resetCount, alertsSent, shardCount
                                      (+ lastResetAt, usageBeforeReset after a reset)
  vision_api_quota/{month}/shards/{i} cap, used, epoch
  system_config/vision_api            VisionSettings.to_document() fields (absent -> defaults)
  admin_actions/{id}                  action, adminUid, adminEmail, before, after, at
                                      (+ actor "system", source, alertKey, budget when a
                                      budget alert switched Vision off: budget_alerts.py)
  admin_notifications/{id}            kind "vision_quota", level, monthKey, usage, limit, at
  <job path>                          state reserved|done|..., units, monthKey, epoch, shard,
                                      leaseUntil, leaseOwner, reservedAt, deliveries, result

How a reservation works: read the settings, the month, its shards and the job in one
snapshot, pick a shard with room (moderation/allotment.py), then commit "shard.used +=
units" and the job's reservation together, on condition that neither changed since the
read: an optimistic transaction, as Firestore's web and mobile SDKs run them (see
infra/firestore_calls.py). A lost race reads again. The month document is not written on
this path at all.

Everything else that writes here (a limit change, a reset, a re-deal, a settle, the alert
check, admin settings) is an optimistic transaction too, each write conditional on its
document being as read. Nothing takes a lock: a locking transaction that read the shards
would make the reservations committing on them queue behind it (on the emulator such
queues end in 2 s lock timeouts). An admin change that deals the caps first sets a short
fence on the month (`fenceUntil`, 3 s at most, cleared by its commit): reservations pause
while it holds, so one commit over every shard is not raced by a stream of single-shard
commits.

Invariants (tests/integration/test_vision_ledger.py checks each one):
  I1 Hard limit. A reservation commits only if its shard still has `used + units <= cap`,
     and the caps of a month's shards always add up to max(limit, usage): usage never
     passes the limit that was in force when the units were granted.
  I2 No refusal with units left. "exhausted" is answered only from a consistent snapshot
     in which total usage + units > limit; room held by an idle shard is taken like any
     other, and room split too thinly for a request is dealt again first.
  I3 Counted once. The job's reservation is written in the same atomic commit as the
     shard's count, on condition the job is unchanged: a redelivered job is busy or done,
     and a delivery whose reply was lost finds its own lease.
  I4 A release gives the job's units back to the shard they came from, once, and only in
     the epoch they were counted in.
  I5 Reset: one transaction zeroes every shard, deals the caps again and bumps the epoch;
     units of an earlier epoch never change the new count.
  I6 Limit change: one transaction deals the caps of this month and of the next (when it
     exists) for the new limit; a reservation based on the old caps fails its
     precondition and reads again. Caps that disagree with the settings (a hand edit, a
     month created while the limit changed, a month from before shards) are dealt again
     before anyone reserves.
  I7 The month document is changed only in transactions (its creation aside: one atomic
     batch of creates). Its usageCount is the sum of the shards as of lastUpdated: caps
     changes settle it, and so do the alert check and the first reservation or release
     after `settle_interval_s`. get_vision_api_quota_status adds up the shards and is
     exact.
  I8 Creation is race-free: the month document and its shards are created together by one
     batch of creates; whoever loses gets AlreadyExists and reads again. The scheduled
     alert check creates the next month ahead of time.
  I9 Bounded. begin() returns or raises StoreBusy within `reserve_budget_s` (15 s);
     every other call raises StoreUnavailable or StoreBusy within seconds.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.cloud import firestore

from errors import StoreBusy, StoreUnavailable
from identity import Caller
from infra.firestore_calls import Conflict, Doc, FirestoreCalls, Write
from moderation import allotment, allowance
from moderation.accounts import (
    ACCOUNTS_COLLECTION,
    STANDINGS_COLLECTION,
    AccountRow,
    account_audit,
    allowance_state,
    flag_notice,
    flag_notice_id,
)
from moderation.admin import AdminChange
from moderation.allowance import (
    AccountAction,
    AccountStanding,
    AccountUsage,
    AllowanceSettings,
    Spender,
    account_key,
)
from moderation.ports import AllowanceState, Begin, BeginKind
from moderation.quota import crossed_levels, month_bounds, month_key
from moderation.reservation import JobState, job_fields, job_step, spend_decision
from moderation.settings import VisionSettings
from moderation.strategy import FallbackStrategy

log = logging.getLogger(__name__)

QUOTA_COLLECTION = "vision_api_quota"
SHARDS_COLLECTION = "shards"
CONFIG_COLLECTION = "system_config"
CONFIG_DOCUMENT = "vision_api"
ACTIONS_COLLECTION = "admin_actions"
NOTIFICATIONS_COLLECTION = "admin_notifications"

DEFAULT_SHARDS = 16
_CONFLICT_BACKOFF_BASE_S = 0.01
_CONFLICT_BACKOFF_CAP_S = 0.25
_DEADLINE_SLACK_S = 0.5  # retries stop this close to the deadline rather than pass it
_SETTLE_BUDGET_S = 3.0  # a settle rides on a reservation that has already succeeded
_ADMIN_BUDGET_S = 20.0  # an admin change retries lost races this long, then says busy
# While an admin change deals a month's caps, reservations on that month pause (at most
# this long, should the admin's instance die) so that its commit over every shard is not
# raced by a stream of commits on single shards. Real time, not the ledger's clock: it is
# coordination between live instances, not part of the month's accounting.
_FENCE_S = 3.0
_FENCE_POLL_S = 0.05


@dataclass(frozen=True)
class MonthView:
    """A month as read in one snapshot (or inside one transaction)."""

    key: str
    month: Doc
    shards: list[Doc]

    @property
    def epoch(self) -> int:
        return _int(self.month.data, "epoch")

    def shard_states(self) -> list[allotment.Shard]:
        return [allotment.Shard(_int(s.data, "cap"), _int(s.data, "used"))
                if s.exists and _int(s.data, "epoch") == self.epoch
                else allotment.Shard(0, 0) for s in self.shards]

    @property
    def has_shards(self) -> bool:
        return bool(self.shards) and all(s.exists for s in self.shards)

    @property
    def used(self) -> int:
        """Units used in the current epoch; a month from before shards keeps its count in
        the month document."""
        if not self.month.exists:
            return 0
        if not any(s.exists for s in self.shards):
            return _int(self.month.data, "usageCount")
        return allotment.total_used(self.shard_states())

    def is_dealt(self, limit: int) -> bool:
        return (self.month.exists and self.has_shards
                and _int(self.month.data, "limit") == limit
                and all(_int(s.data, "epoch") == self.epoch for s in self.shards)
                and allotment.is_dealt(limit, self.shard_states()))


class FirestoreVisionLedger:
    def __init__(self, client: firestore.Client, defaults: VisionSettings, tz: ZoneInfo,
                 clock: Callable[[], datetime], lease_s: float = 120.0,
                 max_attempts: int = 30, *, rpc_timeout_s: float = 10.0,
                 unavailable_budget_s: float = 5.0, reserve_budget_s: float = 15.0,
                 shard_count: int = DEFAULT_SHARDS, settle_interval_s: float = 2.0,
                 rng: random.Random | None = None) -> None:
        if lease_s <= 0 or reserve_budget_s <= 0 or shard_count < 1 or settle_interval_s < 0:
            raise ValueError("lease_s and reserve_budget_s must be positive, shard_count "
                             ">= 1 and settle_interval_s >= 0")
        self._calls = FirestoreCalls(client, rpc_timeout_s=rpc_timeout_s,
                                     unavailable_budget_s=unavailable_budget_s,
                                     max_attempts=max_attempts)
        self._db = client
        self._defaults = defaults
        self._tz = tz
        self._clock = clock
        self._lease = timedelta(seconds=lease_s)
        self._reserve_budget_s = reserve_budget_s
        self._shard_count = shard_count
        self._settle_interval = timedelta(seconds=settle_interval_s)
        self._rng = rng or random.Random()
        # One re-deal and one settle at a time per instance: the others read again after it.
        self._redeal_lock = threading.Lock()
        self._settle_lock = threading.Lock()
        self._create_lock = threading.Lock()

    # -- references ---------------------------------------------------------------------

    def _config_ref(self) -> firestore.DocumentReference:
        return self._db.collection(CONFIG_COLLECTION).document(CONFIG_DOCUMENT)

    def _month_ref(self, key: str) -> firestore.DocumentReference:
        return self._db.collection(QUOTA_COLLECTION).document(key)

    def _shard_refs(self, key: str, count: int | None = None
                    ) -> list[firestore.DocumentReference]:
        shards = self._month_ref(key).collection(SHARDS_COLLECTION)
        return [shards.document(str(i)) for i in range(count or self._shard_count)]

    def _account_ref(self, key: str, account: str) -> firestore.DocumentReference:
        return self._month_ref(key).collection(ACCOUNTS_COLLECTION).document(account)

    def _standing_ref(self, account: str) -> firestore.DocumentReference:
        return self._db.collection(STANDINGS_COLLECTION).document(account)

    def _notification_ref(self, notice_id: str) -> firestore.DocumentReference:
        return self._db.collection(NOTIFICATIONS_COLLECTION).document(notice_id)

    def _settings(self, cfg: Doc) -> VisionSettings:
        return VisionSettings.from_document(cfg.data, self._defaults)

    def _view(self, key: str, extra: Sequence[firestore.DocumentReference] = (),
              deadline: float | None = None
              ) -> tuple[VisionSettings, MonthView, list[Doc]]:
        """Settings, the month with its shards, and `extra` documents in one snapshot."""
        refs = [self._config_ref(), self._month_ref(key), *self._shard_refs(key), *extra]
        docs = self._calls.read_view(refs, deadline=deadline)
        cfg, month = docs[0], docs[1]
        shards = docs[2:2 + self._shard_count]
        rest = docs[2 + self._shard_count:]
        count = _int(month.data, "shardCount")
        if count and count != self._shard_count:
            # A month dealt by a deployment with another shard count: use its own.
            more = self._shard_refs(key, count)
            shards = self._calls.read_view(more, deadline=deadline)
        return self._settings(cfg), MonthView(key, month, shards), rest

    # -- reservation --------------------------------------------------------------------

    def begin(self, job_path: str, units: int, fields: dict[str, Any], spender: Spender, *,
              after_fallback: bool = False) -> Begin:
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError("units must be a positive whole number")
        job_ref = self._db.document(job_path)
        # Identifies this call: if a commit landed but its reply was lost, the next round
        # finds the job leased to itself and must not answer "busy".
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + self._reserve_budget_s
        try:
            return self._reserve(job_ref, units, fields, spender, after_fallback, owner,
                                 deadline)
        except StoreUnavailable as err:
            if time.monotonic() < deadline - _DEADLINE_SLACK_S or isinstance(err, StoreBusy):
                raise
            # A call cut short by the deadline (waiting on a lock, say): contention.
            raise StoreBusy(detail=f"Gave up reserving Vision quota after "
                             f"{self._reserve_budget_s:.0f} s of contention.") from err

    def _reserve(self, job_ref: firestore.DocumentReference, units: int,
                 fields: dict[str, Any], spender: Spender, after_fallback: bool, owner: str,
                 deadline: float) -> Begin:
        for attempt in range(1_000_000):
            if attempt and time.monotonic() >= deadline:
                raise StoreBusy(detail=f"Gave up reserving Vision quota after "
                                 f"{self._reserve_budget_s:.0f} s of contention.")
            now = self._clock()
            key = month_key(now, self._tz)
            settings, view, (job, account, standing) = self._view(
                key, [job_ref, self._account_ref(key, spender.account),
                      self._standing_ref(spender.account)], deadline=deadline)
            limit = settings.monthly_limit

            def outcome(kind: BeginKind, usage: int = view.used, prior: Any = None,
                        renews_at: datetime | None = None, settings: VisionSettings = settings,
                        key: str = key, limit: int = limit) -> Begin:
                return Begin(kind, settings, key, usage, limit, prior, renews_at, owner)

            state = JobState.from_document(job.data)
            step = job_step(state, owner, now, after_fallback=after_fallback)
            if step == "done":
                return outcome("done", prior=(job.data or {}).get("result") or {})
            if step == "busy":
                return outcome("busy")
            if step == "mine":
                renews = (job.data or {}).get("renewsAt")
                return outcome(_claim(state.claim),
                               renews_at=renews if isinstance(renews, datetime) else None)
            if step == "take_over":
                assert job.data is not None
                # The earlier caller died holding the lease: its units are already
                # counted (and charged), so take the job over without reserving again.
                if self._commit([(job, {
                        "leaseUntil": now + self._lease, "leaseOwner": owner,
                        "deliveries": _int(job.data, "deliveries") + 1,
                        "lastDeliveryAt": now})], attempt, deadline):
                    return outcome("reserved")
                continue
            usage = AccountUsage.from_document(account.data)
            spend = spend_decision(settings, view.used, units, spender, usage,
                                   AccountStanding.from_document(standing.data), now, self._tz)
            lease = {**fields, "state": "reserved", "claim": spend.kind,
                     "leaseUntil": now + self._lease, "leaseOwner": owner, "reservedAt": now,
                     "renewsAt": spend.renews_at, "epoch": view.epoch,
                     "deliveries": _int(job.data, "deliveries") + 1}
            if spend.kind != "reserved":
                # No unit: the caller applies a fallback under this lease, so a concurrent
                # delivery waits instead of applying another one.
                if self._commit([(job, {**lease, "units": 0,
                                        **job_fields(spender, 0, key, now, self._tz)})],
                                attempt, deadline):
                    return outcome(spend.kind, renews_at=spend.renews_at)
                continue
            fenced = _fence_remaining(view.month.data)
            if fenced > 0:
                time.sleep(min(_FENCE_POLL_S, fenced))  # an admin is dealing the caps
                continue
            if not view.month.exists:
                self._create_month(key, limit, now, deadline)
                continue
            shards = view.shard_states()
            chosen = (allotment.choose_shard(shards, units, self._rng)
                      if view.is_dealt(limit) else None)
            if chosen is None:
                self._redeal(key, units, deadline)
                continue
            shard = view.shards[chosen]
            reservation = {**lease, "units": units, "shard": chosen,
                           **job_fields(spender, units, key, now, self._tz)}
            charged = allowance.charged(usage, units, now, self._tz)
            if self._commit([(shard, {"used": shards[chosen].used + units}),
                             (job, reservation),
                             (account, _account_fields(charged, spender, now))],
                            attempt, deadline):
                self._settle_if_due(view, now)
                return outcome("reserved", usage=view.used + units)
        raise AssertionError("unreachable")

    def claim(self, job_path: str, fields: dict[str, Any], spender: Spender, *,
              after_fallback: bool = False) -> str | None:
        """Lease the job with no unit (begin gave none): one optimistic transaction on the
        job alone, so it succeeds while the shards are contended."""
        job_ref = self._db.document(job_path)
        owner = uuid.uuid4().hex

        def plan(docs: list[Doc]) -> tuple[list[Write], str | None]:
            (job,) = docs
            now = self._clock()
            if job_step(JobState.from_document(job.data), owner, now,
                        after_fallback=after_fallback) != "decide":
                return [], None
            return [(job, {**fields, "state": "reserved", "units": 0, "claim": "unreserved",
                           "leaseUntil": now + self._lease, "leaseOwner": owner,
                           "reservedAt": now,
                           "deliveries": _int(job.data, "deliveries") + 1,
                           **job_fields(spender, 0, month_key(now, self._tz), now,
                                        self._tz)})], owner

        return self._calls.optimistic([job_ref], plan)

    def _commit(self, writes: list[tuple[Doc, dict[str, Any] | None]], attempt: int,
                deadline: float) -> bool:
        """An optimistic commit; False (after a short random pause) when it lost a race."""
        try:
            self._calls.commit_unchanged(writes, deadline=deadline)
            return True
        except Conflict:
            time.sleep(self._rng.uniform(0, min(_CONFLICT_BACKOFF_CAP_S,
                                                _CONFLICT_BACKOFF_BASE_S * 2 ** min(attempt, 8))))
            return False

    # -- completion and release ---------------------------------------------------------

    def complete(self, job_path: str, result: dict[str, Any], *, owner: str | None = None,
                 rejected: bool = False, release: bool = False,
                 fields: dict[str, Any] | None = None) -> bool:
        """Record the job's result for good; with `release`, give its reserved units back
        (once). `fields` describe a job that had no reservation (begin wrote them
        otherwise). A Vision rejection (`rejected`) counts towards the account's flag in
        the same commit."""

        def finish(job: Doc, state: JobState, now: datetime) -> _Settle | None:
            if state.state == "done" or _held_by_another(state, owner, now):
                return None
            if state.state != "reserved":
                # An outcome decided without a reservation: remember it, so a redelivery
                # of the same job is recognised as done.
                return _Settle({**(fields or {}), "state": "done", "final": True, "units": 0,
                                "deliveries": _int(job.data, "deliveries") or 1,
                                "monthKey": (job.data or {}).get("monthKey")
                                or month_key(now, self._tz),
                                "result": result, "completedAt": now}, give_back=False)
            return _Settle({"state": "done", "final": True, "result": result,
                            "completedAt": now}, give_back=release, rejected=rejected)

        return self._settle_job(job_path, finish)

    def release(self, job_path: str, result: dict[str, Any] | None = None, *,
                owner: str | None = None, fields: dict[str, Any] | None = None) -> bool:
        """No verdict: the job's units go back and it waits in the fallback state for a
        re-check; a job never begun is recorded as a fallback only if it does not exist."""

        def to_fallback(job: Doc, state: JobState, now: datetime) -> _Settle | None:
            if not job.exists:
                if owner is not None:
                    return None
                return _Settle({**(fields or {}), "state": "fallback", "units": 0,
                                "deliveries": 1, "monthKey": month_key(now, self._tz),
                                "result": result or {}, "completedAt": now}, give_back=False)
            if state.state != "reserved" or _held_by_another(state, owner, now) or (
                    owner is not None and state.lease_owner != owner):
                return None
            return _Settle({"state": "fallback", "completedAt": now,
                            **({"result": result} if result is not None else {})},
                           give_back=True)

        return self._settle_job(job_path, to_fallback)

    def abandon(self, job_path: str) -> None:
        """Give a reserved job's units back and delete the job: there is nothing to keep."""
        self._settle_job(job_path, lambda job, state, _now: _Settle(None, give_back=True)
                         if state.state == "reserved" else None)

    def _settle_job(self, job_path: str,
                    plan: Callable[[Doc, JobState, datetime], _Settle | None]) -> bool:
        """Write what `plan(job)` says into the job (None deletes it) and, in the same
        atomic commit, give a reserved job's units back to its shard and its account, and
        count a rejection against its account. True when it wrote."""
        job_ref = self._db.document(job_path)
        deadline = time.monotonic() + self._reserve_budget_s
        for attempt in range(1_000_000):
            if attempt and time.monotonic() >= deadline:
                raise StoreBusy(detail="Gave up recording a Vision job after repeated "
                                       "contention.")
            now = self._clock()
            (job,) = self._calls.read_view([job_ref], deadline=deadline)
            state = JobState.from_document(job.data)
            settle = plan(job, state, now)
            if settle is None:
                return False
            writes: list[Write] = []
            released = 0
            view: MonthView | None = None
            if settle.give_back and state.state == "reserved":
                found = self._counted_in(job, deadline)
                if isinstance(found, str):  # "redeal"
                    self._redeal(str((job.data or {}).get("monthKey")), 0, deadline)
                    continue
                if found is not None:
                    view, shard = found
                    released = min(_int(job.data, "units"), _int(shard.data, "used"))
                    if released:
                        writes.append((shard, {"used": _int(shard.data, "used") - released}))
            writes += self._account_writes(job, settle, now, deadline)
            fields = settle.fields
            if fields is not None and state.state == "reserved":
                fields = {**fields, "releasedUnits": released, "leaseUntil": None,
                          "leaseOwner": None}
                if settle.give_back:
                    fields["accountUnits"] = 0
            elif fields is not None and job.exists:
                fields = {**fields, "releasedUnits": 0}
            writes.append((job, fields))
            if self._commit(writes, attempt, deadline):
                if released and view is not None:
                    self._settle_if_due(view, now)
                return True
        raise AssertionError("unreachable")

    def _account_writes(self, job: Doc, settle: _Settle, now: datetime,
                        deadline: float) -> list[Write]:
        """The account's side of a settle: its units back (to the month and, if it is still
        the day they were charged on, the day), or one more rejection (which may flag it:
        one notice per account per day)."""
        data = job.data or {}
        account, month = data.get("account"), data.get("monthKey")
        charged = _int(data, "accountUnits") if settle.give_back else 0
        if not isinstance(account, str) or not isinstance(month, str) or not (
                charged or settle.rejected):
            return []
        refs = [self._account_ref(month, account), self._standing_ref(account)]
        if settle.rejected:
            refs.append(self._notification_ref(
                flag_notice_id(account, allowance.day_key(now, self._tz))))
        docs = self._calls.read_view(refs, deadline=deadline)
        usage = AccountUsage.from_document(docs[0].data)
        if charged:
            usage = allowance.refunded(usage, charged, data.get("chargedDay"))
        if not settle.rejected:
            return [(docs[0], usage.to_document())]
        settings = self._settings(self._calls.read_view([self._config_ref()],
                                                        deadline=deadline)[0])
        standing, newly = allowance.after_rejection(
            settings.allowance, AccountStanding.from_document(docs[1].data), now)
        usage = replace(usage, rejections=usage.rejections + 1)
        writes: list[Write] = [(docs[0], {**usage.to_document(), "account": account}),
                               (docs[1], {**standing.to_document(), "account": account,
                                          "uid": data.get("accountUid")})]
        if newly and not docs[2].exists:
            writes.append((docs[2], flag_notice(
                account, data.get("accountUid"), allowance.recent_rejections(standing, now),
                now)))
        return writes

    def _counted_in(self, job: Doc, deadline: float) -> tuple[MonthView, Doc] | str | None:
        """The shard that holds a reserved job's units, if they still count: None when a
        reset (another epoch) or a missing month already took them off; "redeal" when the
        month is from before shards and must be dealt first."""
        data = job.data or {}
        key = data.get("monthKey")
        if _int(data, "units") <= 0 or not isinstance(key, str):
            return None
        _, view, _ = self._view(key, deadline=deadline)
        if not view.month.exists or view.epoch != _int(data, "epoch"):
            return None
        if not view.has_shards:
            return "redeal"
        index = _int(data, "shard")  # a job from before shards: its month put them in 0
        if index >= len(view.shards):
            return None
        return view, view.shards[index]

    # -- months: creation, dealing, settling --------------------------------------------

    def ensure_months(self, now: datetime) -> list[str]:
        """Create this month's and next month's documents ahead of the first reservation
        (the scheduled sweep calls this). Returns the keys it created."""
        settings = self.read_settings()
        created = []
        for key in (month_key(now, self._tz), month_key(month_bounds(now, self._tz)[1],
                                                         self._tz)):
            if self._create_month(key, settings.monthly_limit, now):
                created.append(key)
        return created

    def _create_month(self, key: str, limit: int, now: datetime,
                      deadline: float | None = None) -> bool:
        # One creator per instance; the others read again once it is done. Instances
        # racing each other are settled by the creates' AlreadyExists.
        wait = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
        if not self._create_lock.acquire(timeout=wait):
            return False
        try:
            (month,) = self._calls.read_view([self._month_ref(key)], deadline=deadline)
            return not month.exists and self._create_month_docs(key, limit, now, deadline)
        finally:
            self._create_lock.release()

    def _create_month_docs(self, key: str, limit: int, now: datetime,
                           deadline: float | None) -> bool:
        caps = allotment.deal(limit, [0] * self._shard_count)
        docs = [(self._month_ref(key), _new_month(key, limit, now, self._shard_count))]
        docs += [(ref, {"cap": cap, "used": 0, "epoch": 0})
                 for ref, cap in zip(self._shard_refs(key), caps, strict=True)]
        return self._calls.create_all(docs, deadline=deadline)

    def _redeal(self, key: str, units: int, deadline: float | None = None) -> None:
        """Deal the month's caps again for the current limit (keeping room for `units` in
        one shard); nothing is written when they are already right. One optimistic try:
        the caller reads again either way."""
        wait = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
        if not self._redeal_lock.acquire(timeout=wait):
            return  # another thread of this instance is dealing; read again after it
        try:
            settings, view, _ = self._view(key, deadline=deadline)
            limit = settings.monthly_limit
            if not view.month.exists or (view.is_dealt(limit) and (
                    units == 0 or not allotment.needs_redeal(limit, view.shard_states(),
                                                             units))):
                return
            # A Conflict means someone changed the month meanwhile: the caller reads again.
            with contextlib.suppress(Conflict):
                self._calls.commit_unchanged(
                    self._deal_writes(view, limit, self._clock(), keep=units),
                    deadline=deadline)
        finally:
            self._redeal_lock.release()

    def _deal_writes(self, view: MonthView, limit: int, now: datetime, *, keep: int = 0,
                     reset: bool = False, month_fields: dict[str, Any] | None = None
                     ) -> list[tuple[Doc, dict[str, Any] | None]]:
        """The writes that deal every shard's cap of `view` for `limit` (all usage zeroed
        and a new epoch with `reset`) and settle the month's count, each conditional on
        its document being as read. A month from before shards moves its count into
        shard 0."""
        epoch = view.epoch + (1 if reset else 0)
        count = len(view.shards)
        if reset:
            used = [0] * count
        elif view.has_shards:
            used = [s.used for s in view.shard_states()]
        else:
            used = [view.used] + [0] * (count - 1)
        caps = allotment.deal(limit, used, keep=keep, at=self._rng.randrange(count))
        writes: list[tuple[Doc, dict[str, Any] | None]] = [
            (shard, {"cap": cap, "used": u, "epoch": epoch})
            for shard, cap, u in zip(view.shards, caps, used, strict=True)]
        fields = {"limit": limit, "usageCount": sum(used), "shardCount": count,
                  "epoch": epoch, "lastUpdated": now, "fenceUntil": None,
                  **(month_fields or {})}
        if not view.month.exists:
            fields = {**_new_month(view.key, limit, now, count), **fields}
        writes.append((view.month, fields))
        return writes

    def _fence(self, key: str, deadline: float) -> None:
        """Ask reservations on an existing month to pause for up to _FENCE_S while an
        admin change deals its caps (the change's commit clears it). Best effort: an
        admin change without a fence is still correct, only slower under load."""
        until = datetime.now(UTC) + timedelta(seconds=_FENCE_S)

        def plan(docs: list[Doc]) -> tuple[list[Write], None]:
            (month,) = docs
            return ([(month, {"fenceUntil": until})] if month.exists else []), None

        try:
            self._calls.optimistic([self._month_ref(key)], plan, deadline=deadline)
        except StoreUnavailable as err:
            log.info("no fence on %s for an admin change: %s", key, err)

    def settle(self, key: str, deadline: float | None = None) -> int:
        """Write the month's usage (the sum of its shards) into usageCount, stamped with the
        time of that read. The month's write is conditional on the month being as read,
        so a reset (another epoch) or another settle in between wins."""
        refs = [self._month_ref(key), *self._shard_refs(key)]

        def plan(docs: list[Doc]) -> tuple[list[Write], int]:
            view = MonthView(key, docs[0], docs[1:])
            used = view.used
            if not view.month.exists or _int(view.month.data, "usageCount") == used:
                return [], used
            return [(view.month, {"usageCount": used, "lastUpdated": self._clock()})], used

        return self._calls.optimistic(refs, plan, deadline=deadline)

    def _settle_if_due(self, view: MonthView, now: datetime) -> None:
        """Keep usageCount fresh without a write per reservation: settle when the month was
        last written `settle_interval_s` ago or more, one settle at a time per instance."""
        last = (view.month.data or {}).get("lastUpdated")
        if isinstance(last, datetime) and now - last < self._settle_interval:
            return
        if not self._settle_lock.acquire(blocking=False):
            return
        try:
            self.settle(view.key, deadline=time.monotonic() + _SETTLE_BUDGET_S)
        except StoreUnavailable as err:
            log.info("usageCount of %s not settled now: %s", view.key, err)
        finally:
            self._settle_lock.release()

    # -- reads --------------------------------------------------------------------------

    def read_settings(self) -> VisionSettings:
        (cfg,) = self._calls.read_view([self._config_ref()])
        return self._settings(cfg)

    def month_usage(self, month_key: str) -> tuple[int, int, list[int]]:
        """(usage, limit, alertsSent) of a month, usage added up from its shards; a month
        without a document has used nothing and has the current settings' limit."""
        settings, view, _ = self._view(month_key)
        if not view.month.exists:
            return 0, settings.monthly_limit, []
        return view.used, _int(view.month.data, "limit"), _alerts(view.month.data)

    def allowance(self, spender: Spender) -> AllowanceState:
        """The account's allowance as it stands now (one snapshot, no write)."""
        now = self._clock()
        cfg, account, standing = self._calls.read_view(
            [self._config_ref(), self._account_ref(month_key(now, self._tz), spender.account),
             self._standing_ref(spender.account)])
        return allowance_state(self._settings(cfg).allowance, spender,
                               AccountUsage.from_document(account.data),
                               AccountStanding.from_document(standing.data), now, self._tz)

    def top_accounts(self, month: str, limit: int) -> list[AccountRow]:
        """The month's accounts with the most units, most first, with their standing."""
        query = (self._month_ref(month).collection(ACCOUNTS_COLLECTION)
                 .order_by("units", direction=firestore.Query.DESCENDING).limit(limit))
        usages = [(snap.id, AccountUsage.from_document(snap.to_dict()))
                  for snap in self._calls.query(query)]
        standings = self._calls.read_view([self._standing_ref(a) for a, _ in usages]) \
            if usages else []
        return [AccountRow(account, usage, AccountStanding.from_document(doc.data))
                for (account, usage), doc in zip(usages, standings, strict=True)]

    # -- admin writes -------------------------------------------------------------------

    def set_allowance(self, caller: Caller, rules: AllowanceSettings) -> AdminChange:
        return self._admin_write(caller, "set_vision_account_allowance", (),
                                 lambda s, _views, _now: (
                                     {"accountAllowance": rules.to_document()},
                                     s.allowance.to_document(), rules.to_document(), []))

    def manage_account(self, caller: Caller, uid: str | None, action: AccountAction
                       ) -> AdminChange:
        """An admin's flag, unflag or reset of the day, with its audit record, in one
        optimistic transaction over the account's standing and this month's usage."""
        account = account_key(uid)
        now = self._clock()
        refs = [self._standing_ref(account),
                self._account_ref(month_key(now, self._tz), account),
                self._db.collection(ACTIONS_COLLECTION).document()]

        def plan(docs: list[Doc]) -> tuple[list[Write], AdminChange]:
            standing_doc, usage_doc, audit = docs
            standing = AccountStanding.from_document(standing_doc.data)
            usage = AccountUsage.from_document(usage_doc.data)
            new_standing, new_usage = allowance.apply_action(action, standing, usage, now,
                                                             self._tz)
            change = AdminChange(account_audit(standing, usage, now, self._tz),
                                 account_audit(new_standing, new_usage, now, self._tz))
            record: dict[str, Any] = {"action": f"vision_account_{action}",
                                      "adminUid": caller.uid,
                                      "target": {"uid": uid, "account": account},
                                      "before": change.before, "after": change.after,
                                      "at": now}
            if caller.email:
                record["adminEmail"] = caller.email
            writes: list[Write] = [
                (standing_doc, {**new_standing.to_document(), "account": account, "uid": uid,
                                "changedAt": now, "changedBy": caller.uid}),
                (audit, record)]
            if new_usage != usage:
                writes.append((usage_doc, {**new_usage.to_document(), "account": account,
                                           "uid": uid}))
            return writes, change

        return self._calls.optimistic(refs, plan,
                                      deadline=time.monotonic() + _ADMIN_BUDGET_S)


    def set_enabled(self, caller: Caller, enabled: bool, *,
                    audit: dict[str, Any] | None = None, audit_id: str | None = None,
                    only_if_changed: bool = False) -> AdminChange:
        """The admins' switch. A system caller (moderation/budget_alerts.py) also passes
        `audit` (fields added to the audit record: actor, source, ...; the standard ones
        win), `audit_id` (a fixed record id: a repeat finds the record and writes nothing)
        and `only_if_changed` (Vision already so: no write, no record; before == after)."""
        return self._admin_write(caller, "set_vision_enabled", (), lambda s, _views, _now: (
            {"enabled": enabled}, {"enabled": s.enabled}, {"enabled": enabled}, []),
            audit=audit, audit_id=audit_id, only_if_changed=only_if_changed)

    def set_fallback_strategy(self, caller: Caller, strategy: FallbackStrategy) -> AdminChange:
        return self._admin_write(
            caller, "set_vision_fallback_strategy", (), lambda s, _views, _now: (
                {"fallbackStrategy": strategy.value},
                {"fallbackStrategy": s.fallback_strategy.value},
                {"fallbackStrategy": strategy.value}, []))

    def set_monthly_limit(self, caller: Caller, limit: int) -> AdminChange:
        def plan(s: VisionSettings, views: list[MonthView], now: datetime) -> _Plan:
            # This month and the next (created ahead of time) are dealt for the new limit; a
            # month not started yet gets its caps when it is created.
            writes = [w for view in views if view.month.exists
                      for w in self._deal_writes(view, limit, now)]
            return ({"monthlyLimit": limit}, {"monthlyLimit": s.monthly_limit},
                    {"monthlyLimit": limit}, writes)

        now = self._clock()
        months = (month_key(now, self._tz), month_key(month_bounds(now, self._tz)[1], self._tz))
        return self._admin_write(caller, "set_vision_monthly_limit", months, plan)

    def reset_month(self, caller: Caller) -> AdminChange:
        def plan(s: VisionSettings, views: list[MonthView], now: datetime) -> _Plan:
            (view,) = views
            usage, epoch = view.used, view.epoch
            writes = self._deal_writes(view, s.monthly_limit, now, reset=True, month_fields={
                "resetCount": _int(view.month.data, "resetCount") + 1, "lastResetAt": now,
                "usageBeforeReset": usage,
                # Levels are announced again as the new count climbs.
                "alertsSent": []})
            return ({}, {"monthKey": view.key, "usageCount": usage, "epoch": epoch},
                    {"monthKey": view.key, "usageCount": 0, "epoch": epoch + 1}, writes)

        return self._admin_write(caller, "reset_vision_quota", (month_key(self._clock(),
                                                                          self._tz),), plan)

    def _admin_write(self, caller: Caller, action: str, months: tuple[str, ...],
                     plan: Callable[[VisionSettings, list[MonthView], datetime], _Plan],
                     *, audit: dict[str, Any] | None = None, audit_id: str | None = None,
                     only_if_changed: bool = False) -> AdminChange:
        """One optimistic transaction: read the settings and `months` (with their shards),
        then commit the plan's writes, the settings (updatedAt/By) and the audit record
        together, each conditional on its document being as read; a lost race reads again.
        Optimistic, because reservations keep committing on the shards meanwhile: a
        locking transaction would make them queue behind it (and it behind them). The
        audit id is fixed before the first attempt, so a call whose commit landed but
        whose reply was lost is recognised and not applied twice (a caller's own
        `audit_id` extends that to its repeats)."""
        audit_ref = self._db.collection(ACTIONS_COLLECTION).document(audit_id)
        deadline = time.monotonic() + _ADMIN_BUDGET_S
        for key in months:
            self._fence(key, deadline)
        for attempt in range(1_000_000):
            if attempt and time.monotonic() >= deadline:
                raise StoreBusy(detail="The quota ledger is too busy to take this change now.")
            now = self._clock()
            done, cfg = self._calls.read_view([audit_ref, self._config_ref()],
                                              deadline=deadline)
            if done.exists:
                return AdminChange((done.data or {}).get("before") or {},
                                   (done.data or {}).get("after") or {})
            views = [self._view(key, deadline=deadline)[1] for key in months]
            config, before, after, writes = plan(self._settings(cfg), views, now)
            if only_if_changed and before == after:
                return AdminChange(before, after)
            record: dict[str, Any] = {**(audit or {}), "action": action,
                                      "adminUid": caller.uid,
                                      "before": before, "after": after, "at": now}
            if caller.email:
                record["adminEmail"] = caller.email
            writes = [*writes, (cfg, {**config, "updatedAt": now, "updatedBy": caller.uid}),
                      (done, record)]
            if self._commit(writes, attempt, deadline):
                return AdminChange(before, after)
        raise AssertionError("unreachable")

    # -- alerts -------------------------------------------------------------------------

    def record_alerts(self, now: datetime) -> list[int]:
        """Announce each usage level (80/95/100 % of the limit) once per month and epoch,
        and settle the month's usageCount on the way: one optimistic transaction over the
        settings, the month and its shards."""
        key = month_key(now, self._tz)
        refs = [self._config_ref(), self._month_ref(key), *self._shard_refs(key)]

        def plan(docs: list[Doc]) -> tuple[list[Write], list[int]]:
            view = MonthView(key, docs[1], docs[2:])
            if not view.month.exists:
                return [], []
            usage = view.used
            limit = self._settings(docs[0]).monthly_limit
            sent = _alerts(view.month.data)
            levels = crossed_levels(usage, limit, sent)
            fields: dict[str, Any] = {}
            if _int(view.month.data, "usageCount") != usage:
                fields |= {"usageCount": usage, "lastUpdated": now}
            if levels:
                fields["alertsSent"] = sorted(set(sent) | set(levels))
            writes: list[Write] = [(view.month, fields)] if fields else []
            for level in levels:
                notice = self._db.collection(NOTIFICATIONS_COLLECTION).document()
                writes.append((Doc(notice, None, None), {
                    "kind": "vision_quota", "level": level, "monthKey": key, "usage": usage,
                    "limit": limit, "at": now, "read": False}))
            return writes, levels

        return self._calls.optimistic(refs, plan)


@dataclass(frozen=True)
class _Settle:
    """What settling a job writes: its new fields (None deletes it), whether its reserved
    units go back, and whether Vision rejected the image."""

    fields: dict[str, Any] | None
    give_back: bool
    rejected: bool = False


def _held_by_another(state: JobState, owner: str | None, now: datetime) -> bool:
    """Leased, live, to a caller other than `owner`: not ours to settle."""
    return state.state == "reserved" and state.lease_owner != owner \
        and state.lease_until is not None and state.lease_until > now


def _claim(claim: str | None) -> BeginKind:
    kinds: tuple[BeginKind, ...] = ("reserved", "disabled", "exhausted", "over_allowance",
                                    "flagged")
    return next((k for k in kinds if k == claim), "reserved")


def _account_fields(usage: AccountUsage, spender: Spender, now: datetime) -> dict[str, Any]:
    return {**usage.to_document(), "account": spender.account, "uid": spender.uid,
            "lastAt": now}


# (settings fields, audit before, audit after, writes conditional on their documents)
_Plan = tuple[dict[str, Any], dict[str, Any], dict[str, Any],
              list[tuple[Doc, dict[str, Any] | None]]]


def _int(doc: dict[str, Any] | None, name: str) -> int:
    """An integer field of a stored document; missing or unreadable counts as 0."""
    value = (doc or {}).get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _fence_remaining(month: dict[str, Any] | None) -> float:
    """Seconds an admin's fence on the month still holds (0 when none; a fence further
    ahead than it could ever be set is ignored, e.g. a clock far off)."""
    until = (month or {}).get("fenceUntil")
    if not isinstance(until, datetime):
        return 0.0
    remaining = (until - datetime.now(UTC)).total_seconds()
    return remaining if 0 < remaining <= 2 * _FENCE_S else 0.0


def _alerts(doc: dict[str, Any] | None) -> list[int]:
    return [a for a in (doc or {}).get("alertsSent") or [] if isinstance(a, int)]


def _new_month(key: str, limit: int, now: datetime, shard_count: int) -> dict[str, Any]:
    return {"monthKey": key, "usageCount": 0, "limit": limit, "lastUpdated": now,
            "createdAt": now, "epoch": 0, "resetCount": 0, "alertsSent": [],
            "shardCount": shard_count}
