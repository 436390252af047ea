"""The review queue's rules, pure: which images a person must decide, in what order, who
may work on one, and what a decision is. The queue lives in `review_queue/{key}` (key: the
image's record key), behind moderation.ports.ReviewQueue; moderation/review_desk.py is the
moderators' use case.

An image enters when the machine could not decide it for good:
  needs_review  kept for a person (the warn strategy, the local model's unsure band, a
                flagged account, an image too complex to read);
  quarantined   rejected (by Vision, or held back by the deny strategy) and moved to the
                quarantine, where a person may bring it back;
  flagged       rejected and kept in place, marked (the reject action "flag");
an image the reject action deleted has nothing left to look at. An appeal of its uploader
puts an image first (and brings in a rejected one that is not queued). A Vision re-check
that settles an image takes it out, but never overrides a person's decision. Order:
appeals first, then the oldest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from errors import InvalidInput
from messages import Msg
from moderation.activity import plain_json

ReviewState = Literal["waiting", "deciding", "decided", "settled"]
Decision = Literal["approve", "reject"]
DECISIONS: tuple[Decision, ...] = ("approve", "reject")
CLAIM = timedelta(minutes=10)
MAX_PAGE = 100
MAX_CLAIM = 50
MAX_DECISIONS = 100
MAX_NOTE = 500
MAX_EXPLANATION = 500
APPEAL_PRIORITY, NORMAL_PRIORITY = 0, 1


@dataclass(frozen=True)
class ReviewItem:
    key: str
    bucket: str
    name: str                    # where the image was uploaded
    generation: str
    location: dict[str, str] | None  # where it is now {name, generation}
    cause: str                   # needs_review | quarantined
    reason: str | None           # the machine's own cause (warn's, the model's, a flag ...)
    status: str                  # the machine's outcome: needs_review | rejected
    uploader_uid: str | None
    entered_at: datetime
    state: ReviewState = "waiting"
    priority: int = NORMAL_PRIORITY
    revision: int = 1            # bumped whenever what a moderator saw changes
    claimed_revision: int | None = None  # the revision the claimer saw
    scores: dict[str, Any] | None = None
    first_result: dict[str, Any] | None = None
    latest_result: dict[str, Any] | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    appeal: dict[str, Any] | None = None
    decision: dict[str, Any] | None = field(default=None)

    def claimed_by_other(self, who: str, now: datetime) -> bool:
        return self.claimed_by is not None and self.claimed_by != who and \
            self.claimed_until is not None and self.claimed_until > now


    def listing(self, now: datetime) -> dict[str, Any]:
        """What a moderator's list shows (JSON-ready)."""
        return {
            "key": self.key, "name": self.name, "cause": self.cause, "reason": self.reason,
            "status": self.status, "uploaderUid": self.uploader_uid,
            "enteredAt": self.entered_at.isoformat(),
            "waitingSeconds": max(0, int((now - self.entered_at).total_seconds())),
            "state": self.state, "appealed": self.appeal is not None,
            "appeal": plain_json(self.appeal), "revision": self.revision,
            "scores": self.scores, "location": self.location,
            "firstResult": plain_json(self.first_result),
            "latestResult": plain_json(self.latest_result),
            "claimedBy": self.claimed_by if self.claimed_until and self.claimed_until > now
            else None,
            "claimedUntil": self.claimed_until.isoformat()
            if self.claimed_until and self.claimed_until > now else None,
            "decision": plain_json(self.decision),
        }


CAUSES = ("needs_review", "quarantined", "flagged")


def review_cause(status: str, location_name: str | None, quarantine_prefix: str) -> str | None:
    """Why a person must look at an outcome (None: nobody needs to, or nothing is left to
    look at)."""
    if location_name is None:
        return None
    if status == "needs_review":
        return "needs_review"
    if status == "rejected":
        return "quarantined" if location_name.startswith(quarantine_prefix) else "flagged"
    return None


