"""Appeals: the uploader of an image that was rejected, quarantined or left for review asks
a person to look at it (`appeal_moderation` {path, explanation}), once per image.

The appeal puts the image first in the review queue (bringing it in if it was not queued,
as a rejection kept in place is not), and shows in the uploader's own record
(`image_moderation/{key}` and `image_verdicts/{uid}/objects/...`: `appeal`), written in the
same commit as the queue. The moderators hear of new appeals through an admin notification,
at most one an hour.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from errors import FailedPrecondition, NotFound, StoreUnavailable
from identity import Caller, require_signed_in
from messages import Msg
from moderation.ports import Notices, ReviewQueue, ReviewRecords
from moderation.review import (
    APPEAL_PRIORITY,
    ReviewItem,
    parse_appeal,
    review_cause,
    scores_of,
)

log = logging.getLogger(__name__)

APPEAL_NOTICE_KIND = "review_appeal"
_APPEALABLE = ("rejected", "needs_review")


class Appeals:
    def __init__(self, *, queue: ReviewQueue, records: ReviewRecords, notices: Notices,
                 quarantine_prefix: str, clock: Callable[[], datetime]) -> None:
        self._queue = queue
        self._records = records
        self._notices = notices
        self._quarantine = quarantine_prefix
        self._clock = clock

    def appeal(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        uid = require_signed_in(caller).uid
        path, explanation = parse_appeal(data)
        verdict = self._records.uploader_verdict(uid, path)
        if verdict is None or verdict.get("uploaderUid") != uid \
                or not isinstance(verdict.get("recordKey"), str):
            raise NotFound(Msg("review.appeal.not_found"))
        status = str(verdict.get("status") or "")
        if status not in _APPEALABLE:
            raise FailedPrecondition(Msg("review.appeal.not_appealable", status=status))
        where = verdict.get("location")
        cause = review_cause(status, where.get("name") if isinstance(where, dict) else None,
                             self._quarantine)
        if cause is None or not isinstance(where, dict):
            raise FailedPrecondition(Msg("review.appeal.deleted"))
        now = self._clock()
        found = verdict.get("result")
        result: dict[str, Any] = found if isinstance(found, dict) else {}
        item = ReviewItem(
            key=verdict["recordKey"], bucket=str(verdict.get("bucket") or ""), name=path,
            generation=str(verdict.get("generation") or ""),
            location={"name": str(where.get("name")),
                      "generation": str(where.get("generation"))},
            cause=cause, reason=result.get("cause") or result.get("verdictBy"),
            status=status, uploader_uid=uid, entered_at=now, priority=APPEAL_PRIORITY,
            scores=scores_of(result), first_result=verdict.get("firstResult") or result,
            latest_result=result)
        answer = self._queue.appeal(item, explanation, now)
        if answer == "already":
            raise FailedPrecondition(Msg("review.appeal.already"))
        if answer == "decided":
            raise FailedPrecondition(Msg("review.appeal.decided"))
        self._tell_moderators(now)
        return {"appealed": True, "key": item.key, "message": Msg("review.appeal.received")}

    def _tell_moderators(self, now: datetime) -> None:
        """One notice an hour at most, whatever the number of appeals."""
        try:
            self._notices.post_once(f"{APPEAL_NOTICE_KIND}_{now:%Y_%m_%d_%H}", {
                "kind": APPEAL_NOTICE_KIND, "audience": "moderators", "at": now,
                "read": False})
        except StoreUnavailable as err:  # the appeal is stored; the queue shows it first
            log.warning("could not post the appeals notice: %s", err)
