"""b2sdk's own RawSimulator, plus a B2 on a bad day (busy upload pods, a dead network,
a hanging upload). The same SDK code above the raw API runs as against real B2."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from b2sdk.v2 import RawSimulator
from b2sdk.v2.exception import B2ConnectionError, interpret_b2_error

BUCKET = "qr-labels-test"

# The raw-API calls B2BlobStore makes; "down" refuses them like a dead network would.
_RAW_CALLS = frozenset({
    "authorize_account", "list_buckets", "get_upload_url", "upload_file",
    "download_file_from_url", "list_file_names", "list_file_versions", "delete_file_version",
})


class FlakySimulator(RawSimulator):
    """b2sdk's simulator plus a B2 on a bad day: busy upload pods, a dead network, or an
    upload that hangs until released."""

    # Real B2 uploads anything under 100 MB (its recommended part size) as one file; the
    # simulator's default of 200 bytes would send a 1 KB PNG down the large-file path.
    MIN_PART_SIZE = 5 * 1024 * 1024

    def __init__(self, b2_http: Any = None) -> None:
        super().__init__(b2_http)
        self.busy_uploads = 0
        self.upload_calls = 0
        self.down = False
        self.hang: threading.Event | None = None

    def upload_file(self, *args: Any, **kwargs: Any) -> Any:
        self.upload_calls += 1
        if self.hang is not None:
            self.hang.wait(timeout=10)
        if self.busy_uploads > 0:
            self.busy_uploads -= 1
            # The very function B2RawHTTPApi uses to turn an HTTP 503 reply into an error.
            raise interpret_b2_error(503, "service_unavailable",
                                     "c002_v0001109_t0043 is too busy", {})
        return super().upload_file(*args, **kwargs)

    def __getattribute__(self, name: str) -> Any:
        if name in _RAW_CALLS and object.__getattribute__(self, "down"):
            def refused(*args: Any, **kwargs: Any) -> Any:
                # What b2sdk's HTTP layer raises when the connection is refused.
                raise B2ConnectionError("HTTPSConnectionPool: Connection refused")
            return refused
        return super().__getattribute__(name)


class SeededSimulator(FlakySimulator):
    """Starts with one account and one bucket, so `B2BlobStore.connect` (which builds its
    own api, hence its own simulator) has something to sign in to."""

    DOWN_FROM_START: ClassVar[bool] = False

    def __init__(self, b2_http: Any = None) -> None:
        super().__init__(b2_http)
        self.key_id, self.master_key = self.create_account()
        token = self.authorize_account("", self.key_id, self.master_key)["authorizationToken"]
        self.create_bucket(self.API_URL, token, self.key_id, BUCKET, "allPrivate")
        self.down = self.DOWN_FROM_START


class DownSimulator(SeededSimulator):
    DOWN_FROM_START = True
