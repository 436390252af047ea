"""The local run: the web console at http://127.0.0.1:<port>/ and every function at
http://127.0.0.1:<port>/<function name> (and at /<project>/<region>/<function name>, the
Functions emulator's path the Firebase JS SDK uses), on real local parts and embedded
defaults (no cloud account, no credentials).

- Firestore: the official emulator (started here unless FIRESTORE_EMULATOR_HOST points at
  a running one).
- QR PNGs: a local folder (.local/blobs) unless B2_* variables are set.
- Auth: firebase-tools' Auth emulator with seeded accounts (email + password, for the
  console), and unsigned emulator ID tokens (`python -m devtools.tokens alice --staff`).
- The console: web/dist (built by scripts/setup), /__/firebase/init.json and
  /console-config.json pointing at this run (devtools.console_site).
- Cloud Storage: gcp-storage-emulator in-process; Vision: a local server speaking the
  Vision REST API (`devtools.vision_server`), so moderation runs end to end.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from devtools import firestore_emulator
from devtools.auth_emulator import AuthEmulator

REPO = Path(__file__).resolve().parent.parent
LOCAL_DIR = REPO / ".local"
RUN_INFO = LOCAL_DIR / "run.json"  # where the running local run is, for devtools.send_image
PROJECT = "demo-inventory"


def _bucket() -> str:
    """$STORAGE_BUCKET, else the project's default bucket (<project>.appspot.com)."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT") or PROJECT
    return os.environ.get("STORAGE_BUCKET") or f"{project}.appspot.com"


def _defaults(vision_endpoint: str | None, storage_host: str | None) -> None:
    os.environ.setdefault("GOOGLE_CLOUD_PROJECT", PROJECT)
    os.environ.setdefault("GCLOUD_PROJECT", os.environ["GOOGLE_CLOUD_PROJECT"])
    os.environ.setdefault("STORAGE_BUCKET", _bucket())
    os.environ.setdefault("FIREBASE_CONFIG", json.dumps({
        "projectId": os.environ["GOOGLE_CLOUD_PROJECT"],
        "storageBucket": os.environ["STORAGE_BUCKET"]}))
    # Accept the unsigned tokens the Auth emulator issues (never set in production:
    # infra/config.py refuses to start there with it).
    os.environ.setdefault("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    os.environ.setdefault("LOCAL_BLOB_DIR", str(LOCAL_DIR / "blobs"))
    if vision_endpoint:
        os.environ.setdefault("VISION_API_ENDPOINT", vision_endpoint)
    if storage_host:
        os.environ.setdefault("STORAGE_EMULATOR_HOST", storage_host)


def _sweeper(interval_s: float) -> None:
    """Production runs the scheduled functions (sweep_unstored_qrs,
    sweep_moderation_rechecks, check_vision_quota_alerts); locally a thread does."""
    import composition

    jobs = (lambda: composition.qr_labels().requeue_unstored(),
            lambda: composition.moderation_rechecks().sweep(),
            lambda: composition.vision_admin().check_alerts())
    while True:
        time.sleep(interval_s)
        for job in jobs:
            try:
                job()
            except Exception:
                logging.getLogger("local_run").exception("scheduled job failed")


# The accounts a fresh local run starts with, and the roles they carry (custom claims).
# member comes last: once it signs in, every account is there (tests/browser/harness.py).
SEEDED_ACCOUNTS: tuple[tuple[str, str, dict[str, bool]], ...] = (
    ("alice", "alice@example.com", {"staff": True}),
    ("root", "root@example.com", {"admin": True}),
    ("mona", "mona@example.com", {"moderator": True}),
    ("mel", "mel@example.com", {"moderator": True}),
    ("member", "member@example.com", {}),
)
# Their password in the Auth emulator (a local emulator only; never a real account).
SEEDED_PASSWORD = "password123"  # pragma: allowlist secret


def describe_accounts() -> str:
    return ", ".join(f"{email} ({', '.join(claims) or 'no role'})"
                     for _, email, claims in SEEDED_ACCOUNTS)


class _BackgroundAuth:
    """firebase-tools' Auth emulator, started beside the functions (it takes ~10 s): its
    address is fixed at once, so firebase_admin finds it whenever it is first used."""

    def __init__(self, project: str, port: int | None = None,
                 console_url: str | None = None) -> None:
        from devtools.firestore_emulator import free_port

        self.project = project
        self.host = f"127.0.0.1:{port or free_port()}"
        self.console_url = console_url
        self.emulator: AuthEmulator | None = None
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._start, daemon=True, name="auth-emulator")
        self._thread.start()

    def _start(self) -> None:
        from devtools.auth_emulator import seed_account, start_auth_emulator

        log = logging.getLogger("local_run")
        project = self.project
        try:
            self.emulator = start_auth_emulator(project, port=int(self.host.split(":")[1]))
            for uid, email, claims in SEEDED_ACCOUNTS:
                seed_account(self.host, project, uid=uid, email=email, claims=claims,
                             password=SEEDED_PASSWORD)
        except Exception:
            log.exception("the Auth emulator did not start; sign-in and role management "
                          "are unavailable")
            return
        self.ready.set()
        log.info("Auth emulator at %s with accounts: %s", self.host, describe_accounts())
        if self.console_url:
            print(f"\nReady: sign in at {self.console_url} as {describe_accounts()}; "
                  f"password {SEEDED_PASSWORD}\n", flush=True)

    def stop(self) -> None:
        self._thread.join(timeout=60)
        if self.emulator is not None:
            self.emulator.stop()


