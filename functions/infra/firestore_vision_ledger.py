"""The Vision quota ledger in Firestore: a hard monthly budget, counted once per job.

Documents:
  vision_api_quota/{YYYY_MM}  monthKey, usageCount, limit, lastUpdated, epoch, resetCount,
                              alertsSent (+ lastResetAt, usageBeforeReset after a reset)
  system_config/vision_api    VisionSettings.to_document() fields (absent -> defaults)
  admin_actions/{id}          action, adminUid, adminEmail, before, after, at
  admin_notifications/{id}    kind "vision_quota", level, monthKey, usage, limit, at, read
  <job path>                  state reserved|done, units, monthKey, epoch, leaseUntil,
                              leaseOwner, reservedAt, deliveries, result, completedAt, ...

Every decision is made inside one transaction that reads the settings, the month and the
job, so the count can never pass the limit and a redelivered job is never counted twice.

Bounded failure: the SDK's own retry policies let BeginTransaction and Commit retry an
unreachable server for 60 s and reads for 300 s, longer than a function may wait. Every RPC
here carries an explicit timeout and no SDK retry; this module retries transient errors
itself within a short budget, then raises LedgerUnavailable.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_transaction import _EXCEED_ATTEMPTS_TEMPLATE

from identity import Caller
from moderation.admin import AdminChange
from moderation.ports import Begin, LedgerUnavailable
from moderation.quota import crossed_levels, decide, month_key
from moderation.settings import VisionSettings

log = logging.getLogger(__name__)

QUOTA_COLLECTION = "vision_api_quota"
CONFIG_COLLECTION = "system_config"
CONFIG_DOCUMENT = "vision_api"
ACTIONS_COLLECTION = "admin_actions"
NOTIFICATIONS_COLLECTION = "admin_notifications"

_TRANSIENT = (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError,
              gexc.ResourceExhausted, gexc.RetryError)
_BACKOFF_BASE_S = 0.25
_BACKOFF_CAP_S = 2.0
_EXHAUSTED_PREFIX = _EXCEED_ATTEMPTS_TEMPLATE.split("{", 1)[0]

T = TypeVar("T")


class _BoundedTransaction(firestore.Transaction):
    """A Transaction whose begin/commit/rollback RPCs carry our timeout and no SDK retry.

    `firestore.transactional` calls these three methods and offers no way to pass retry or
    timeout to them; the bodies follow google-cloud-firestore 2.34's own.
    """

    def __init__(self, client: firestore.Client, max_attempts: int, timeout_s: float) -> None:
        super().__init__(client, max_attempts=max_attempts)
        self._timeout_s = timeout_s
        self._retries = 0

    def _begin(self, retry_id: bytes | None = None) -> None:
        if self.in_progress:
            raise ValueError("transaction already begun")
        if retry_id is not None:
            # The SDK retries an aborted commit at once; contenders aborted together would
            # then collide again (on the emulator every round costs its 2 s lock timeout).
            # Full jitter spreads them out, so most rounds let one through.
            self._retries += 1
            time.sleep(random.uniform(0, min(_BACKOFF_CAP_S,
                                             _BACKOFF_BASE_S * 2 ** self._retries)))
        response = self._client._firestore_api.begin_transaction(
            request={"database": self._client._database_string,
                     "options": self._options_protobuf(retry_id)},
            metadata=self._client._rpc_metadata, retry=None, timeout=self._timeout_s)
        self._id = response.transaction

    def _commit(self) -> list:
        if not self.in_progress:
            raise ValueError("no transaction in progress")
        response = self._client._firestore_api.commit(
            request={"database": self._client._database_string,
                     "writes": self._write_pbs, "transaction": self._id},
            metadata=self._client._rpc_metadata, retry=None, timeout=self._timeout_s)
        self._clean_up()
        self.write_results = list(response.write_results)
        self.commit_time = response.commit_time
        return self.write_results

    def _rollback(self) -> None:
        # Called on every failure, also when begin itself failed: then there is nothing to
        # roll back, and a failing rollback must not hide the error that caused it (the
        # server drops an abandoned transaction on its own).
        if not self.in_progress:
            self._clean_up()
            return
        try:
            self._client._firestore_api.rollback(
                request={"database": self._client._database_string,
                         "transaction": self._id},
                metadata=self._client._rpc_metadata, retry=None, timeout=self._timeout_s)
        except gexc.GoogleAPICallError as err:
            log.debug("rollback failed: %s", type(err).__name__)
        finally:
            self._clean_up()


@dataclass(frozen=True)
class _Plan:
    """What one admin write does: fields for system_config, fields merged into the current
    month document (None: leave it), and the audit record's before/after."""

    config: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]
    month: dict[str, Any] | None = None


