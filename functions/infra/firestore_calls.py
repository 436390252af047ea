"""Bounded Firestore calls: optimistic transactions, atomic creates, bounded retries.

Every change that must be consistent is an optimistic transaction, as Firestore's web and
mobile SDKs run them: read a consistent snapshot without locks (`read_view`), then commit
the writes in one atomic batch whose every write is conditional on its document being as
read (same update time, or still missing) (`commit_unchanged`). A concurrent change makes
the commit fail at once with `Conflict`, and the caller reads again; `optimistic` wraps
that loop. The server SDK's locking transactions are not used: a transaction that reads a
hot document makes every writer of that document queue behind it (on the emulator such
queues end in 2 s lock timeouts), and bounding their RPCs needs the SDK's private
Transaction methods, while a batch commit takes a timeout and a retry policy publicly.

Bounded failure: the SDK's own retry policies retry an unreachable server for 60-300 s,
longer than a function may wait. Every RPC here carries an explicit timeout and no SDK
retry; `with_retries` retries transient errors within a short budget (and never past the
caller's deadline), then raises errors.StoreUnavailable (StoreBusy for lost races), the one
store error every feature answers with 503 / UNAVAILABLE.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from errors import StoreBusy, StoreUnavailable
from infra.deadlines import cut_to_request

log = logging.getLogger(__name__)

T = TypeVar("T")

_TRANSIENT = (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError,
              gexc.ResourceExhausted, gexc.RetryError)
# What a commit with preconditions raises when a document changed since it was read.
_CONFLICTS = (gexc.FailedPrecondition, gexc.AlreadyExists, gexc.NotFound, gexc.Aborted)
# Retries of a lost optimistic commit: a short, growing, random pause.
_BACKOFF_BASE_S = 0.02
_BACKOFF_CAP_S = 0.5


# A write of an optimistic transaction: the document as read, and its new fields (None
# deletes it).
Write = tuple["Doc", dict[str, Any] | None]


class Conflict(Exception):
    """An optimistic commit lost: a document it writes changed since it was read."""


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
    """Every adapter's access to Firestore, every call bounded in time."""

    def __init__(self, client: firestore.Client, *, rpc_timeout_s: float,
                 unavailable_budget_s: float, max_attempts: int) -> None:
        if rpc_timeout_s <= 0 or unavailable_budget_s < 0 or max_attempts < 1:
            raise ValueError("rpc_timeout_s must be positive, max_attempts >= 1")
        self.db = client
        self.rpc_timeout_s = rpc_timeout_s
        self.unavailable_budget_s = unavailable_budget_s
        self.max_attempts = max_attempts

    # -- reads ------------------------------------------------------------------------------

    def read(self, refs: Sequence[firestore.DocumentReference], *,
             timeout: float | None = None) -> list[Doc]:
        """The documents in the order of `refs`, from one consistent snapshot (one RPC)."""
        found = {snap.reference.path: snap
                 for snap in self.db.get_all(list(refs), retry=None,
                                             timeout=timeout or self.rpc_timeout_s)}
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

    def query(self, query: Any, *, deadline: float | None = None) -> list[Any]:
        """Every document snapshot a query returns (keep queries limited)."""
        return self.with_retries(
            lambda timeout: list(query.stream(retry=None, timeout=timeout)), deadline)

    def stream(self, query: Any, *, first_page: int, stream_timeout_s: float,
               resumes: int = 3) -> Iterator[Any]:
        """The documents of `query` (ordered by document id) one by one as they arrive, for
        reads too large for one bounded RPC (an export). The first page is an ordinary
        bounded read, so an unreachable database fails within the usual budget; the rest
        is one streamed read, which resumes after the last document it gave when it
        breaks (Firestore ends a stream that runs too long). Paging with start_after for
        every page instead costs the emulator a scan per page (50,000 documents: 25 s
        against 8 s in one stream)."""
        page = self.query(query.limit(first_page))
        yield from page
        if len(page) < first_page:
            return
        last, breaks = page[-1], 0
        while True:
            try:
                for snap in query.start_after(last).stream(retry=None,
                                                            timeout=stream_timeout_s):
                    yield snap
                    last = snap
                return
            except _TRANSIENT as err:
                breaks += 1
                if breaks > resumes:
                    raise StoreUnavailable(
                        detail=f"Firestore stream broke {breaks} times "
                               f"({type(err).__name__}).") from err
                log.warning("a streamed read broke (%s); resuming after %s",
                            type(err).__name__, last.id)
            except gexc.GoogleAPICallError as err:
                raise StoreUnavailable(
                    detail=f"Firestore refused the request ({type(err).__name__}).") from err

    # -- optimistic commits ---------------------------------------------------------------

    def commit_unchanged(self, writes: Sequence[Write], *,
                         must_exist: Sequence[tuple[firestore.DocumentReference,
                                                    dict[str, Any]]] = (),
                         deadline: float | None = None) -> None:
        """Apply `writes` atomically if none of their documents changed since read.

        Each write is (document as read, new fields): a missing document is created, an
        existing one has the fields merged in (dotted keys are not field paths here), and
        None deletes it. `must_exist`: documents updated (with these fields) on the only
        condition that they still exist, whoever else wrote them meanwhile. Raises Conflict
        when any precondition fails.
        """
        batch = self.db.batch()
        for ref, touch in must_exist:
            batch.update(ref, touch)  # the update's own precondition: the document exists
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

    def delete_all(self, refs: Sequence[firestore.DocumentReference], *,
                   deadline: float | None = None) -> None:
        """Delete the documents in one atomic batch (missing ones are no error)."""
        batch = self.db.batch()
        for ref in refs:
            batch.delete(ref)
        self.with_retries(lambda timeout: batch.commit(retry=None, timeout=timeout), deadline)

    def optimistic(self, refs: Sequence[firestore.DocumentReference],
                   plan: Callable[[list[Doc]], tuple[Sequence[Write], T]], *,
                   deadline: float | None = None) -> T:
        """An optimistic transaction: read `refs` in one snapshot, let `plan` decide the
        writes (and the result), commit them on condition that none of their documents
        changed, and start over from the read when one did."""
        deadline = cut_to_request(deadline if deadline is not None else
                        time.monotonic() + self.unavailable_budget_s)
        assert deadline is not None
        for attempt in range(self.max_attempts):
            docs = self.read_view(refs, deadline=deadline)
            writes, result = plan(docs)
            if not writes:
                return result
            try:
                self.commit_unchanged(writes, deadline=deadline)
                return result
            except Conflict:
                if time.monotonic() >= deadline:
                    break
                time.sleep(random.uniform(0, min(_BACKOFF_CAP_S,
                                                 _BACKOFF_BASE_S * 2 ** attempt)))
        raise StoreBusy(detail=f"Firestore: optimistic commits kept losing ({self.max_attempts} "
                               "tries or the deadline).")

    # -- retries ----------------------------------------------------------------------------

    def _timeout(self, end: float | None) -> float:
        """The RPC timeout: ours, cut short by `end` (never below 0.2 s)."""
        if end is None:
            return self.rpc_timeout_s
        return max(0.2, min(self.rpc_timeout_s, end - time.monotonic()))

    def with_retries(self, call: Callable[[float], T], deadline: float | None = None) -> T:
        """Run `call(timeout)`, retrying transient errors for a few seconds (and never past
        `deadline`); anything that still fails becomes StoreUnavailable (no SDK error
        reaches the core). The first attempt has the full RPC timeout (cut by `deadline`),
        a retry only what is left of the budget: an unreachable server costs at most
        max(rpc_timeout_s, unavailable_budget_s), not their sum."""
        deadline = cut_to_request(deadline)
        if deadline is not None and time.monotonic() >= deadline:
            raise StoreUnavailable(detail="Firestore: the request's time for the database "
                                          "is used up.")
        budget_end = time.monotonic() + self.unavailable_budget_s
        if deadline is not None:
            budget_end = min(budget_end, deadline)
        delay = 0.1
        end = deadline
        while True:
            try:
                return call(self._timeout(end))
            except _TRANSIENT as err:
                if time.monotonic() + delay > budget_end:
                    raise StoreUnavailable(
                        detail=f"Firestore is unreachable ({type(err).__name__}).") from err
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                end = budget_end
            except gexc.GoogleAPICallError as err:
                raise StoreUnavailable(
                    detail=f"Firestore refused the request ({type(err).__name__}).") from err
