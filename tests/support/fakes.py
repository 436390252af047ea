"""In-memory implementations of our own ports (the Protocols in functions/*/ports.py), for
fast unit tests of the use cases. Never a fake of Firestore or of an SDK: the adapters keep
their tests against the real parts (emulators, b2sdk's simulator).

Each fake keeps the contract its adapter documents, as simply as it can:
  FakeLedger          infra/firestore_vision_ledger.py (reserve before the call, one job
                      counted once, a release gives the units back once)
  FakeRecheckStore    infra/firestore_rechecks.py (the re-checks and the upload jobs live
                      in the ledger's `jobs`, as the adapter's live in one database)
  FakeObjectStore     infra/gcs_objects.py (a gone object or generation is not an error)
  FakeQrRepository    infra/firestore_qr_repository.py
  FakeBlobStore       infra/local_blob_store.py / b2_blob_store.py
Every fake has switches that make it fail the way its adapter does, and records its calls.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from errors import StoreBusy, StoreUnavailable
from identity import Caller
from moderation import allowance
from moderation.accounts import (
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
from moderation.ports import (
    AccountFacts,
    AllowanceState,
    AppCheckRefused,
    Begin,
    BeginKind,
    ImageSource,
    ImageTooComplex,
    LocalModelUnavailable,
    Location,
    ObjectInfo,
    Recheck,
    RecheckState,
    TargetExists,
    VisionUnavailable,
)
from moderation.quota import month_key
from moderation.rechecks import ACCOUNT_WAITS
from moderation.reservation import JobState, job_fields, job_step, spend_decision
from moderation.review import (
    APPEAL_PRIORITY,
    CAUSES,
    CLAIM,
    ReviewItem,
    claim_answer,
    decision_refusal,
)
from moderation.safesearch import Likelihood, SafeSearchAnnotation
from moderation.settings import VisionSettings
from qr import stock_levels
from qr.ports import (
    BlobStoreError,
    MinimumOutcome,
    PartOutcome,
    PartRequest,
    PartState,
    QrRecord,
    StoredBlob,
    UnitFile,
    UsedOutcome,
)
from qr.stock_levels import StockLevel

PACIFIC = ZoneInfo("America/Los_Angeles")
RECHECKS_COLLECTION = "moderation_rechecks"
UPLOAD_JOBS_COLLECTION = "moderation_jobs"
_STATES: tuple[RecheckState, ...] = ("waiting", "queued", "reserved", "done")


class FakeClock:
    """A clock the test moves by hand (timezone-aware)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 11, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


# -- moderation -------------------------------------------------------------------------------