class FirestoreVisionLedger:
    def __init__(self, client: firestore.Client, defaults: VisionSettings, tz: ZoneInfo,
                 clock: Callable[[], datetime], lease_s: float = 120.0,
                 max_attempts: int = 30, *, rpc_timeout_s: float = 10.0,
                 unavailable_budget_s: float = 5.0) -> None:
        if lease_s <= 0 or max_attempts < 1 or rpc_timeout_s <= 0:
            raise ValueError("lease_s and rpc_timeout_s must be positive, max_attempts >= 1")
        self._db = client
        self._defaults = defaults
        self._tz = tz
        self._clock = clock
        self._lease = timedelta(seconds=lease_s)
        self._max_attempts = max_attempts
        self._rpc_timeout_s = rpc_timeout_s
        self._unavailable_budget_s = unavailable_budget_s

    # -- references ---------------------------------------------------------------------

    def _config_ref(self) -> firestore.DocumentReference:
        return self._db.collection(CONFIG_COLLECTION).document(CONFIG_DOCUMENT)

    def _month_ref(self, key: str) -> firestore.DocumentReference:
        return self._db.collection(QUOTA_COLLECTION).document(key)

    # -- reservation --------------------------------------------------------------------

    def begin(self, job_path: str, units: int, fields: dict[str, Any]) -> Begin:
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError("units must be a positive whole number")
        job_ref = self._db.document(job_path)
        # Identifies this call: if a commit succeeded but its reply was lost, the retried
        # transaction finds the job reserved by itself and must not answer "busy".
        owner = uuid.uuid4().hex

        def body(tx: firestore.Transaction) -> Begin:
            now = self._clock()
            key = month_key(now, self._tz)
            month_ref = self._month_ref(key)
            cfg, month, job = self._read(tx, [self._config_ref(), month_ref, job_ref])
            settings = VisionSettings.from_document(cfg, self._defaults)
            usage = _int(month, "usageCount")
            limit = settings.monthly_limit

            def outcome(kind: str, after: int = usage, prior: Any = None) -> Begin:
                return Begin(kind, settings, key, after, limit, prior)  # type: ignore[arg-type]

            if job is not None and job.get("state") == "done":
                return outcome("done", prior=job.get("result") or {})
            if job is not None and job.get("state") == "reserved":
                if job.get("leaseOwner") == owner:
                    return outcome("reserved")
                lease_until = job.get("leaseUntil")
                if isinstance(lease_until, datetime) and lease_until > now:
                    return outcome("busy")
                # The earlier delivery died holding the lease: its units are already
                # counted, so take the job over without reserving again.
                tx.update(job_ref, {
                    "leaseUntil": now + self._lease, "leaseOwner": owner,
                    "deliveries": _int(job, "deliveries") + 1, "lastDeliveryAt": now,
                })
                return outcome("reserved")
            decision = decide(settings, usage, units)
            if decision != "reserved":
                return outcome(decision)
            if month is None:
                tx.set(month_ref, _new_month(key, units, limit, now))
            else:
                tx.update(month_ref, {"usageCount": usage + units, "limit": limit,
                                      "lastUpdated": now})
            tx.set(job_ref, {
                **fields,
                "state": "reserved", "units": units, "monthKey": key,
                "epoch": _int(month, "epoch"), "leaseUntil": now + self._lease,
                "leaseOwner": owner, "reservedAt": now, "deliveries": 1,
            })
            return outcome("reserved", after=usage + units)

        return self._transaction(body)

    def complete(self, job_path: str, result: dict[str, Any], *, release: bool,
                 fields: dict[str, Any] | None = None) -> None:
        """Record the job's result; with `release`, give its reserved units back (once).
        `fields` describe a job that had no reservation (begin wrote them otherwise)."""
        job_ref = self._db.document(job_path)

        def body(tx: firestore.Transaction) -> None:
            now = self._clock()
            (job,) = self._read(tx, [job_ref])
            if job is None:
                # A fallback outcome decided without a reservation: remember it, so a
                # redelivery of the same job is recognised as done.
                tx.set(job_ref, {**(fields or {}), "state": "done", "units": 0, "deliveries": 1,
                                 "monthKey": month_key(now, self._tz), "result": result,
                                 "completedAt": now})
                return
            if job.get("state") == "done":
                return
            released = self._release(tx, job, now) if release else 0
            tx.update(job_ref, {"state": "done", "result": result, "completedAt": now,
                                "releasedUnits": released})

        self._transaction(body)

    def abandon(self, job_path: str) -> None:
        """Give a reserved job's units back and delete the job: there is nothing to keep."""
        job_ref = self._db.document(job_path)

        def body(tx: firestore.Transaction) -> None:
            (job,) = self._read(tx, [job_ref])
            if job is None or job.get("state") != "reserved":
                return
            self._release(tx, job, self._clock())
            tx.delete(job_ref)

        self._transaction(body)

    def _release(self, tx: firestore.Transaction, job: dict[str, Any], now: datetime) -> int:
        """Give the job's units back to the month they were counted in, unless an admin
        reset that month since (another epoch): the reset already zeroed them. Reads the
        month document, so call it before this transaction's first write."""
        units = _int(job, "units")
        key = job.get("monthKey")
        if units <= 0 or not isinstance(key, str):
            return 0
        month_ref = self._month_ref(key)
        (month,) = self._read(tx, [month_ref])
        if month is None or _int(month, "epoch") != _int(job, "epoch"):
            return 0
        usage = _int(month, "usageCount")
        given_back = min(units, usage)
        tx.update(month_ref, {"usageCount": usage - given_back, "lastUpdated": now})
        return given_back

    # -- reads --------------------------------------------------------------------------

    def read_settings(self) -> VisionSettings:
        def read() -> VisionSettings:
            snap = self._config_ref().get(retry=None, timeout=self._rpc_timeout_s)
            return VisionSettings.from_document(snap.to_dict() if snap.exists else None,
                                                self._defaults)

        return self._with_retries(read)

    def month_usage(self, month_key: str) -> tuple[int, int, list[int]]:
        """(usageCount, limit, alertsSent) of a month; a month without a document has used
        nothing and has the current settings' limit."""
        month_ref = self._month_ref(month_key)

        def read() -> tuple[int, int, list[int]]:
            month, cfg = self._read(None, [month_ref, self._config_ref()])
            if month is None:
                return 0, VisionSettings.from_document(cfg, self._defaults).monthly_limit, []
            alerts = [a for a in month.get("alertsSent") or [] if isinstance(a, int)]
            return _int(month, "usageCount"), _int(month, "limit"), alerts

        return self._with_retries(read)

    # -- admin writes -------------------------------------------------------------------

    def set_enabled(self, caller: Caller, enabled: bool) -> AdminChange:
        return self._admin_write(caller, "set_vision_enabled", lambda s, _m, _k, _n: _Plan(
            config={"enabled": enabled},
            before={"enabled": s.enabled}, after={"enabled": enabled}))

    def set_fallback_strategy(self, caller: Caller, strategy: str) -> AdminChange:
        return self._admin_write(caller, "set_vision_fallback_strategy",
                                 lambda s, _m, _k, _n: _Plan(
                                     config={"fallbackStrategy": strategy},
                                     before={"fallbackStrategy": s.fallback_strategy},
                                     after={"fallbackStrategy": strategy}))

    def set_monthly_limit(self, caller: Caller, limit: int) -> AdminChange:
        def plan(s: VisionSettings, month: dict | None, key: str, now: datetime) -> _Plan:
            return _Plan(
                config={"monthlyLimit": limit},
                before={"monthlyLimit": s.monthly_limit}, after={"monthlyLimit": limit},
                # A month not started yet gets its document on its first reservation.
                month={"limit": limit, "lastUpdated": now} if month is not None else None)

        return self._admin_write(caller, "set_vision_monthly_limit", plan)

    def reset_month(self, caller: Caller) -> AdminChange:
        def plan(s: VisionSettings, month: dict | None, key: str, now: datetime) -> _Plan:
            usage = _int(month, "usageCount")
            epoch = _int(month, "epoch") + 1
            fields = {
                "usageCount": 0, "epoch": epoch, "resetCount": _int(month, "resetCount") + 1,
                "lastResetAt": now, "usageBeforeReset": usage, "lastUpdated": now,
                # Levels are announced again as the new count climbs.
                "alertsSent": [],
            }
            if month is None:
                fields |= {"monthKey": key, "limit": s.monthly_limit}
            return _Plan(config={},
                         before={"monthKey": key, "usageCount": usage, "epoch": epoch - 1},
                         after={"monthKey": key, "usageCount": 0, "epoch": epoch},
                         month=fields)

        return self._admin_write(caller, "reset_vision_quota", plan)

    def _admin_write(self, caller: Caller,
                     action: str,
                     plan: Callable[[VisionSettings, dict | None, str, datetime], _Plan]
                     ) -> AdminChange:
        """One transaction: settings (updatedAt/By), optionally the month, and the audit
        record. The audit id is fixed before the first attempt, so a retried call whose
        first commit did land is recognised and not applied twice."""
        audit_ref = self._db.collection(ACTIONS_COLLECTION).document()

        def body(tx: firestore.Transaction) -> AdminChange:
            now = self._clock()
            key = month_key(now, self._tz)
            month_ref = self._month_ref(key)
            done, cfg, month = self._read(tx, [audit_ref, self._config_ref(), month_ref])
            if done is not None:
                return AdminChange(done.get("before") or {}, done.get("after") or {})
            settings = VisionSettings.from_document(cfg, self._defaults)
            step = plan(settings, month, key, now)
            tx.set(self._config_ref(),
                   {**step.config, "updatedAt": now, "updatedBy": caller.uid}, merge=True)
            if step.month is not None:
                tx.set(month_ref, step.month, merge=True)
            record: dict[str, Any] = {"action": action, "adminUid": caller.uid,
                                      "before": step.before, "after": step.after, "at": now}
            if caller.email:
                record["adminEmail"] = caller.email
            tx.create(audit_ref, record)
            return AdminChange(step.before, step.after)

        return self._transaction(body)

    # -- alerts -------------------------------------------------------------------------

    def record_alerts(self, now: datetime) -> list[int]:
        """Announce each usage level (80/95/100 % of the limit) once per month and epoch."""
        key = month_key(now, self._tz)
        month_ref = self._month_ref(key)

        def body(tx: firestore.Transaction) -> list[int]:
            month, cfg = self._read(tx, [month_ref, self._config_ref()])
            if month is None:
                return []
            usage = _int(month, "usageCount")
            limit = VisionSettings.from_document(cfg, self._defaults).monthly_limit
            sent = [a for a in month.get("alertsSent") or [] if isinstance(a, int)]
            levels = crossed_levels(usage, limit, sent)
            if not levels:
                return []
            tx.update(month_ref, {"alertsSent": sorted(set(sent) | set(levels))})
            for level in levels:
                tx.set(self._db.collection(NOTIFICATIONS_COLLECTION).document(), {
                    "kind": "vision_quota", "level": level, "monthKey": key, "usage": usage,
                    "limit": limit, "at": now, "read": False,
                })
            return levels

        return self._transaction(body)

    # -- plumbing -----------------------------------------------------------------------

    def _read(self, tx: firestore.Transaction | None,
              refs: list[firestore.DocumentReference]) -> list[dict[str, Any] | None]:
        """The documents' data in the order of `refs` (None when missing), in one RPC."""
        found = {snap.reference.path: snap.to_dict() if snap.exists else None
                 for snap in self._db.get_all(refs, transaction=tx, retry=None,
                                              timeout=self._rpc_timeout_s)}
        return [found.get(ref.path) for ref in refs]

    def _transaction(self, body: Callable[[firestore.Transaction], T]) -> T:
        run = firestore.transactional(body)
        aborted_reads = 0
        while True:
            tx = _BoundedTransaction(self._db, self._max_attempts, self._rpc_timeout_s)
            try:
                return self._with_retries(lambda tx=tx: run(tx))
            except gexc.Aborted as err:
                # The SDK retries an aborted commit; an aborted read ends up here.
                aborted_reads += 1
                if aborted_reads >= self._max_attempts:
                    raise LedgerUnavailable("The quota ledger is too busy right now.") from err

    def _with_retries(self, call: Callable[[], T]) -> T:
        """Run `call`, retrying transient errors for a few seconds; anything that still
        fails becomes LedgerUnavailable (no SDK error reaches the core)."""
        deadline = time.monotonic() + self._unavailable_budget_s
        delay = 0.1
        while True:
            try:
                return call()
            except gexc.Aborted:
                raise
            except _TRANSIENT as err:
                if time.monotonic() + delay > deadline:
                    raise LedgerUnavailable(
                        f"The quota ledger is unreachable ({type(err).__name__}).") from err
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            except gexc.GoogleAPICallError as err:
                raise LedgerUnavailable(
                    f"The quota ledger refused the request ({type(err).__name__}).") from err
            except ValueError as err:
                if str(err).startswith(_EXHAUSTED_PREFIX):
                    raise LedgerUnavailable(
                        "The quota ledger is too busy right now (contention).") from err
                raise


def _int(doc: dict[str, Any] | None, name: str) -> int:
    """An integer field of a stored document; missing or unreadable counts as 0."""
    value = (doc or {}).get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _new_month(key: str, usage: int, limit: int, now: datetime) -> dict[str, Any]:
    return {"monthKey": key, "usageCount": usage, "limit": limit, "lastUpdated": now,
            "createdAt": now, "epoch": 0, "resetCount": 0, "alertsSent": []}

