"""What the revocation check adds to a call: a role-bearing ID token checked against the
account's revocation time (infra/token_revocation.py), against firebase-tools' Auth
emulator on this machine.

    .venv/bin/python bench/token_revocation.py

Prints the check's latency with the account's revocation time looked up (the first call
of a uid on an instance, then once a minute) and from the 60-s cache (every other call),
and the same through a whole callable (listParts, functions framework in-process, on the
Firestore emulator) with and without the check.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.stats import percentile  # noqa: E402

PROJECT = "demo-revocation"


def timed(action, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        action()
        samples.append(time.perf_counter() - t0)
    return samples


def show(label: str, samples: list[float]) -> None:
    print(f"{label}: p50 {percentile(samples, 50) * 1000:.3f} ms, "
          f"p99 {percentile(samples, 99) * 1000:.3f} ms ({len(samples)} calls)")


def main() -> None:
    from devtools import firestore_emulator
    from devtools.auth_emulator import start_auth_emulator

    print("starting the Auth and Firestore emulators ...", flush=True)
    emulator = start_auth_emulator(PROJECT)
    firestore = firestore_emulator.start()
    os.environ.update({"GOOGLE_CLOUD_PROJECT": PROJECT, "GCLOUD_PROJECT": PROJECT,
                       "FIREBASE_AUTH_EMULATOR_HOST": emulator.host,
                       "FIRESTORE_EMULATOR_HOST": firestore.host,
                       "STORAGE_BUCKET": f"{PROJECT}.appspot.com",
                       "FIREBASE_CONFIG": f'{{"projectId": "{PROJECT}", '
                                          f'"storageBucket": "{PROJECT}.appspot.com"}}'})
    try:
        from firebase_admin import auth

        import composition
        from devtools.function_apps import function_app
        from devtools.tokens import mint_id_token
        from infra.http_boundary import set_token_check

        composition.initialize()
        auth.create_user(uid="stella", email="stella@example.com")
        auth.set_custom_user_claims("stella", {"staff": True})
        claims = {"uid": "stella", "staff": True, "iat": int(time.time())}
        checker = composition.token_revocations()

        def uncached() -> None:
            checker.forget("stella")
            checker.check(claims)

        timed(uncached, 20)  # warm the connection
        show("check, revocation time looked up", timed(uncached, 200))
        show("check, from the cache", timed(lambda: checker.check(claims), 2000))

        token = mint_id_token("stella", project_id=PROJECT, staff=True)
        client = function_app("listParts").test_client()

        def list_parts() -> None:
            reply = client.post("/", json={"data": {}},
                                headers={"Authorization": f"Bearer {token}"})
            assert reply.status_code == 200, reply.get_data(as_text=True)

        timed(list_parts, 20)
        with_check = timed(list_parts, 300)
        set_token_check(None)
        without = timed(list_parts, 300)
        show("listParts with the check (cached)", with_check)
        show("listParts without the check", without)
    finally:
        firestore.stop()
        emulator.stop()


if __name__ == "__main__":
    main()