class FakeLedger:
    """moderation.ports.QuotaLedger in memory: settings, per-month usage, job records,
    account usage and standing. It decides with the same pure rules as the Firestore
    ledger (moderation/reservation.py, moderation/allowance.py), and
    tests/contract/test_quota_ledger_contract.py runs one behaviour suite on both."""

    def __init__(self, settings: VisionSettings | None = None, *,
                 clock: Callable[[], datetime] | None = None, tz: ZoneInfo = PACIFIC,
                 lease_s: float = 120.0) -> None:
        self.settings = settings or VisionSettings()
        self.clock = clock or FakeClock()
        self.tz = tz
        self.lease = timedelta(seconds=lease_s)
        self.usage: dict[str, int] = {}          # month key -> units counted
        self.epochs: dict[str, int] = {}         # month key -> reset count
        self.alerts: dict[str, list[int]] = {}   # month key -> alert levels sent
        # Job documents by path (merged writes, as the adapter makes them).
        self.jobs: dict[str, dict[str, Any]] = {}
        self.accounts: dict[tuple[str, str], AccountUsage] = {}  # (month, account)
        self.standings: dict[str, AccountStanding] = {}          # account -> standing
        self.notifications: dict[str, dict[str, Any]] = {}       # id -> notice
        self.audit: list[dict[str, Any]] = []
        self.unavailable = False  # every call raises StoreUnavailable
        self.busy = False         # begin gives up on contention: StoreBusy
        self.calls: list[str] = []

    # -- helpers for tests -----------------------------------------------------------------

    @property
    def month(self) -> str:
        return month_key(self.clock(), self.tz)

    @property
    def used(self) -> int:
        """Units counted in the current month."""
        return self.usage.get(self.month, 0)

    def state(self, job_path: str) -> str | None:
        return (self.jobs.get(job_path) or {}).get("state")

    def account_usage(self, uid: str | None, month: str | None = None) -> AccountUsage:
        return self.accounts.get((month or self.month, account_key(uid)), AccountUsage())

    def standing(self, uid: str | None) -> AccountStanding:
        return self.standings.get(account_key(uid), AccountStanding())

    def reset_month(self) -> None:
        """An admin's reset: the count starts again, earlier units never come back."""
        self.usage[self.month] = 0
        self.epochs[self.month] = self.epochs.get(self.month, 0) + 1

    # -- QuotaLedger -----------------------------------------------------------------------

    def _enter(self, call: str) -> None:
        self.calls.append(call)
        if self.unavailable:
            raise StoreUnavailable(detail="the quota ledger is unreachable (fake)")

    def begin(self, job_path: str, units: int, fields: dict[str, Any], spender: Spender, *,
              after_fallback: bool = False) -> Begin:
        self._enter("begin")
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError("units must be a positive whole number")
        if self.busy:
            raise StoreBusy(detail="gave up reserving Vision quota (fake contention)")
        now, key, settings = self.clock(), self.month, self.settings
        owner = uuid.uuid4().hex

        def outcome(kind: BeginKind, prior: dict[str, Any] | None = None,
                    renews_at: datetime | None = None) -> Begin:
            return Begin(kind, settings, key, self.usage.get(key, 0), settings.monthly_limit,
                         prior, renews_at, owner)

        job = self.jobs.get(job_path)
        step = job_step(JobState.from_document(job), owner, now, after_fallback=after_fallback)
        if step == "done":
            return outcome("done", prior=dict((job or {}).get("result") or {}))
        if step == "busy":
            return outcome("busy")
        if step == "take_over":
            # The earlier caller died holding the lease: its units are counted already.
            assert job is not None
            job.update(leaseUntil=now + self.lease, leaseOwner=owner,
                       deliveries=job.get("deliveries", 0) + 1)
            return outcome("reserved")
        usage = self.accounts.get((key, spender.account), AccountUsage())
        spend = spend_decision(settings, self.usage.get(key, 0), units, spender, usage,
                               self.standings.get(spender.account, AccountStanding()),
                               now, self.tz)
        charged = units if spend.kind == "reserved" else 0
        if charged:
            self.usage[key] = self.usage.get(key, 0) + charged
            self.accounts[(key, spender.account)] = allowance.charged(usage, charged, now,
                                                                      self.tz)
        self.jobs[job_path] = {
            **(job or {}), **fields, "state": "reserved", "units": charged,
            "claim": spend.kind, "epoch": self.epochs.get(key, 0),
            "leaseUntil": now + self.lease, "leaseOwner": owner, "reservedAt": now,
            "deliveries": (job or {}).get("deliveries", 0) + 1,
            **job_fields(spender, charged, key, now, self.tz)}
        return outcome(spend.kind, renews_at=spend.renews_at)

    def claim(self, job_path: str, fields: dict[str, Any], spender: Spender, *,
              after_fallback: bool = False) -> str | None:
        self._enter("claim")
        now, owner = self.clock(), uuid.uuid4().hex
        job = self.jobs.get(job_path)
        if job_step(JobState.from_document(job), owner, now,
                    after_fallback=after_fallback) != "decide":
            return None
        self.jobs[job_path] = {
            **(job or {}), **fields, "state": "reserved", "units": 0, "claim": "unreserved",
            "leaseUntil": now + self.lease, "leaseOwner": owner, "reservedAt": now,
            "deliveries": (job or {}).get("deliveries", 0) + 1,
            **job_fields(spender, 0, self.month, now, self.tz)}
        return owner

    def _give_back(self, job: dict[str, Any]) -> int:
        """Return a reserved job's units to its month (once, and only in its epoch) and to
        its account."""
        key = job.get("monthKey")
        released = 0
        if job.get("state") == "reserved" and key in self.usage \
                and job.get("epoch", 0) == self.epochs.get(key, 0):
            released = min(int(job.get("units") or 0), self.usage[key])
            self.usage[key] -= released
        account, charged = job.get("account"), int(job.get("accountUnits") or 0)
        if job.get("state") == "reserved" and isinstance(account, str) and charged:
            usage = self.accounts.get((str(key), account), AccountUsage())
            self.accounts[(str(key), account)] = allowance.refunded(
                usage, charged, job.get("chargedDay"))
            job["accountUnits"] = 0
        return released

    def _held_by_another(self, job: dict[str, Any] | None, owner: str | None) -> bool:
        state = JobState.from_document(job)
        return state.state == "reserved" and state.lease_owner != owner \
            and state.lease_until is not None and state.lease_until > self.clock()

    def complete(self, job_path: str, result: dict[str, Any], *, owner: str | None = None,
                 rejected: bool = False, release: bool = False,
                 fields: dict[str, Any] | None = None) -> bool:
        self._enter("complete")
        now = self.clock()
        job = self.jobs.get(job_path)
        state = JobState.from_document(job).state
        if state == "done" or self._held_by_another(job, owner):
            return False
        if job is None or state != "reserved":
            # An outcome decided without a reservation: remembered, so a redelivery is done.
            self.jobs[job_path] = {**(job or {}), **(fields or {}), "state": "done",
                                   "final": True, "units": 0,
                                   "deliveries": (job or {}).get("deliveries", 1),
                                   "monthKey": (job or {}).get("monthKey", self.month),
                                   "result": dict(result), "completedAt": now}
            return True
        released = self._give_back(job) if release else 0
        job.update(state="done", final=True, result=dict(result), completedAt=now,
                   releasedUnits=released, leaseUntil=None, leaseOwner=None)
        if rejected:
            self._count_rejection(job, now)
        return True

    def _count_rejection(self, job: dict[str, Any], now: datetime) -> None:
        account, month = job.get("account"), job.get("monthKey")
        if not isinstance(account, str) or not isinstance(month, str):
            return
        rules = self.settings.allowance
        standing, newly = allowance.after_rejection(
            rules, self.standings.get(account, AccountStanding()), now)
        self.standings[account] = standing
        usage = self.accounts.get((month, account), AccountUsage())
        self.accounts[(month, account)] = replace(usage, rejections=usage.rejections + 1)
        if newly:
            notice_id = flag_notice_id(account, allowance.day_key(now, self.tz))
            self.notifications.setdefault(notice_id, flag_notice(
                account, job.get("uploaderUid"), allowance.recent_rejections(standing, now),
                now))

    def release(self, job_path: str, result: dict[str, Any] | None = None, *,
                owner: str | None = None, fields: dict[str, Any] | None = None) -> bool:
        self._enter("release")
        now = self.clock()
        job = self.jobs.get(job_path)
        if job is None:
            if owner is not None:
                return False
            self.jobs[job_path] = {**(fields or {}), "state": "fallback", "units": 0,
                                   "deliveries": 1, "monthKey": self.month,
                                   "result": dict(result or {}), "completedAt": now}
            return True
        state = JobState.from_document(job)
        if state.state != "reserved" or self._held_by_another(job, owner) or (
                owner is not None and state.lease_owner != owner):
            return False
        released = self._give_back(job)
        job.update(state="fallback", releasedUnits=released, leaseUntil=None,
                   leaseOwner=None, completedAt=now, **({"result": dict(result)}
                                                        if result is not None else {}))
        return True

    def abandon(self, job_path: str) -> None:
        self._enter("abandon")
        job = self.jobs.get(job_path)
        if job is None or job.get("state") != "reserved":
            return
        self._give_back(job)
        del self.jobs[job_path]

    def allowance(self, spender: Spender) -> AllowanceState:
        self._enter("allowance")
        now, rules = self.clock(), self.settings.allowance
        return allowance_state(rules, spender,
                               self.accounts.get((self.month, spender.account), AccountUsage()),
                               self.standings.get(spender.account, AccountStanding()), now,
                               self.tz)

    def read_settings(self) -> VisionSettings:
        self._enter("read_settings")
        return self.settings

    def month_usage(self, month_key: str) -> tuple[int, int, list[int]]:
        self._enter("month_usage")
        return (self.usage.get(month_key, 0), self.settings.monthly_limit,
                list(self.alerts.get(month_key, [])))

    # -- accounts (the admin side) -----------------------------------------------------------

    def set_allowance(self, caller: Any, rules: AllowanceSettings) -> AdminChange:
        self._enter("set_allowance")
        before = self.settings.allowance.to_document()
        self.settings = replace(self.settings, allowance=rules)
        self.audit.append({"action": "set_vision_account_allowance", "adminUid": caller.uid,
                           "before": before, "after": rules.to_document()})
        return AdminChange(before, rules.to_document())

    def manage_account(self, caller: Any, uid: str | None, action: AccountAction
                       ) -> AdminChange:
        self._enter("manage_account")
        now, account = self.clock(), account_key(uid)
        standing = self.standings.get(account, AccountStanding())
        usage = self.accounts.get((self.month, account), AccountUsage())
        new_standing, new_usage = allowance.apply_action(action, standing, usage, now, self.tz)
        self.standings[account] = new_standing
        self.accounts[(self.month, account)] = new_usage
        before = account_audit(standing, usage, now, self.tz)
        after = account_audit(new_standing, new_usage, now, self.tz)
        self.audit.append({"action": f"vision_account_{action}", "adminUid": caller.uid,
                           "target": {"uid": uid, "account": account},
                           "before": before, "after": after})
        return AdminChange(before, after)

    def top_accounts(self, month: str, limit: int) -> list[AccountRow]:
        self._enter("top_accounts")
        usages = [(account, usage) for (m, account), usage in self.accounts.items()
                  if m == month]
        return [AccountRow(account, usage, self.standings.get(account, AccountStanding()))
                for account, usage in allowance.top_accounts(usages, limit)]


