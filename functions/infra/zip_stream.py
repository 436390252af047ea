"""A ZIP written as it is sent: memory stays flat however many files it holds."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator


class _Sink:
    """A write-only, non-seekable file: zipfile then writes data descriptors, which is
    exactly what streaming needs."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._offset = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


# A fixed timestamp keeps the archive identical for identical contents.
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def stream_zip(entries: Iterator[tuple[str, bytes]]) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_STORED  # PNGs are already compressed
            archive.writestr(info, data)
            chunk = sink.take()
            if chunk:
                yield chunk
    tail = sink.take()
    if tail:
        yield tail
