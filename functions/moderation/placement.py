"""Where an image ends up after a decision, and what its metadata tells the client.

Shared by the storage trigger and the deferred re-check, so a verdict reached later acts
on the object exactly as one reached at upload time would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from messages import render
from moderation.outcome import Outcome
from moderation.ports import Location, ObjectStore, TargetExists
from moderation.settings import VisionSettings


class Placement:
    def __init__(self, objects: ObjectStore, quarantine_prefix: str,
                 clock: Callable[[], datetime]) -> None:
        self._objects = objects
        self._quarantine = quarantine_prefix
        self._clock = clock

    def in_quarantine(self, name: str) -> bool:
        return name.startswith(self._quarantine)

    def metadata(self, outcome: Outcome, extra: dict[str, str] | None = None
                 ) -> dict[str, str]:
        fields = {
            "moderationStatus": outcome.status,
            # Both languages: the uploader's is not known here. moderationMessage stays the
            # English that existing clients read.
            "moderationMessage": str(outcome.message),
            "moderationMessageTr": render(outcome.message, "tr"),
            "moderatedAt": self._clock().isoformat(),
            # Written every time, so a later verdict replaces what an earlier one said.
            "moderationCause": outcome.cause or "",
            "moderationReasons": "; ".join(outcome.reasons)[:1000],
        }
        return {**fields, **(extra or {})}

    def apply(self, bucket: str, at: Location, outcome: Outcome, settings: VisionSettings,
              extra: dict[str, str] | None = None) -> Location | None:
        """Write the outcome into the object's metadata and act on a rejection. Returns
        where the image is now (None: deleted, or gone meanwhile)."""
        self._objects.set_metadata(bucket, at.name, at.generation,
                                   self.metadata(outcome, extra))
        if outcome.kept:
            return at
        action = settings.reject_action
        if action == "delete" and not outcome.checked:
            action = "quarantine"  # only a real verdict may delete a user's image
        if action == "quarantine":
            if self.in_quarantine(at.name):
                return at
            target = f"{self._quarantine}{at.name}"
            generation = self._objects.move(bucket, at.name, at.generation, target)
            return Location(target, generation) if generation else None
        if action == "delete":
            self._objects.delete(bucket, at.name, at.generation)
            return None
        return at  # "flag": kept in place, marked rejected

    def restore(self, bucket: str, at: Location, original: str,
                metadata: dict[str, str]) -> Location | None:
        """Move a quarantined image back to `original`, carrying `metadata`. None when
        that path already holds a newer upload: the image then stays where it is."""
        self._objects.set_metadata(bucket, at.name, at.generation, metadata)
        try:
            generation = self._objects.move(bucket, at.name, at.generation, original,
                                            only_if_absent=True)
        except TargetExists:
            return None
        return Location(original, generation) if generation else None