SAFE = SafeSearchAnnotation(*(Likelihood.VERY_UNLIKELY,) * 5)


class FakeClassifier:
    """moderation.ports.SafeSearchClassifier: answers from a script, records each call."""

    def __init__(self, *script: SafeSearchAnnotation | VisionUnavailable) -> None:
        self.script = list(script)
        self.default: SafeSearchAnnotation | VisionUnavailable = SAFE
        self.calls: list[ImageSource] = []

    def classify(self, image: ImageSource) -> SafeSearchAnnotation:
        self.calls.append(image)
        answer = self.script.pop(0) if self.script else self.default
        if isinstance(answer, VisionUnavailable):
            raise answer
        return answer


class FakeLocalModel:
    """moderation.ports.LocalImageClassifier: a fixed score (or a LocalModelUnavailable)."""

    def __init__(self, score: float | LocalModelUnavailable = 0.0) -> None:
        self.score = score
        self.calls: list[bytes] = []
        self.built = 0

    def factory(self) -> FakeLocalModel:
        """What StrategyFallback is given: counts how often the model was built."""
        self.built += 1
        return self

    def nsfw_score(self, image: bytes) -> float:
        self.calls.append(image)
        if isinstance(self.score, LocalModelUnavailable):
            raise self.score
        return self.score


@dataclass
class StoredObject:
    generation: str
    data: bytes
    content_type: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    cache_control: str | None = None