def scores_of(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The machine's scores in a result: Vision's likelihoods, the local model's score."""
    if not result:
        return None
    scores: dict[str, Any] = {}
    if result.get("likelihoods"):
        scores["likelihoods"] = result["likelihoods"]
    if result.get("localScore") is not None:
        scores["localScore"] = result["localScore"]
    return scores or None


ClaimAnswer = Literal["claimed", "held", "missing", "decided"]


def claim_answer(item: ReviewItem | None, who: str, now: datetime) -> ClaimAnswer:
    if item is None:
        return "missing"
    if item.state not in ("waiting", "deciding"):
        return "decided"
    if item.claimed_by_other(who, now):
        return "held"
    return "claimed"


DecisionRefusal = Literal["missing", "decided", "held", "stale"]


def decision_refusal(item: ReviewItem | None, who: str, revision: int | None,
                     now: datetime) -> DecisionRefusal | None:
    """Why `who` may not decide the image as it saw it at `revision` (None: it may). With no
    revision, the one `who` saw when claiming it counts. An image left half-decided
    ("deciding") by the same moderator may be decided again."""
    if item is None:
        return "missing"
    if item.state in ("decided", "settled"):
        return "decided"
    if item.claimed_by_other(who, now):
        return "held"
    if revision is None and item.claimed_by == who:
        revision = item.claimed_revision
    if revision is not None and item.revision != revision:
        return "stale"
    return None


REFUSALS: dict[str, Msg] = {
    "missing": Msg("review.missing"), "decided": Msg("review.decided"),
    "stale": Msg("review.stale"), "gone": Msg("review.gone"),
}


def refusal_message(refusal: str, item: ReviewItem | None) -> Msg:
    if refusal == "held" and item is not None and item.claimed_until is not None:
        return Msg("review.held", until=item.claimed_until.strftime("%H:%M UTC"))
    return REFUSALS.get(refusal, Msg("review.missing"))


# -- the moderators' input ---------------------------------------------------------------------

@dataclass(frozen=True)
class PageRequest:
    state: str = "waiting"
    cause: str | None = None
    uploader: str | None = None
    after: str | None = None
    limit: int = 50


_PAGE_STATES = ("waiting", "decided")


def parse_page(data: Any) -> PageRequest:
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise InvalidInput(Msg("review.body"))
    unknown = [k for k in data if k not in ("state", "cause", "uploader", "after", "limit")]
    if unknown:
        raise InvalidInput(Msg("moderation.allowance.unknown_field", name=str(unknown[0])))
    state = data.get("state", "waiting")
    if state not in _PAGE_STATES:
        raise InvalidInput(Msg("review.state", states=", ".join(_PAGE_STATES)))
    cause = data.get("cause")
    if cause is not None and cause not in CAUSES:
        raise InvalidInput(Msg("review.cause", causes=", ".join(CAUSES)))
    uploader, after = data.get("uploader"), data.get("after")
    if uploader is not None and (not isinstance(uploader, str) or not uploader
                                 or len(uploader) > 128):
        raise InvalidInput(Msg("common.field_not_string", name="uploader"))
    if after is not None and not _is_key(after):
        raise InvalidInput(Msg("review.after"))
    limit = data.get("limit", 50)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(Msg("review.limit", most=MAX_PAGE))
    return PageRequest(state, cause, uploader, after, limit)


def parse_keys(data: Any, most: int = MAX_CLAIM) -> list[str]:
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys or len(keys) > most \
            or not all(isinstance(k, str) and _is_key(k) for k in keys):
        raise InvalidInput(Msg("review.keys", most=most))
    return list(dict.fromkeys(keys))


@dataclass(frozen=True)
class DecisionRequest:
    key: str
    decision: Decision
    revision: int | None  # as listed (None: as claimed)
    note: str | None


def parse_decisions(data: Any) -> list[DecisionRequest]:
    items = data.get("decisions") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or len(items) > MAX_DECISIONS:
        raise InvalidInput(Msg("review.decisions", most=MAX_DECISIONS))
    found: dict[str, DecisionRequest] = {}
    for item in items:
        if not isinstance(item, dict) or not _is_key(item.get("key")):
            raise InvalidInput(Msg("review.decision_key"))
        decision = item.get("decision")
        if decision not in DECISIONS:
            raise InvalidInput(Msg("review.decision", decisions=", ".join(DECISIONS)))
        revision = item.get("revision")
        if revision is not None and (isinstance(revision, bool) or not isinstance(revision, int)
                                     or revision < 1):
            raise InvalidInput(Msg("review.revision"))
        note = item.get("note")
        if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
            raise InvalidInput(Msg("review.note", most=MAX_NOTE))
        if item["key"] in found:
            raise InvalidInput(Msg("review.twice", key=item["key"]))
        found[item["key"]] = DecisionRequest(item["key"], decision, revision,
                                             note.strip() or None if note else None)
    return list(found.values())


def parse_appeal(data: Any) -> tuple[str, str]:
    """`appeal_moderation`'s {path, explanation}."""
    if not isinstance(data, dict) or set(data) - {"path", "explanation"}:
        raise InvalidInput(Msg("review.appeal_body"))
    path, explanation = data.get("path"), data.get("explanation")
    if not isinstance(path, str) or not path.strip() or len(path) > 1024:
        raise InvalidInput(Msg("moderation.check.path_empty"))
    if not isinstance(explanation, str) or not explanation.strip() \
            or len(explanation) > MAX_EXPLANATION:
        raise InvalidInput(Msg("review.explanation", most=MAX_EXPLANATION))
    return path.strip(), explanation.strip()


def _is_key(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef"
                                                               for c in value)
