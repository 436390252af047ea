"""Bounded Firestore calls for the quota ledger: transactions, optimistic commits, retries.

Two ways to change documents consistently, used for different documents:

- `BoundedTransaction`: the server SDK's transaction (reads lock the documents until the
  commit), with our timeout on every RPC and no SDK retry. Used where several documents
  must be read and written together and contention is rare (admin writes, re-dealing a
  month's caps, settling its count).
- `read_view` + `commit_unchanged`: an optimistic transaction, as Firestore's web and
  mobile SDKs run them. Read a consistent snapshot without locks, then commit the writes
  with a precondition that every document written is still as read (same update time, or
  still missing). A concurrent change makes the commit fail with `Conflict` at once, and
  the caller reads again. Used on the hot path (shards and jobs): on the emulator, locking
  transactions that collide wait out a 2 s lock timeout each, while a failed precondition
  costs one round trip.

Bounded failure: the SDK's own retry policies let BeginTransaction and Commit retry an
unreachable server for 60 s and reads for 300 s, longer than a function may wait. Every
RPC here carries an explicit timeout and no SDK retry; `with_retries` retries transient
errors within a short budget, then raises LedgerUnavailable.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_transaction import _EXCEED_ATTEMPTS_TEMPLATE
from google.cloud.firestore_v1.field_path import FieldPath

from moderation.ports import LedgerUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

_TRANSIENT = (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError,
              gexc.ResourceExhausted, gexc.RetryError)
# What a commit with preconditions raises when a document changed since it was read.
_CONFLICTS = (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.NotFound, gexc.Aborted)
_EXHAUSTED_PREFIX = _EXCEED_ATTEMPTS_TEMPLATE.split("{", 1)[0]
_BACKOFF_BASE_S = 0.25
_BACKOFF_CAP_S = 2.0


class Conflict(Exception):
    """An optimistic commit lost: a document it writes changed since it was read."""


class BoundedTransaction(firestore.Transaction):
    """A Transaction whose begin/commit/rollback RPCs carry our timeout and no SDK retry.

    `firestore.transactional` calls these three methods and offers no way to pass retry or
    timeout to them; the bodies follow google-cloud-firestore 2.34's own (re-check them when
    that pin moves: the contention and dead-port tests would catch a break).
    """

    def __init__(self, client: firestore.Client, max_attempts: int, timeout_s: float,
                 deadline: float | None = None) -> None:
        super().__init__(client, max_attempts=max_attempts)
        self._rpc_timeout_s = timeout_s
        self._deadline = deadline
        self._retries = 0

    @property
    def timeout_s(self) -> float:
        """Each RPC's timeout: ours, cut short by the caller's deadline."""
        if self._deadline is None:
            return self._rpc_timeout_s
        return max(0.2, min(self._rpc_timeout_s, self._deadline - time.monotonic()))

    def _begin(self, retry_id: bytes | None = None) -> None:
        if self.in_progress:
            raise ValueError("transaction already begun")
        if retry_id is not None and self._deadline is not None \
                and time.monotonic() >= self._deadline:
            raise LedgerUnavailable("The quota ledger is too busy right now (contention).")
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
            metadata=self._client._rpc_metadata, retry=None, timeout=self.timeout_s)
        self._id = response.transaction

    def _commit(self) -> list:
        if not self.in_progress:
            raise ValueError("no transaction in progress")
        response = self._client._firestore_api.commit(
            request={"database": self._client._database_string,
                     "writes": self._write_pbs, "transaction": self._id},
            metadata=self._client._rpc_metadata, retry=None, timeout=self.timeout_s)
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
                metadata=self._client._rpc_metadata, retry=None, timeout=self.timeout_s)
        except gexc.GoogleAPICallError as err:
            log.debug("rollback failed: %s", type(err).__name__)
        finally:
            self._clean_up()


@dataclass(frozen=True)
class Doc:
    """One document as read: its data (None when missing) and its update time."""

    ref: firestore.DocumentReference
    data: dict[str, Any] | None
    update_time: datetime | None

    @property
    def exists(self) -> bool:
        return self.data is not None


class FirestoreCalls:
    """The ledger's access to Firestore, every call bounded in time."""

    def __init__(self, client: firestore.Client, *, rpc_timeout_s: float,
                 unavailable_budget_s: float, max_attempts: int) -> None:
        if rpc_timeout_s <= 0 or unavailable_budget_s < 0 or max_attempts < 1:
            raise ValueError("rpc_timeout_s must be positive, max_attempts >= 1")
        self.db = client
        self.rpc_timeout_s = rpc_timeout_s
        self.unavailable_budget_s = unavailable_budget_s
        self.max_attempts = max_attempts

    # -- reads ------------------------------------------------------------------------------

    def read(self, refs: Sequence[firestore.DocumentReference],
             tx: firestore.Transaction | None = None, *, timeout: float | None = None
             ) -> list[Doc]:
        """The documents in the order of `refs`, from one consistent snapshot (one RPC)."""
        if timeout is None:
            # Inside a transaction, its own (deadline-cut) timeout applies to reads too.
            timeout = getattr(tx, "timeout_s", None) or self.rpc_timeout_s
        found = {snap.reference.path: snap
                 for snap in self.db.get_all(list(refs), transaction=tx, retry=None,
                                             timeout=timeout)}
        docs = []
        for ref in refs:
            snap = found.get(ref.path)
            if snap is not None and snap.exists:
                docs.append(Doc(ref, snap.to_dict(), snap.update_time))
            else:
                docs.append(Doc(ref, None, None))
        return docs

    def read_view(self, refs: Sequence[firestore.DocumentReference], *,
                  deadline: float | None = None) -> list[Doc]:
        return self.with_retries(lambda timeout: self.read(refs, timeout=timeout), deadline)

    # -- optimistic commits ---------------------------------------------------------------

    def commit_unchanged(self, writes: Sequence[tuple[Doc, dict[str, Any] | None]], *,
                         deadline: float | None = None) -> None:
        """Apply `writes` atomically if none of their documents changed since read.

        Each write is (document as read, new fields): a missing document is created, an
        existing one has the fields merged in (dotted keys are not field paths here), and
        None deletes it. Raises Conflict when any precondition fails.
        """
        batch = self.db.batch()
        for doc, fields in writes:
            if fields is None:
                if doc.exists:
                    batch.delete(doc.ref, option=self.db.write_option(
                        last_update_time=doc.update_time))
            elif not doc.exists:
                batch.create(doc.ref, fields)
            else:
                batch.update(doc.ref, {FieldPath(k).to_api_repr(): v
                                       for k, v in fields.items()},
                             option=self.db.write_option(last_update_time=doc.update_time))

        def commit(timeout: float) -> None:
            try:
                batch.commit(retry=None, timeout=timeout)
            except _CONFLICTS as err:
                raise Conflict(type(err).__name__) from err

        self.with_retries(commit, deadline)

    def create_all(self, docs: Sequence[tuple[firestore.DocumentReference, dict[str, Any]]],
                   *, deadline: float | None = None) -> bool:
        """Create every document in one atomic batch; False if any of them already exists
        (someone else created them first: creation is race-free)."""
        batch = self.db.batch()
        for ref, fields in docs:
            batch.create(ref, fields)

        def commit(timeout: float) -> bool:
            try:
                batch.commit(retry=None, timeout=timeout)
            except (gexc.AlreadyExists, gexc.Aborted, gexc.FailedPrecondition):
                return False
            return True

        return self.with_retries(commit, deadline)

    # -- locking transactions ---------------------------------------------------------------

    def transaction(self, body: Callable[[firestore.Transaction], T], *,
                    max_attempts: int | None = None, deadline: float | None = None) -> T:
        attempts = max_attempts or self.max_attempts
        run = firestore.transactional(body)
        aborted_reads = 0
        while True:
            tx = BoundedTransaction(self.db, attempts, self.rpc_timeout_s, deadline)

            def attempt(_timeout: float, tx: BoundedTransaction = tx) -> T:
                return run(tx)

            try:
                return self.with_retries(attempt, deadline)
            except gexc.Aborted as err:
                # The SDK retries an aborted commit; an aborted read ends up here.
                aborted_reads += 1
                if aborted_reads >= attempts or (deadline is not None
                                                 and time.monotonic() >= deadline):
                    raise LedgerUnavailable("The quota ledger is too busy right now.") from err

    # -- retries ----------------------------------------------------------------------------

    def _timeout(self, deadline: float | None) -> float:
        """The RPC timeout: ours, cut short by the caller's deadline (never below 0.2 s)."""
        if deadline is None:
            return self.rpc_timeout_s
        return max(0.2, min(self.rpc_timeout_s, deadline - time.monotonic()))

    def with_retries(self, call: Callable[[float], T], deadline: float | None = None) -> T:
        """Run `call(timeout)`, retrying transient errors for a few seconds (and never past
        `deadline`); anything that still fails becomes LedgerUnavailable (no SDK error
        reaches the core)."""
        budget_end = time.monotonic() + self.unavailable_budget_s
        if deadline is not None:
            budget_end = min(budget_end, deadline)
        delay = 0.1
        while True:
            try:
                return call(self._timeout(deadline))
            except gexc.Aborted:
                raise
            except _TRANSIENT as err:
                if time.monotonic() + delay > budget_end:
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