class FakeObjectStore:
    """moderation.ports.ObjectStore: live objects by (bucket, name), each one generation."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], StoredObject] = {}
        self._generations = itertools.count(1_700_000_000_000_001)
        self.reads: list[tuple[str, int]] = []  # (name, length) of every head

    def put(self, bucket: str, name: str, data: bytes, content_type: str | None = "image/png",
            metadata: dict[str, str] | None = None, *, size: int | None = None) -> ObjectInfo:
        """Upload (a new generation); returns the finalized event's object. `size` lets an
        event claim more bytes than are stored (a huge image without allocating it)."""
        stored = StoredObject(str(next(self._generations)), data, content_type,
                              dict(metadata or {}))
        self.objects[(bucket, name)] = stored
        return ObjectInfo(bucket, name, stored.generation, content_type,
                          len(data) if size is None else size, dict(stored.metadata))

    def _live(self, bucket: str, name: str, generation: str | None = None
              ) -> StoredObject | None:
        found = self.objects.get((bucket, name))
        if found is None or (generation is not None and found.generation != generation):
            return None
        return found

    def head(self, bucket: str, name: str, length: int) -> bytes:
        self.reads.append((name, length))
        found = self._live(bucket, name)
        return found.data[:length] if found else b""

    def set_metadata(self, bucket: str, name: str, generation: str,
                     metadata: Mapping[str, str | None], *,
                     cache_control: str | None = None) -> None:
        found = self._live(bucket, name, generation)
        if found is not None:
            for key, value in metadata.items():
                if value is None:
                    found.metadata.pop(key, None)
                else:
                    found.metadata[key] = value
            if cache_control is not None:
                found.cache_control = cache_control

    def stat(self, bucket: str, name: str) -> ObjectInfo | None:
        found = self._live(bucket, name)
        if found is None:
            return None
        return ObjectInfo(bucket, name, found.generation, found.content_type, len(found.data),
                          dict(found.metadata))

    def move(self, bucket: str, name: str, generation: str, new_name: str, *,
             only_if_absent: bool = False) -> str | None:
        if new_name == name:
            raise ValueError("new_name must differ from name")
        found = self._live(bucket, name, generation)
        if found is None:
            return None
        if only_if_absent and (bucket, new_name) in self.objects:
            raise TargetExists(f"gs://{bucket}/{new_name} already exists")
        copied = replace(found, generation=str(next(self._generations)),
                         metadata=dict(found.metadata))
        self.objects[(bucket, new_name)] = copied
        del self.objects[(bucket, name)]
        return copied.generation

    def delete(self, bucket: str, name: str, generation: str) -> None:
        if self._live(bucket, name, generation) is not None:
            del self.objects[(bucket, name)]


class FakeFrameSampler:
    """moderation.ports.FrameSampler: a scripted sheet (None: a still image), or an
    ImageTooComplex; records what it was given."""

    def __init__(self, sheet: bytes | ImageTooComplex | None = None) -> None:
        self.sheet = sheet
        self.calls: list[tuple[int, str]] = []

    def sample(self, content: bytes, image_format: str) -> bytes | None:
        self.calls.append((len(content), image_format))
        if isinstance(self.sheet, ImageTooComplex):
            raise self.sheet
        return self.sheet


class FakeAppCheckTokens:
    """moderation.ports.AppCheckTokens: tokens starting "bad" are invalid; any other is
    good once, as App Check's replay protection makes a limited-use token."""

    def __init__(self) -> None:
        self.consumed: list[str] = []

    def consume(self, token: str) -> bool:
        if token.startswith("bad"):
            raise AppCheckRefused("not a valid App Check token (fake)")
        if token in self.consumed:
            return False
        self.consumed.append(token)
        return True


class FakeRecheckQueue:
    """moderation.ports.RecheckQueue: keeps each task and its delay; `down` refuses."""

    def __init__(self) -> None:
        self.tasks: list[tuple[dict[str, Any], float]] = []
        self.down = False

    def enqueue(self, payload: dict[str, Any], delay_s: float = 0.0) -> None:
        if self.down:
            raise RuntimeError("the re-check queue refused the task (fake)")
        self.tasks.append((payload, delay_s))


