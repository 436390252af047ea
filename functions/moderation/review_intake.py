"""The machine's side of the review queue: what the storage trigger and the re-check hand a
person (moderation/review.py says which outcomes), and how a later Vision verdict takes an
image out of the queue without ever overriding a person's decision."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from errors import StoreUnavailable
from moderation.ports import Location, ReviewQueue
from moderation.review import ReviewItem, review_cause, scores_of

log = logging.getLogger(__name__)


class ReviewIntake:
    def __init__(self, queue: ReviewQueue, quarantine_prefix: str,
                 clock: Callable[[], datetime]) -> None:
        self._queue = queue
        self._quarantine = quarantine_prefix
        self._clock = clock

    def after_outcome(self, key: str, description: dict[str, Any], result: dict[str, Any],
                      location: Location | None) -> bool:
        """Queue the image if its outcome needs a person (refreshing it if it is queued).
        Never raises: the outcome is applied already, and the image stays where the
        outcome put it until a person or a re-check decides it. True when queued."""
        status = str(result.get("status") or "")
        cause = review_cause(status, location.name if location else None, self._quarantine)
        if cause is None or location is None:
            return False
        item = ReviewItem(
            key=key, bucket=str(description.get("bucket") or ""),
            name=str(description.get("name") or ""),
            generation=str(description.get("generation") or ""),
            location={"name": location.name, "generation": location.generation},
            cause=cause, reason=result.get("cause") or result.get("verdictBy"),
            status=status, uploader_uid=description.get("uploaderUid"),
            entered_at=self._clock(), scores=scores_of(result), first_result=result,
            latest_result=result)
        try:
            self._queue.enter(item)
        except StoreUnavailable as err:
            log.error("could not queue gs://%s/%s for review: %s", item.bucket, item.name, err)
            return False
        return True

    def machine_may_settle(self, key: str, result: dict[str, Any]) -> bool:
        """A Vision verdict is about to be applied: take the image out of the queue, unless
        a person decided it (or is deciding it), whose decision stands. Raises
        StoreUnavailable (the re-check is retried later)."""
        return self._queue.settle(key, result)
