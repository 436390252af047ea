"""storage.rules, checked for shape and against the code it must agree with.

The rules are not executed here: the Storage emulator needs a rules-runtime jar that it
downloads at start, and Java 21, and this CI is offline with Java 17 (see the README).
What these tests do hold: the rules are deployed (firebase.json, cloudbuild), they name
the same per-user folders the trigger takes the uploader from, accept the image formats
the trigger judges up to Vision's size limit, let clients create but never update or
write quarantine, and forbid clients the moderation metadata.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from moderation import uploaded_images
from moderation.rechecks import RECHECK_KEY_META, RECHECK_META, RESTORE_TOKEN_META

REPO = Path(__file__).resolve().parents[2]
RULES = (REPO / "storage.rules").read_text()


def blocks() -> dict[str, str]:
    """{match path: body} of the match blocks inside /b/{bucket}/o."""
    found = {}
    for match in re.finditer(r"\n    match (/[^ ]+) \{(.*?)\n    \}", RULES, re.S):
        found[match.group(1)] = match.group(2)
    return found


def test_the_rules_are_deployed() -> None:
    assert json.loads((REPO / "firebase.json").read_text())["storage"] == {
        "rules": "storage.rules"}
    assert "storage" in (REPO / "cloudbuild.yaml").read_text().split("--only ")[1].split()[0]


def test_the_per_user_folders_are_the_ones_the_trigger_takes_the_uploader_from() -> None:
    folders = re.match(r"\^\(\?:([^)]*)\)/", uploaded_images._UID_IN_PATH.pattern)
    assert folders is not None
    in_code = set(folders.group(1).split("|"))
    in_rules = {path.split("/")[1] for path in blocks() if path.endswith("{uid}/{path=**}")
                and not path.startswith("/quarantine")}
    assert in_rules == in_code == {"users", "uploads", "images"}
    assert "folder in ['users', 'uploads', 'images']" in RULES  # quarantine reads too


def test_clients_create_in_their_own_folder_and_never_update_or_write_quarantine() -> None:
    for path, body in blocks().items():
        if path.startswith("/quarantine"):
            assert re.findall(r"allow (\w+)", body) == ["read"]
            continue
        assert "allow create: if ownUpload(uid);" in body
        assert not re.search(r"allow [^:]*\b(update|write)\b", body), path


def test_uploads_are_the_images_the_trigger_judges_up_to_vision_s_limit() -> None:
    accepted = re.search(r"'image/\(([^)]*)\)'", RULES)
    assert accepted is not None
    formats = set(accepted.group(1).split("|"))
    assert {"jpeg", "jpg", "png", "gif", "webp", "bmp", "tiff", "heic", "heif"} <= formats
    assert not any("svg" in f for f in formats)
    assert "request.resource.size <= 20 * 1024 * 1024" in RULES
    assert uploaded_images.VISION_MAX_IMAGE_BYTES == 20 * 1024 * 1024


def test_clients_may_not_set_the_metadata_the_functions_write() -> None:
    listed = set(re.findall(r"'(moderation\w+)'", RULES))
    written = set(re.findall(r'"(moderation\w+)"', (REPO / "functions/moderation/placement.py")
                             .read_text()))
    written |= {RECHECK_KEY_META, RESTORE_TOKEN_META, RECHECK_META, "moderationRestoreSkipped"}
    assert written <= listed


def test_uploads_keep_shared_caches_out() -> None:
    """The rule's two patterns, as Storage applies them (a whole-string match)."""
    body = re.search(r"function keepsSharedCachesOut\(\) \{(.*?)\n    \}", RULES, re.S)
    assert body is not None and "ownUpload" in RULES
    assert "keepsSharedCachesOut()" in re.search(r"function ownUpload\(uid\) \{(.*?)\}",
                                                 RULES, re.S).group(1)  # type: ignore[union-attr]
    shape, names = re.findall(r"matches\(\s*'([^']*)'\)", body.group(1))

    def allowed(value: str) -> bool:
        return bool(re.fullmatch(shape, value)) and bool(re.fullmatch(names, value))

    for value in ("private", "no-store", "private, max-age=60", "no-cache, must-revalidate",
                  "private,no-store"):
        assert allowed(value), value
    for value in ("public", "public, max-age=31536000", "max-age=31536000", "private, public",
                  "no-store, immutable", "s-maxage=600, private", ""):
        assert not allowed(value), value