class FakeRecheckStore:
    """moderation.ports.RecheckStore (and ModerationRecords): re-checks, records, and the
    upload jobs, sharing the ledger's job documents as the Firestore adapter does."""

    def __init__(self, ledger: FakeLedger, clock: Callable[[], datetime] | None = None
                 ) -> None:
        self.ledger = ledger
        self.clock = clock or ledger.clock
        self.records: dict[str, dict[str, Any]] = {}  # image_moderation/{key}
        self.unavailable = False

    def _check(self) -> None:
        if self.unavailable:
            raise StoreUnavailable(detail="the re-check store is unreachable (fake)")

    def _doc(self, key: str) -> dict[str, Any] | None:
        return self.ledger.jobs.get(self._path(key))

    def rechecks(self) -> list[Recheck]:
        prefix = f"{RECHECKS_COLLECTION}/"
        return [_recheck(path[len(prefix):], doc) for path, doc in self.ledger.jobs.items()
                if path.startswith(prefix)]

    def _path(self, key: str) -> str:
        return f"{RECHECKS_COLLECTION}/{key}"

    def upload_job_path(self, key: str) -> str:
        return f"{UPLOAD_JOBS_COLLECTION}/{key}"

    def add(self, recheck: Recheck) -> Recheck:
        self._check()
        existing = self._doc(recheck.key)
        if existing is not None:
            return _recheck(recheck.key, existing)
        now = self.clock()
        doc = {"bucket": recheck.bucket, "name": recheck.name,
               "generation": recheck.generation, "location": _location(recheck.location),
               "cause": recheck.cause, "state": recheck.state,
               "waitingFor": recheck.waiting_for, "notBefore": recheck.not_before,
               "uploaderUid": recheck.uploader_uid,
               "queuedAt": recheck.queued_at or now, "lastQueuedAt": now, "attempts": 0}
        self.ledger.jobs[self._path(recheck.key)] = doc
        return _recheck(recheck.key, doc)

    def get(self, key: str) -> Recheck | None:
        self._check()
        doc = self._doc(key)
        return _recheck(key, doc) if doc is not None else None

    def update(self, key: str, fields: dict[str, Any]) -> None:
        self._check()
        self.ledger.jobs.setdefault(self._path(key), {}).update(fields)

    def move_state(self, key: str, from_state: RecheckState, fields: dict[str, Any]) -> bool:
        self._check()
        doc = self._doc(key)
        if doc is None or doc.get("state") != from_state:
            return False
        doc.update(fields)
        return True

    def waiting(self, limit: int) -> list[Recheck]:
        self._check()
        found = [r for r in self.rechecks()
                 if r.state == "waiting" and r.waiting_for not in ACCOUNT_WAITS]
        return sorted(found, key=lambda r: r.queued_at or self.clock())[:limit]

    def due(self, now: datetime, limit: int) -> list[Recheck]:
        self._check()
        found = [r for r in self.rechecks()
                 if r.state == "waiting" and r.waiting_for in ACCOUNT_WAITS
                 and r.not_before is not None and r.not_before <= now]
        return sorted(found, key=lambda r: (r.not_before or now, r.queued_at or now))[:limit]

    def stale(self, before: datetime, limit: int) -> list[Recheck]:
        self._check()
        now = self.clock()
        queued, reserved = [], []
        for recheck in self.rechecks():
            doc = self._doc(recheck.key) or {}
            if recheck.state == "queued" and doc.get("lastQueuedAt", now) < before:
                queued.append((doc["lastQueuedAt"], recheck))
            lease = doc.get("leaseUntil")
            if recheck.state == "reserved" and lease is not None and lease < now:
                reserved.append((lease, recheck))
        ordered = [r for _, r in sorted(queued, key=lambda p: p[0])] + \
            [r for _, r in sorted(reserved, key=lambda p: p[0])]
        return ordered[:limit]

    def interrupted(self, before: datetime, limit: int) -> list[Recheck]:
        self._check()
        prefix = f"{UPLOAD_JOBS_COLLECTION}/"
        found = []
        for path, doc in self.ledger.jobs.items():
            lease = doc.get("leaseUntil")
            if not (path.startswith(prefix) and doc.get("state") == "reserved"
                    and lease is not None and lease < before):
                continue
            name, generation = doc.get("name"), doc.get("generation")
            if isinstance(name, str) and isinstance(generation, str):
                found.append((lease, Recheck(
                    key=path[len(prefix):], bucket=str(doc.get("bucket") or ""), name=name,
                    generation=generation, location=Location(name, generation),
                    cause="interrupted", uploader_uid=doc.get("uploaderUid"))))
        return [r for _, r in sorted(found, key=lambda p: p[0])][:limit]

    def save(self, key: str, record: dict[str, Any]) -> None:
        self._check()
        self.records.setdefault(key, {}).update(record)

    def record(self, key: str) -> dict[str, Any] | None:
        self._check()
        found = self.records.get(key)
        return dict(found) if found is not None else None

    def uploader_verdict(self, uid: str, name: str) -> dict[str, Any] | None:
        """The uploader's copy: the record of the newest generation at that name."""
        self._check()
        mine = [(int(r.get("generation") or 0), key, r) for key, r in self.records.items()
                if r.get("uploaderUid") == uid and r.get("name") == name]
        if not mine:
            return None
        _, key, record = max(mine, key=lambda found: found[0])
        return {**record, "recordKey": key}

    def backlog(self) -> dict[str, Any]:
        self._check()
        rechecks = self.rechecks()
        stamps = [r.queued_at for r in rechecks
                  if r.state in ("waiting", "queued") and r.queued_at is not None]
        prefix = f"{UPLOAD_JOBS_COLLECTION}/"
        return {"waiting": sum(r.state == "waiting" for r in rechecks),
                "queued": sum(r.state == "queued" for r in rechecks),
                "inProgress": sum(path.startswith(prefix) and doc.get("state") == "reserved"
                                  for path, doc in self.ledger.jobs.items()),
                "oldestQueuedAt": min(stamps) if stamps else None}

    def record_verdict(self, key: str, record: dict[str, Any],
                       location: Location | None) -> None:
        self._check()
        result = record["result"]
        stored = self.records.get(key)
        fields = {**record, "status": result.get("status"), "message": result.get("message"),
                  "messages": result.get("messages"), "recheckedAt": self.clock(),
                  "recheck": "done",
                  "location": _location(location)}
        if stored is not None and "firstResult" not in stored:
            fields["firstResult"] = stored.get("result")
        self.records.setdefault(key, {}).update(fields)

    def claim_restore(self, key: str, token: str, name: str, job_path: str,
                      record_key: str, record_fields: dict[str, Any]) -> bool:
        self._check()
        doc = self._doc(key) or {}
        if doc.get("restoreToken") != token or doc.get("name") != name:
            return False
        now = self.clock()
        result = doc.get("restoreResult") or {}
        doc.update(restoreToken=None, restoredAt=now)
        self.ledger.jobs.setdefault(job_path, {
            **record_fields, "state": "done", "units": 0, "deliveries": 1, "result": result,
            "restoredFrom": key, "completedAt": now})
        self.records.setdefault(record_key, {
            **record_fields, "status": result.get("status"), "message": result.get("message"),
            "messages": result.get("messages"), "result": result, "restoredFrom": key,
            "completedAt": now})
        return True


def _location(location: Location | None) -> dict[str, str] | None:
    return {"name": location.name, "generation": location.generation} if location else None


def _recheck(key: str, doc: dict[str, Any]) -> Recheck:
    where = doc.get("location")
    state = doc.get("state")
    attempts = doc.get("attempts")
    return Recheck(key=key, bucket=str(doc.get("bucket") or ""),
                   name=str(doc.get("name") or ""),
                   generation=str(doc.get("generation") or ""),
                   location=(Location(str(where["name"]), str(where["generation"]))
                             if isinstance(where, dict) and where.get("name") else None),
                   cause=str(doc.get("cause") or ""),
                   state=state if state in _STATES else "queued",
                   waiting_for=doc.get("waitingFor"), queued_at=doc.get("queuedAt"),
                   attempts=attempts if isinstance(attempts, int) else 0,
                   uploader_uid=doc.get("uploaderUid"), restore_token=doc.get("restoreToken"),
                   not_before=doc.get("notBefore"))


# -- the review queue -------------------------------------------------------------------------


