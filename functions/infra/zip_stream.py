"""A ZIP written as it is sent: memory stays flat however many files it holds, and (with
`stream_zip_deflated`) however large each of them is."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator


class _Sink:
    """A write-only, non-seekable file: zipfile then writes data descriptors, which is
    exactly what streaming needs."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._offset = 0
        self._pending = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._offset += len(data)
        self._pending += len(data)
        return len(data)

    @property
    def pending(self) -> int:
        """How many bytes were written since the last `take`."""
        return self._pending

    def tell(self) -> int:
        return self._offset

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        self._pending = 0
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


# Roughly how much compressed output `stream_zip_deflated` gathers before it yields.
CHUNK_SIZE = 64 * 1024


def stream_zip_deflated(entries: Iterable[tuple[str, Iterable[bytes]]], *,
                        chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """A deflated ZIP of `entries` (name, content given as byte pieces), produced as the
    pieces are consumed: only the output not yet yielded and the compressor's state are
    held, never a whole entry. Output comes in chunks of about `chunk_size` bytes (a chunk
    can be somewhat larger: zlib hands its output over in bursts), the last one shorter.

    Each entry has a local header with zero sizes and a 32-bit data descriptor after its
    data: the plain ZIP 2.0 streaming form. ZIP64 is not forced on: the form zipfile then
    streams (sizes moved into a ZIP64 extra field of the local header) is the one reported
    to make Excel ask to repair an .xlsx (Apache POI bug 57342, commons-compress
    COMPRESS-474). So an entry holds at most 4 GiB; zipfile raises RuntimeError when one
    ends bigger, after its data was sent.
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, mode="w") as entry:
                for piece in content:
                    entry.write(piece)
                    if sink.pending >= chunk_size:
                        yield sink.take()
            if sink.pending >= chunk_size:
                yield sink.take()
    tail = sink.take()
    if tail:
        yield tail