def _start_auth_in_background(port: int | None, console_url: str) -> _BackgroundAuth | None:
    from devtools.auth_emulator import cli_installed

    if not cli_installed():
        logging.getLogger("local_run").warning(
            "the pinned Firebase CLI is not installed (run scripts/setup): no Auth emulator, "
            "so no sign-in in the console")
        return None
    auth = _BackgroundAuth(os.environ.get("GOOGLE_CLOUD_PROJECT") or PROJECT, port,
                           console_url)
    os.environ["FIREBASE_AUTH_EMULATOR_HOST"] = auth.host
    return auth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)),
                        help="the console and the functions (default $PORT, else 8080)")
    for name, what in (("firestore", "the Firestore emulator (unless $FIRESTORE_EMULATOR_HOST "
                                     "names a running one)"),
                       ("auth", "firebase-tools' Auth emulator"),
                       ("vision", "the local Vision server"),
                       ("storage", "the Cloud Storage emulator")):
        parser.add_argument(f"--{name}-port", type=int, default=None,
                            help=f"port of {what}; default: a free one")
    parser.add_argument("--no-vision", action="store_true",
                        help="do not start the local Vision server")
    parser.add_argument("--run-info", type=Path, default=RUN_INFO,
                        help="where to write the run's addresses (for devtools.send_image)")
    parser.add_argument("--sweep-every", type=float, default=60.0,
                        help="seconds between the scheduled jobs (sweeps, quota alerts)")
    parser.add_argument("--no-auth-emulator", action="store_true",
                        help="do not start firebase-tools' Auth emulator (role management "
                             "then answers UNAVAILABLE; minted tokens still work)")
    args = parser.parse_args()
    # Stop the emulators we started on Ctrl-C and on a plain kill alike (on kill -9, their
    # watchdogs end them: devtools.auth_emulator.tied_to_this_process).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    from infra.logs import configure_logging

    configure_logging(structured=os.environ.get("LOG_FORMAT") == "json")
    LOCAL_DIR.mkdir(exist_ok=True)
    args.run_info.parent.mkdir(parents=True, exist_ok=True)
    base = f"http://127.0.0.1:{args.port}"

    # The emulator's log goes beside the run file (.local/ by default).
    firestore_log = args.run_info.parent / "firestore.log"
    if args.firestore_port:
        emulator = firestore_emulator.start(args.firestore_port, log_path=firestore_log)
    else:
        emulator = firestore_emulator.attach_or_start(log_path=firestore_log)
    os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host

    auth = None
    if not args.no_auth_emulator and not os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"):
        auth = _start_auth_in_background(args.auth_port, f"{base}/")

    vision_endpoint = None
    if not args.no_vision and not os.environ.get("VISION_API_ENDPOINT"):
        from devtools.vision_server import start_vision_server

        vision_endpoint = start_vision_server(args.vision_port or 0).endpoint
    storage_host = None
    if not os.environ.get("STORAGE_EMULATOR_HOST"):
        from devtools.storage_emulator import start_storage_emulator

        storage_host = start_storage_emulator(_bucket(), args.storage_port).host
    _defaults(vision_endpoint, storage_host)

    from werkzeug.serving import run_simple

    from devtools.console_site import WEB_DIST, RunAddresses, console_site
    from devtools.function_apps import DEFAULT_REGION, combined_app, function_signatures

    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    region = os.environ.get("FUNCTION_REGION") or DEFAULT_REGION
    site = console_site(RunAddresses(
        project=project, bucket=os.environ["STORAGE_BUCKET"], region=region, port=args.port,
        auth_emulator=os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")))
    app = combined_app(project=project, region=region, site=site)
    threading.Thread(target=_sweeper, args=(args.sweep_every,), daemon=True).start()
    args.run_info.write_text(json.dumps({
        "base": base, "project": os.environ["GOOGLE_CLOUD_PROJECT"],
        "bucket": os.environ["STORAGE_BUCKET"],
        "storage_emulator": os.environ.get("STORAGE_EMULATOR_HOST"),
        "firestore_emulator": emulator.host,
        "auth_emulator": os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")}))
    print(f"\nLocal functions at {base}/<function name> and {base}/{project}/{region}/"
          f"<function name>  (Firestore emulator {emulator.host}; the list: "
          f"{base}/__/functions)")
    for name, kind in sorted(function_signatures().items()):
        print(f"  {kind:10} {base}/{name}")
    print("\nA token:  .venv/bin/python -m devtools.tokens alice --staff  (or root --admin, "
          "mona --moderator)")
    print("Moderate an image:  .venv/bin/python -m devtools.send_image photo.jpg")
    built = "" if (WEB_DIST / "index.html").is_file() else \
        "  (not built: run scripts/setup, or (cd web && npm ci && npm run build))"
    print(f"\nThe console:  {base}/{built}")
    if auth is not None:
        print(f"Sign in as {describe_accounts()}; password {SEEDED_PASSWORD} "
              f"(Auth emulator {auth.host}, ready in about 10 s)")
    elif args.no_auth_emulator or not os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"):
        print("No Auth emulator in this run: the console cannot sign in")
    else:
        print(f"The console signs in with the Auth emulator at "
              f"{os.environ['FIREBASE_AUTH_EMULATOR_HOST']} (not started here)")
    print(flush=True)
    try:
        run_simple("127.0.0.1", args.port, app, threaded=True, use_reloader=False)
    finally:
        emulator.stop()
        if auth is not None:
            auth.stop()


if __name__ == "__main__":
    main()