class FakeReviewQueue:
    """moderation.ports.ReviewQueue (infra/firestore_review.py): items by key; an appeal is
    shown on the records of `records` too, as the adapter writes it in the same commit."""

    def __init__(self, records: FakeRecheckStore | None = None) -> None:
        self.items: dict[str, ReviewItem] = {}
        self.records = records
        self.unavailable = False

    def _check(self) -> None:
        if self.unavailable:
            raise StoreUnavailable(detail="the review queue is unreachable (fake)")

    def enter(self, item: ReviewItem) -> None:
        self._check()
        found = self.items.get(item.key)
        if found is None:
            self.items[item.key] = item
            return
        if found.state == "decided":
            return
        changed = replace(found, location=item.location, cause=item.cause,
                          reason=item.reason, status=item.status, scores=item.scores,
                          latest_result=item.latest_result, revision=found.revision + 1)
        if found.state == "settled":
            changed = replace(changed, state="waiting", entered_at=item.entered_at)
        self.items[item.key] = changed

    def settle(self, key: str, result: dict[str, Any]) -> bool:
        self._check()
        found = self.items.get(key)
        if found is None:
            return True
        if found.state in ("decided", "deciding"):
            return False
        self.items[key] = replace(found, state="settled", latest_result=result,
                                  claimed_by=None, revision=found.revision + 1)
        return True

    def get(self, key: str) -> ReviewItem | None:
        self._check()
        return self.items.get(key)

    def page(self, state: str, cause: str | None, uploader: str | None, after: str | None,
             limit: int) -> list[ReviewItem]:
        self._check()
        states = ("waiting", "deciding") if state == "waiting" else (state,)
        found = sorted((i for i in self.items.values() if i.state in states
                        and (cause is None or i.cause == cause)
                        and (uploader is None or i.uploader_uid == uploader)),
                       key=lambda i: (i.priority, i.entered_at, i.key))
        if after is not None and after in self.items:
            last = self.items[after]
            mark = (last.priority, last.entered_at, last.key)
            found = [i for i in found if (i.priority, i.entered_at, i.key) > mark]
        return found[:limit]

    def claim(self, key: str, who: str, now: datetime) -> str:
        self._check()
        found = self.items.get(key)
        answer = claim_answer(found, who, now)
        if answer == "claimed" and found is not None:
            self.items[key] = replace(found, claimed_by=who, claimed_until=now + CLAIM,
                                      claimed_revision=found.revision)
        return answer

    def start_decision(self, key: str, who: str, revision: int | None, now: datetime
                       ) -> ReviewItem | str:
        self._check()
        found = self.items.get(key)
        refusal = decision_refusal(found, who, revision, now)
        if refusal is not None or found is None:
            return refusal or "missing"
        self.items[key] = replace(found, state="deciding", claimed_by=who,
                                  claimed_until=now + CLAIM)
        return found

    def finish_decision(self, key: str, who: str, decision: dict[str, Any],
                        location: dict[str, str] | None, record: dict[str, Any]) -> None:
        self._check()
        found = self.items.get(key)
        if found is None or found.claimed_by != who:
            return
        if self.records is not None and record:
            self.records.records.setdefault(key, {}).update(record)
        self.items[key] = replace(found, state="decided", decision=decision,
                                  location=location, claimed_by=None, claimed_until=None,
                                  revision=found.revision + 1)

    def appeal(self, item: ReviewItem, explanation: str, now: datetime) -> str:
        self._check()
        appeal = {"explanation": explanation, "at": now}
        found = self.items.get(item.key)
        if found is None:
            self.items[item.key] = replace(item, appeal=appeal, entered_at=now,
                                           priority=APPEAL_PRIORITY)
        elif found.appeal:
            return "already"
        elif found.state == "decided":
            return "decided"
        else:
            changed = replace(found, appeal=appeal, priority=APPEAL_PRIORITY,
                              revision=found.revision + 1)
            if found.state == "settled":
                changed = replace(changed, state="waiting", entered_at=now)
            self.items[item.key] = changed
        if self.records is not None and item.key in self.records.records:
            self.records.records[item.key]["appeal"] = {**appeal, "state": "waiting"}
        return "appealed"

    def backlog(self) -> dict[str, Any]:
        self._check()
        waiting = [i for i in self.items.values() if i.state in ("waiting", "deciding")]
        return {"byCause": {cause: sum(i.cause == cause for i in waiting)
                            for cause in CAUSES},
                "appeals": sum(i.priority == APPEAL_PRIORITY for i in waiting),
                "oldestAt": min((i.entered_at for i in waiting), default=None)}


class FakeNotices:
    """moderation.ports.Notices: notices by id, each created once."""

    def __init__(self) -> None:
        self.notices: dict[str, dict[str, Any]] = {}
        self.unavailable = False

    def post_once(self, notice_id: str, fields: dict[str, Any]) -> bool:
        if self.unavailable:
            raise StoreUnavailable(detail="notices unreachable (fake)")
        if notice_id in self.notices:
            return False
        self.notices[notice_id] = fields
        return True


class FakeAuditLog:
    """roles.ports.AuditLog: the records in order."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.unavailable = False

    def record(self, action: str, caller: Any, *, target: dict[str, Any],
               before: dict[str, Any], after: dict[str, Any]) -> None:
        if self.unavailable:
            raise StoreUnavailable(detail="audit log unreachable (fake)")
        self.records.append({"action": action, "adminUid": caller.uid, "target": target,
                             "before": before, "after": after})


class FakeAccountDirectory:
    """moderation.ports.AccountDirectory: accounts by uid (None: Auth does not know it)."""

    def __init__(self, *accounts: AccountFacts) -> None:
        self.accounts = {a.uid: a for a in accounts}

    def facts(self, uid: str) -> AccountFacts | None:
        return self.accounts.get(uid)


class FakeReviewPreviews:
    """moderation.ports.ReviewPreviews: says what it was given, as bytes."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool]] = []

    def preview(self, content: bytes, *, reveal: bool) -> bytes:
        self.calls.append((len(content), reveal))
        return (b"revealed:" if reveal else b"blurred:") + content[:16]


