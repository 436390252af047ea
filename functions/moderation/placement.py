"""Where an image ends up after a decision, and what its metadata tells the client.

Shared by the storage trigger and the deferred re-check, so a verdict reached later acts
on the object exactly as one reached at upload time would.

No link survives a rejection: Firebase Storage serves an object to anyone holding one of
its `firebaseStorageDownloadTokens`, whatever storage.rules say, and a move copies that
metadata. So a rejected image (quarantined, or flagged in place) loses its tokens and gets
`Cache-Control: private, no-store` (no shared cache keeps serving it); it remembers that it
had a token (`moderationHadDownloadToken`), and an approval later (a re-check, a person)
gives it a fresh one: never the old one, which may have been shared meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from messages import render
from moderation.outcome import Outcome
from moderation.ports import Location, ObjectStore, TargetExists
from moderation.settings import VisionSettings

DOWNLOAD_TOKENS = "firebaseStorageDownloadTokens"
HAD_DOWNLOAD_TOKEN = "moderationHadDownloadToken"
PRIVATE_CACHE = "private, no-store"

Metadata = dict[str, str | None]  # None removes the key


def link_change(kept: bool, current: Mapping[str, str] | None) -> Metadata:
    """The metadata that withdraws a rejected image's download link, or gives an approved
    one a fresh link if a rejection took its own."""
    current = current or {}
    if not kept:
        change: Metadata = {DOWNLOAD_TOKENS: None}
        if current.get(DOWNLOAD_TOKENS):
            change[HAD_DOWNLOAD_TOKEN] = "true"
        return change
    if current.get(HAD_DOWNLOAD_TOKEN) == "true" and not current.get(DOWNLOAD_TOKENS):
        return {DOWNLOAD_TOKENS: str(uuid.uuid4()), HAD_DOWNLOAD_TOKEN: None}
    return {}


class Placement:
    def __init__(self, objects: ObjectStore, quarantine_prefix: str,
                 clock: Callable[[], datetime]) -> None:
        self._objects = objects
        self._quarantine = quarantine_prefix
        self._clock = clock

    def in_quarantine(self, name: str) -> bool:
        return name.startswith(self._quarantine)

    def metadata(self, outcome: Outcome, extra: Mapping[str, str | None] | None = None
                 ) -> Metadata:
        fields: Metadata = {
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
              extra: Mapping[str, str | None] | None = None,
              current: Mapping[str, str] | None = None) -> Location | None:
        """Write the outcome into the object's metadata (`current`: its metadata now, for
        its download link) and act on a rejection. Returns where the image is now (None:
        deleted, or gone meanwhile)."""
        if current is None:
            found = self._objects.stat(bucket, at.name)
            current = found.metadata if found and found.generation == at.generation else {}
        self._objects.set_metadata(
            bucket, at.name, at.generation,
            {**self.metadata(outcome, extra), **link_change(outcome.kept, current)},
            cache_control=None if outcome.kept else PRIVATE_CACHE)
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

    def restore(self, bucket: str, at: Location, original: str, metadata: Metadata,
                current: Mapping[str, str] | None = None) -> Location | None:
        """Move a quarantined image back to `original`, carrying `metadata` (and a fresh
        download link if it had one). None when that path already holds a newer upload:
        the image then stays where it is."""
        self._objects.set_metadata(bucket, at.name, at.generation,
                                   {**metadata, **link_change(True, current)})
        try:
            generation = self._objects.move(bucket, at.name, at.generation, original,
                                            only_if_absent=True)
        except TargetExists:
            return None
        return Location(original, generation) if generation else None
