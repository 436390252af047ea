"""The review queue at size, on the Firestore, Cloud Storage and Auth emulators, through the
real use case and adapters (moderation/review_desk.py, infra/firestore_review.py):

  - 10,000 waiting images: a page of 100 (appeals first, then the oldest; also narrowed to
    a cause, and the page after), p50 / p99 over many reads; target p99 < 300 ms;
  - deciding 100 at once (each approval moves an image out of the quarantine, writes its
    record, closes its ledger job and audits): target < 3 s;
  - 5 moderators claiming the same 50 images at once: no image claimed twice.

    .venv/bin/python bench/review_queue.py [--images 10000] [--reads 60]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.stats import percentile  # noqa: E402
from devtools import firestore_emulator  # noqa: E402
from devtools.auth_emulator import seed_account, start_auth_emulator  # noqa: E402
from devtools.storage_emulator import running_storage_emulator  # noqa: E402

PROJECT = "demo-review-bench"
BUCKET = f"{PROJECT}.appspot.com"
CAUSES = ("needs_review", "quarantined", "flagged")


def seed(client, count: int, start: datetime) -> None:
    """`count` waiting images, one in fifty appealed, causes in turn."""
    from infra.firestore_review import QUEUE_COLLECTION

    batch, pending = client.batch(), 0
    for n in range(count):
        name = f"users/u{n % 500}/img-{n}.png"
        fields = {
            "bucket": BUCKET, "name": name, "generation": str(1000 + n),
            "location": {"name": "quarantine/" + name, "generation": str(2000 + n)},
            "cause": CAUSES[n % 3], "reason": "vision", "status": "rejected",
            "uploaderUid": f"u{n % 500}", "enteredAt": start + timedelta(seconds=n),
            "state": "waiting", "listedUnder": "waiting",
            "priority": 0 if n % 50 == 0 else 1, "revision": 1,
            "scores": {"likelihoods": {"adult": "LIKELY", "racy": "POSSIBLE"}},
            "firstResult": {"status": "rejected"}, "latestResult": {"status": "rejected"},
            "claimedBy": None, "claimedUntil": None, "decision": None,
            "appeal": {"explanation": "mine", "at": start} if n % 50 == 0 else None}
        batch.set(client.collection(QUEUE_COLLECTION).document(f"{n:064x}"), fields)
        pending += 1
        if pending == 500:
            batch.commit()
            batch, pending = client.batch(), 0
    if pending:
        batch.commit()


def timed(action, runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def report(label: str, seconds: list[float], target_ms: float | None = None) -> None:
    p50, p99 = percentile(seconds, 50) * 1000, percentile(seconds, 99) * 1000
    verdict = "" if target_ms is None else (
        f"  (target p99 < {target_ms:.0f} ms: {'met' if p99 < target_ms else 'MISSED'})")
    print(f"{label:<44} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=60)
    args = parser.parse_args()

    # Auth too: a claim held by another moderator is answered with their address.
    auth = start_auth_emulator(PROJECT)
    firestore = firestore_emulator.start()
    try:
        with running_storage_emulator(BUCKET, project=PROJECT) as gcs:
            os.environ.update({
                "GOOGLE_CLOUD_PROJECT": PROJECT, "GCLOUD_PROJECT": PROJECT,
                "STORAGE_BUCKET": BUCKET, "FIRESTORE_EMULATOR_HOST": firestore.host,
                "STORAGE_EMULATOR_HOST": gcs.host, "FIREBASE_AUTH_EMULATOR_HOST": auth.host})
            for n in range(5):
                seed_account(auth.host, PROJECT, uid=f"bench-mod-{n}",
                             email=f"mod{n}@example.com", claims={"moderator": True})
            run(gcs, args.images, args.reads)
    finally:
        firestore.stop()
        auth.stop()


def run(gcs, images: int, reads: int) -> None:
    import composition
    from identity import Caller

    composition.reset()
    client = composition.firestore_client()
    desk = composition.review_desk()
    moderator = Caller(uid="bench-mod", has_moderator_claim=True)
    start = datetime.now(UTC) - timedelta(days=2)

    t0 = time.perf_counter()
    seed(client, images, start)
    print(f"seeded {images:,} waiting images in {time.perf_counter() - t0:.1f} s")

    first = desk.list_queue(moderator, {"limit": 100})
    assert len(first["items"]) == 100 and first["items"][0]["appealed"]
    report("a page of 100 (appeals first, oldest)",
           timed(lambda: desk.list_queue(moderator, {"limit": 100}), reads), 300)
    report("a page of 100, one cause",
           timed(lambda: desk.list_queue(moderator, {"limit": 100, "cause": "quarantined"}),
                 reads), 300)
    report("the page after (after=...)",
           timed(lambda: desk.list_queue(moderator, {"limit": 100, "after": first["next"]}),
                 reads), 300)
    report("the backlog (counts by cause, oldest)",
           timed(lambda: desk.status(moderator, None), max(5, reads // 6)))

    # Deciding 100: the first page's images really in the quarantine.
    keys, bucket = [], gcs.bucket()
    for item in first["items"]:
        blob = bucket.blob(item["location"]["name"])
        blob.upload_from_string(b"\x89PNG\r\n\x1a\n" + item["key"].encode(),
                                content_type="image/png")
        blob.reload()
        client.document(f"review_queue/{item['key']}").update(
            {"location": {"name": blob.name, "generation": str(blob.generation)}})
        keys.append(item["key"])
    started = time.perf_counter()
    reply = desk.decide(moderator, {"decisions": [{"key": k, "decision": "approve"}
                                                  for k in keys]})
    took = time.perf_counter() - started
    restored = sum(1 for r in reply["results"] if r["code"] == "review.restored")
    print(f"{'deciding 100 at once (approve, restore)':<44} {took:7.2f} s   "
          f"({reply['decided']} decided, {restored} restored; target < 3 s: "
          f"{'met' if took < 3 else 'MISSED'})")

    # Five moderators at once on the same 50 images.
    contested = [i["key"] for i in desk.list_queue(moderator, {"limit": 50})["items"]]

    def claim(n: int) -> list[str]:
        who = Caller(uid=f"bench-mod-{n}", has_moderator_claim=True)
        return [r["key"] for r in desk.claim(who, {"keys": contested})["results"]
                if r["claimed"]]

    started = time.perf_counter()
    with ThreadPoolExecutor(5) as pool:
        won = list(pool.map(claim, range(5)))
    took = time.perf_counter() - started
    claimed = [key for mine in won for key in mine]
    twice = len(claimed) - len(set(claimed))
    print(f"{'5 moderators claim the same 50 at once':<44} {took:7.2f} s   "
          f"(claims won {[len(m) for m in won]}, {len(set(claimed))}/50 claimed, "
          f"{twice} claimed twice)")
    composition.reset()


if __name__ == "__main__":
    main()
