"""Where an uploader reads the verdict on an image: pure naming rules.

`image_moderation/{key}` (key: sha256 of bucket, name and generation) is one record per
object generation; a client learns its key only after the upload, and the rules let it
read the record only once it exists, so a listener opened before cannot wait on it. So the
record is also copied to `image_verdicts/{uid}/objects/{object_key(name)}`, a path the
uploader computes before uploading from its own uid and the object's name (the latest
upload at that name; its `generation` says which), and which firestore.rules let only that
uid read, whether the document exists yet or not.
"""

from __future__ import annotations

import hashlib
import re

_RESERVED_ID = re.compile(r"__.*__")


def object_key(name: str) -> str:
    """sha256 of the object's name (UTF-8), in hex: the same in every client language."""
    return hashlib.sha256(name.encode()).hexdigest()


def valid_document_id(text: str) -> bool:
    """Whether Firestore takes `text` as a document id."""
    return (0 < len(text.encode()) <= 1500 and "/" not in text and text not in (".", "..")
            and not _RESERVED_ID.fullmatch(text))