# -- QR labels --------------------------------------------------------------------------------


class FakeQrRepository:
    """qr.ports.QrRepository: `qr_codes` and `parts` as dicts of fields."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or FakeClock()
        self.records: dict[str, dict[str, Any]] = {}
        self.parts: dict[str, dict[str, Any]] = {}
        self.notices: dict[str, dict[str, Any]] = {}  # admin_notifications
        self.audit: list[dict[str, Any]] = []
        self.session_names: dict[str, str] = {}
        self.unavailable = False  # as the adapter: Unavailable, nothing written

    def _check(self) -> None:
        if self.unavailable:  # the one store error, as every adapter raises it
            raise StoreUnavailable(detail="the fake repository is down")

    def add_missing_units(self, parts: list[PartRequest], new_id: Callable[[str], str],
                          created_by: str) -> list[PartOutcome]:
        self._check()
        outcomes = []
        now = self.clock()
        for part in parts:
            doc = self.parts.get(part.part_code)
            count = int(doc.get("qr_count", 0)) if doc else 0
            renamed = doc.get("part_name") if doc and doc.get("part_name") != part.part_name \
                else None
            before = stock_levels.level_of(doc)
            minimum = before.min_units if part.min_units is None else part.min_units
            added = [new_id(part.part_code) for _ in range(max(0, part.quantity - count))]
            if doc and not (added or renamed is not None or minimum != before.min_units):
                outcomes.append(PartOutcome(part.part_code, part.part_name, part.quantity,
                                            count, (), None))
                continue
            after = StockLevel(units=count + len(added), used=before.used, min_units=minimum)
            self._transition(part.part_code, part.part_name, before, after)
            for qr_id in added:
                assert qr_id not in self.records, "a create never replaces a record"
                self.records[qr_id] = {
                    "qr_id": qr_id, "part_code": part.part_code, "part_name": part.part_name,
                    "payload": qr_id, "created_at": now, "created_by": created_by,
                    "blob_key": f"qr_codes/{qr_id}.png", "stored": False, "sha1": None,
                    "is_downloaded": False, "downloaded_at": None, "download_count": 0}
            self.parts.setdefault(part.part_code, {"created_at": now}).update(
                part_code=part.part_code, part_name=part.part_name, quantity=part.quantity,
                qr_count=count + len(added), updated_at=now, min_units=minimum)
            outcomes.append(PartOutcome(part.part_code, part.part_name, part.quantity, count,
                                        tuple(added), renamed, before.min_units,
                                        minimum != before.min_units))
        return outcomes

    def _transition(self, code: str, name: str, before: StockLevel, after: StockLevel
                    ) -> stock_levels.Transition:
        change = stock_levels.transition(before, after)
        self.parts.setdefault(code, {"part_code": code}).update(change.fields)
        if change.alert_number is not None:
            notice_id = stock_levels.notice_id(code, change.alert_number, uuid.uuid4().hex[:10])
            self.notices[notice_id] = stock_levels.notice(code, name, after, self.clock(),
                                                          change.alert_number)
        return change

    def part_states(self, part_codes: list[str]) -> dict[str, PartState]:
        self._check()
        states = {}
        for code in part_codes:
            if code in self.parts:
                level = stock_levels.level_of(self.parts[code])
                states[code] = PartState(code, str(self.parts[code].get("part_name") or ""),
                                         level.units, level.min_units)
        return states

    def set_minimum(self, part_code: str, min_units: int | None,
                    by: Caller) -> MinimumOutcome | None:
        self._check()
        part = self.parts.get(part_code)
        if part is None:
            return None
        before = stock_levels.level_of(part)
        after = dataclasses.replace(before, min_units=min_units)
        change = self._transition(part_code, str(part.get("part_name") or ""), before, after)
        part["min_units"] = min_units
        self.audit.append({"action": "set_part_minimum", "adminUid": by.uid,
                           "target": {"part_code": part_code},
                           "before": {"min_units": before.min_units},
                           "after": {"min_units": min_units}})
        return MinimumOutcome(part_code, before.min_units, min_units, after.available,
                              change.fields["below_minimum"], change.alert_number is not None)

    def unit_file(self, qr_id: str) -> UnitFile | None:
        self._check()
        doc = self.records.get(qr_id)
        if doc is None:
            return None
        names = {s: self.session_names[s] for s in doc.get("counts") or {}
                 if s in self.session_names}
        return UnitFile(_qr_record(doc), dict(doc), names)

    def get(self, qr_id: str) -> QrRecord | None:
        self._check()
        doc = self.records.get(qr_id)
        return _qr_record(doc) if doc is not None else None

    def get_many(self, qr_ids: list[str]) -> list[QrRecord]:
        self._check()
        return [_qr_record(self.records[q]) for q in qr_ids if q in self.records]

    def list_part(self, part_code: str, limit: int) -> list[QrRecord]:
        self._check()
        found = [_qr_record(d) for d in self.records.values() if d["part_code"] == part_code]
        return sorted(found, key=lambda r: r.qr_id)[:limit]

    def mark_stored(self, blobs: dict[str, StoredBlob]) -> int:
        self._check()
        marked = 0
        for qr_id, blob in blobs.items():
            if qr_id in self.records:  # cleared meanwhile: never comes back as a stub
                self.records[qr_id].update(stored=True, sha1=blob.sha1, size=blob.size,
                                           stored_at=self.clock())
                marked += 1
        return marked

    def mark_downloaded(self, records: list[QrRecord], by: str) -> None:
        self._check()
        now = self.clock()
        for qr_id in dict.fromkeys(r.qr_id for r in records):
            if qr_id in self.records:
                doc = self.records[qr_id]
                doc.update(is_downloaded=True, downloaded_at=now,
                           download_count=doc.get("download_count", 0) + 1)
                doc.setdefault("events", []).append({"kind": "downloaded", "at": now,
                                                     "by": by})

    def mark_printed(self, records: list[QrRecord], by: str, layout: str) -> None:
        self._check()
        now = self.clock()
        for qr_id in dict.fromkeys(r.qr_id for r in records):
            if qr_id in self.records:
                doc = self.records[qr_id]
                doc.update(printed_at=now, print_count=doc.get("print_count", 0) + 1)
                doc.setdefault("events", []).append({"kind": "printed", "at": now, "by": by,
                                                     "layout": layout})

    def mark_used(self, qr_ids: list[str], used_by: str, reason: str) -> UsedOutcome:
        self._check()
        unknown = tuple(q for q in qr_ids if q not in self.records)
        if unknown:  # a wrong list marks nothing
            return UsedOutcome(unknown=unknown)
        marked, already, newly = [], [], Counter[str]()
        for qr_id in qr_ids:
            doc = self.records[qr_id]
            if doc.get("used"):
                already.append(qr_id)
            else:
                doc.update(used=True, used_at=self.clock(), used_by=used_by,
                           used_reason=reason)
                newly[doc["part_code"]] += 1
                marked.append(qr_id)
        counts = {}
        # As the adapter: each part's total and low-stock state change once per call.
        for code in dict.fromkeys(self.records[q]["part_code"] for q in qr_ids):
            part = self.parts.setdefault(code, {"part_code": code})
            before = stock_levels.level_of(part)
            if newly[code]:
                part["used_count"] = before.used + newly[code]
                self._transition(code, str(part.get("part_name") or ""), before,
                                 dataclasses.replace(before, used=before.used + newly[code]))
            counts[code] = int(part.get("used_count") or 0)
        return UsedOutcome(tuple(marked), tuple(already), (), counts)

    def unstored_ids(self, limit: int) -> list[str]:
        self._check()
        return [q for q, d in self.records.items() if not d.get("stored")][:limit]

    def delete_all(self) -> tuple[int, int]:
        self._check()
        removed = (len(self.records), len(self.parts))
        self.records.clear()
        self.parts.clear()
        return removed


def _qr_record(doc: dict[str, Any]) -> QrRecord:
    return QrRecord(qr_id=doc["qr_id"], part_code=doc["part_code"], part_name=doc["part_name"],
                    payload=doc["payload"], blob_key=doc["blob_key"],
                    stored=bool(doc.get("stored")), sha1=doc.get("sha1"),
                    is_downloaded=bool(doc.get("is_downloaded")),
                    download_count=int(doc.get("download_count") or 0),
                    print_count=int(doc.get("print_count") or 0), used=bool(doc.get("used")))


class FakeBlobStore:
    """qr.ports.BlobStore: files by key; `fail_puts` / `down` refuse with BlobStoreError."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}
        self.puts: list[str] = []
        self.fail_puts: set[str] = set()  # keys whose put fails
        self.down = False                 # every call fails

    def put(self, key: str, data: bytes, content_type: str) -> StoredBlob:
        self.puts.append(key)
        if self.down or key in self.fail_puts:
            raise BlobStoreError(f"could not store {key!r} (fake)")
        self.files[key] = data
        self.content_types[key] = content_type
        return StoredBlob(key, hashlib.sha1(data).hexdigest(), len(data))

    def get(self, key: str) -> bytes | None:
        if self.down:
            raise BlobStoreError(f"could not read {key!r} (fake)")
        return self.files.get(key)

    def delete_prefix(self, prefix: str) -> int:
        if not prefix:
            raise ValueError("refusing to delete every file: give a non-empty prefix")
        if self.down:
            raise BlobStoreError(f"could not delete under {prefix!r} (fake)")
        keys = list(self.iter_keys(prefix))
        for key in keys:
            del self.files[key]
        return len(keys)

    def iter_keys(self, prefix: str) -> Iterator[str]:
        return iter(sorted(k for k in self.files if k.startswith(prefix)))


class FakeStoreQueue:
    """qr.ports.StoreQueue: keeps each batch of ids; `down` refuses."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.down = False

    def enqueue(self, qr_ids: Iterable[str]) -> None:
        if self.down:
            raise RuntimeError("the store queue refused the batch (fake)")
        self.batches.append(list(qr_ids))


if TYPE_CHECKING:  # the fakes satisfy the Protocols (checked by mypy)
    from moderation.ports import (
        LocalImageClassifier,
        ObjectStore,
        QuotaLedger,
        RecheckQueue,
        RecheckStore,
        SafeSearchClassifier,
    )
    from qr.ports import BlobStore, QrRepository, StoreQueue

    _ledger: QuotaLedger = FakeLedger()
    _classifier: SafeSearchClassifier = FakeClassifier()
    _local: LocalImageClassifier = FakeLocalModel()
    _objects: ObjectStore = FakeObjectStore()
    _queue: RecheckQueue = FakeRecheckQueue()
    _store: RecheckStore = FakeRecheckStore(FakeLedger())
    _repository: QrRepository = FakeQrRepository()
    _blobs: BlobStore = FakeBlobStore()
    _store_queue: StoreQueue = FakeStoreQueue()
