"""Blob store on a local folder, for the local run and tests: files live at root/<key>.

Content types are not stored (nothing local reads them back). Writes are atomic: the bytes
go to a temporary file in the target's folder and are renamed over the target, so a reader
sees either the old file or the new one, never a half-written one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from qr.ports import BlobStoreError, StoredBlob

# Temporary files start with this; keys may not have a segment starting with "." at all,
# so a temporary file can never be mistaken for a key (and "." / ".." are rejected too).
_TEMP_PREFIX = ".tmp-"


def _check_relative(text: str, what: str) -> list[str]:
    """The '/'-separated segments of a key or prefix, refusing anything that could
    name a path outside the root."""
    if "\\" in text or "\x00" in text:
        raise ValueError(f"{what} {text!r} contains a backslash or NUL")
    if text.startswith("/"):
        raise ValueError(f"{what} {text!r} is absolute")
    segments = text.split("/")
    for segment in segments:
        if segment.startswith("."):
            raise ValueError(f"{what} {text!r} has a segment starting with '.'")
    return segments


def _check_key(key: str) -> None:
    if not key:
        raise ValueError("key is empty")
    if any(segment == "" for segment in _check_relative(key, "key")):
        raise ValueError(f"key {key!r} has an empty segment")


def _check_prefix(prefix: str) -> None:
    if prefix == "":
        return
    segments = _check_relative(prefix, "prefix")
    # Only the last segment may be empty (a prefix ending with "/").
    if any(segment == "" for segment in segments[:-1]):
        raise ValueError(f"prefix {prefix!r} has an empty segment")


class LocalBlobStore:
    """`qr.ports.BlobStore` on a folder. Thread-safe for distinct keys; the last writer of
    one key wins, as with B2's newest version."""

    def __init__(self, root: Path) -> None:
        self._root = Path(root)

    @property
    def root(self) -> Path:
        return self._root

    def _path(self, key: str) -> Path:
        _check_key(key)
        path = self._root / key
        # Belt and braces: a symlinked folder inside root must not lead outside it.
        if not path.resolve().is_relative_to(self._root.resolve()):
            raise ValueError(f"key {key!r} resolves outside the store")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> StoredBlob:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as temp:
                    temp.write(data)
                os.replace(temp_name, path)
            except BaseException:
                Path(temp_name).unlink(missing_ok=True)
                raise
        except OSError as err:
            raise BlobStoreError(f"could not write {key!r} to the local store: "
                                 f"{err.strerror or type(err).__name__}") from err
        return StoredBlob(key=key, sha1=hashlib.sha1(data).hexdigest(), size=len(data))

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as err:
            raise BlobStoreError(f"could not read {key!r} from the local store: "
                                 f"{err.strerror or type(err).__name__}") from err

    def delete_prefix(self, prefix: str) -> int:
        if prefix == "":
            raise ValueError("refusing to delete every file: give a non-empty prefix")
        keys = list(self.iter_keys(prefix))
        try:
            for key in keys:
                (self._root / key).unlink(missing_ok=True)
            self._remove_empty_folders(prefix)
        except OSError as err:
            raise BlobStoreError(f"could not delete files under {prefix!r}: "
                                 f"{err.strerror or type(err).__name__}") from err
        return len(keys)

    def iter_keys(self, prefix: str) -> Iterator[str]:
        _check_prefix(prefix)
        # Walk only the deepest folder the prefix names, then match the rest as text.
        start = self._root / prefix.rpartition("/")[0]
        if not start.is_dir():
            return iter(())
        keys = []
        for folder, subfolders, files in os.walk(start):
            subfolders[:] = [name for name in subfolders if not name.startswith(".")]
            for name in files:
                if name.startswith("."):
                    continue  # temporary files of writes in flight
                key = Path(folder, name).relative_to(self._root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def _remove_empty_folders(self, prefix: str) -> None:
        """Tidy folders the deletion emptied, deepest first, never the root itself."""
        start = self._root / prefix.rpartition("/")[0]
        if not start.is_dir():
            return
        for folder, _, _ in sorted(os.walk(start), key=lambda entry: -len(entry[0])):
            path = Path(folder)
            if path == self._root:
                continue
            with contextlib.suppress(OSError):  # not empty: something else lives there
                path.rmdir()
