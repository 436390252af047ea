"""The one place that reads configuration.

Everything comes from the process environment: locally from the shell / `.env.local`,
in production from Firebase params (deployed as environment variables) and Secret
Manager params (exposed to the function as environment variables). `load_settings`
validates it all at start and hands out typed, frozen settings; secrets are kept in
`Secret` so they never end up in a log line or a repr.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moderation.strategy import FallbackStrategy

DEFAULT_PROJECT_ID = "demo-inventory"
# Cloud Billing months follow Pacific time, so the quota month flips when the bill does.
DEFAULT_QUOTA_TIMEZONE = "America/Los_Angeles"
# The warehouse's clock: an inventory export writes its dates in this zone.
DEFAULT_INVENTORY_TIMEZONE = "Europe/Istanbul"


class ConfigError(RuntimeError):
    """Configuration is missing or invalid; the message lists every problem."""


@dataclass(frozen=True)
class Secret:
    """A secret value that never prints itself."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "****"

    def __repr__(self) -> str:
        return "Secret(****)"

    def __bool__(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True)
class B2Settings:
    key_id: Secret
    application_key: Secret
    bucket_name: str
    # b2sdk retries up to 20 times with 128 s timeouts by default: far past a function's
    # timeout. These bound one B2 call so that a retry by the task queue can follow.
    max_attempts: int = 3
    timeout_s: float = 20.0


@dataclass(frozen=True)
class Settings:
    project_id: str
    running_in_cloud: bool
    storage_bucket: str | None
    # QR labels
    b2: B2Settings | None
    local_blob_dir: Path
    qr_store_mode: str  # "task_queue" (production) or "in_process" (local run, tests)
    qr_store_batch_size: int
    functions_region: str
    # Vision moderation
    vision_endpoint: str | None  # None: Google's default endpoint
    vision_timeout_s: float
    vision_default_monthly_limit: int
    vision_default_fallback: FallbackStrategy
    vision_price_per_1000_units: float
    vision_free_units: int
    quota_timezone: ZoneInfo
    quarantine_prefix: str
    inventory_timezone: ZoneInfo
    moderation_skip_prefixes: tuple[str, ...]
    max_analyze_bytes: int
    vision_reserve_budget_s: float = 15.0
    # The 'local' strategy's on-device model: scores at or above review_at are kept for
    # review, at or above reject_at held back (moderation/fallback.py, LocalThresholds).
    local_nsfw_review_at: float = 0.2
    local_nsfw_reject_at: float = 0.8
    # Deferred re-checks: "task_queue" (production) or "in_process" (local run, tests);
    # the first delay after a transient failure, and the in-process retry back-off (Cloud
    # Tasks takes its back-off from the function's RetryConfig in main.py).
    recheck_mode: str = "in_process"
    recheck_delay_s: float = 30.0
    recheck_retry_min_s: float = 10.0
    recheck_retry_max_s: float = 600.0
    # "json": one Cloud Logging entry per line (the default in Cloud Functions);
    # "text": readable lines (the default elsewhere).
    log_format: str = "text"
    # A finishing count session waits this long for scan batches already on their way.
    count_finish_grace_s: float = 3.0
    # A Cloud Billing budget notification whose cost / budget reaches this share switches
    # Vision off (moderation/budget_alerts.py); 1.0 = 100 %.
    vision_budget_disable_at: float = 1.0
    # Animated images (GIF, WebP, APNG) and multi-page TIFFs: this many frames (the first,
    # the last and evenly spaced ones) are judged, on one sheet (moderation/frames.py).
    moderation_max_frames: int = 9
    # The review queue: the moderators are told (once a day) when the oldest image waiting
    # for a person has waited longer than this.
    review_sla_hours: int = 24
    # App Check on the callables app users call (the pre-upload check): enforce a valid
    # token, and consume each one (replay protection, limited-use tokens).
    enforce_app_check: bool = False
    app_check_replay_protection: bool = False
    # The per-account Vision allowances until an admin sets them (moderation/allowance.py).
    vision_allowance_daily: int = 20
    vision_allowance_monthly: int = 200
    vision_allowance_new_account_daily: int = 5
    vision_allowance_unattributed_daily: int | None = None  # None: daily x 5
    # Local-only switches
    auth_emulator_host: str | None = None
    firestore_emulator_host: str | None = None


def _int(env: Mapping[str, str], name: str, default: int, problems: list[str], *,
         minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        problems.append(f"{name} must be an integer, got {raw!r}")
        return default
    if value < minimum:
        problems.append(f"{name} must be >= {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name} must be a number, got {raw!r}")
        return default
    if value <= 0:
        problems.append(f"{name} must be > 0, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool, problems: list[str]) -> bool:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if raw in ("true", "True", "TRUE", "1"):
        return True
    if raw in ("false", "False", "FALSE", "0"):
        return False
    problems.append(f"{name} must be true or false, got {env.get(name)!r}")
    return default


def _project_id(env: Mapping[str, str]) -> str:
    for name in ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT"):
        if env.get(name):
            return env[name]
    firebase_config = env.get("FIREBASE_CONFIG")
    if firebase_config:
        try:
            project = json.loads(firebase_config).get("projectId")
        except (ValueError, AttributeError):
            project = None
        if project:
            return str(project)
    return DEFAULT_PROJECT_ID


def _storage_bucket(env: Mapping[str, str]) -> str | None:
    if env.get("STORAGE_BUCKET"):
        return env["STORAGE_BUCKET"]
    firebase_config = env.get("FIREBASE_CONFIG")
    if firebase_config:
        try:
            bucket = json.loads(firebase_config).get("storageBucket")
        except (ValueError, AttributeError):
            bucket = None
        if bucket:
            return str(bucket)
    return None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    problems: list[str] = []

    # K_SERVICE is set by Cloud Run / Cloud Functions; FUNCTIONS_EMULATOR by the
    # Firebase emulator suite, which also sets K_SERVICE.
    running_in_cloud = bool(env.get("K_SERVICE")) and env.get("FUNCTIONS_EMULATOR") != "true"
    auth_emulator = env.get("FIREBASE_AUTH_EMULATOR_HOST") or None
    if running_in_cloud and auth_emulator:
        # firebase-admin accepts unsigned tokens while this is set: never in production.
        problems.append(
            "FIREBASE_AUTH_EMULATOR_HOST is set while running in Cloud Functions; "
            "that would accept unsigned ID tokens. Remove it from the deployment."
        )

    key_id = env.get("B2_APPLICATION_KEY_ID", "")
    app_key = env.get("B2_APPLICATION_KEY", "")
    bucket_name = env.get("B2_BUCKET_NAME", "")
    b2: B2Settings | None = None
    given = [bool(key_id), bool(app_key), bool(bucket_name)]
    if all(given):
        b2 = B2Settings(
            key_id=Secret(key_id),
            application_key=Secret(app_key),
            bucket_name=bucket_name,
            max_attempts=_int(env, "B2_MAX_ATTEMPTS", 3, problems, minimum=1),
            timeout_s=_float(env, "B2_TIMEOUT_S", 20.0, problems),
        )
    elif any(given):
        problems.append(
            "B2 is half configured: set all of B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY "
            "and B2_BUCKET_NAME, or none of them to use the local folder store"
        )
    if running_in_cloud and b2 is None:
        problems.append("B2_APPLICATION_KEY_ID, B2_APPLICATION_KEY and B2_BUCKET_NAME are "
                        "required in Cloud Functions (Secret Manager params)")

    default_mode = "task_queue" if running_in_cloud else "in_process"
    store_mode = env.get("QR_STORE_MODE") or default_mode
    if store_mode not in ("task_queue", "in_process"):
        problems.append(f"QR_STORE_MODE must be task_queue or in_process, got {store_mode!r}")
    recheck_mode = env.get("RECHECK_QUEUE_MODE") or default_mode
    if recheck_mode not in ("task_queue", "in_process"):
        problems.append("RECHECK_QUEUE_MODE must be task_queue or in_process, got "
                        f"{recheck_mode!r}")

    log_format = env.get("LOG_FORMAT") or ("json" if running_in_cloud else "text")
    if log_format not in ("json", "text"):
        problems.append(f"LOG_FORMAT must be json or text, got {log_format!r}")

    raw_fallback = env.get("VISION_FALLBACK_STRATEGY") or FallbackStrategy.WARN.value
    fallback = FallbackStrategy.parse(raw_fallback)
    if fallback is None:
        problems.append(f"VISION_FALLBACK_STRATEGY must be one of {FallbackStrategy.names()}, "
                        f"got {raw_fallback!r}")
        fallback = FallbackStrategy.WARN
    review_at = _float(env, "LOCAL_NSFW_REVIEW_AT", 0.2, problems)
    reject_at = _float(env, "LOCAL_NSFW_REJECT_AT", 0.8, problems)
    if not 0.0 <= review_at <= reject_at <= 1.0:
        problems.append("LOCAL_NSFW_REVIEW_AT and LOCAL_NSFW_REJECT_AT must satisfy "
                        f"0 <= review <= reject <= 1, got {review_at} and {reject_at}")
        review_at, reject_at = 0.2, 0.8

    tz_name = env.get("QUOTA_TIMEZONE") or DEFAULT_QUOTA_TIMEZONE
    try:
        quota_tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"QUOTA_TIMEZONE {tz_name!r} is not a known IANA time zone")
        quota_tz = ZoneInfo(DEFAULT_QUOTA_TIMEZONE)

    inventory_tz_name = env.get("INVENTORY_TIMEZONE") or DEFAULT_INVENTORY_TIMEZONE
    try:
        inventory_tz = ZoneInfo(inventory_tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"INVENTORY_TIMEZONE {inventory_tz_name!r} is not a known IANA time "
                        "zone")
        inventory_tz = ZoneInfo(DEFAULT_INVENTORY_TIMEZONE)

    quarantine = (env.get("MODERATION_QUARANTINE_PREFIX") or "quarantine/").lstrip("/")
    if not quarantine.endswith("/"):
        quarantine += "/"
    skip = tuple(p for p in (env.get("MODERATION_SKIP_PREFIXES") or "").split(",") if p)

    settings = Settings(
        project_id=_project_id(env),
        running_in_cloud=running_in_cloud,
        storage_bucket=_storage_bucket(env),
        b2=b2,
        local_blob_dir=Path(env.get("LOCAL_BLOB_DIR") or ".local/blobs"),
        qr_store_mode=store_mode,
        qr_store_batch_size=_int(env, "QR_STORE_BATCH_SIZE", 100, problems, minimum=1),
        functions_region=env.get("FUNCTION_REGION") or env.get("FUNCTIONS_REGION")
        or "us-central1",
        vision_endpoint=env.get("VISION_API_ENDPOINT") or None,
        vision_timeout_s=_float(env, "VISION_TIMEOUT_S", 20.0, problems),
        vision_default_monthly_limit=_int(env, "VISION_MONTHLY_LIMIT", 1000, problems),
        vision_default_fallback=fallback,
        local_nsfw_review_at=review_at,
        local_nsfw_reject_at=reject_at,
        vision_price_per_1000_units=_float(env, "VISION_PRICE_PER_1000_UNITS", 1.5, problems),
        vision_free_units=_int(env, "VISION_FREE_UNITS", 1000, problems),
        quota_timezone=quota_tz,
        quarantine_prefix=quarantine,
        inventory_timezone=inventory_tz,
        moderation_skip_prefixes=skip,
        max_analyze_bytes=_int(env, "ANALYZE_MAX_BYTES", 4 * 1024 * 1024, problems, minimum=1),
        vision_reserve_budget_s=_float(env, "VISION_RESERVE_BUDGET_S", 15.0, problems),
        recheck_mode=recheck_mode,
        recheck_delay_s=_float(env, "RECHECK_DELAY_S", 30.0, problems),
        recheck_retry_min_s=_float(env, "RECHECK_RETRY_MIN_S", 10.0, problems),
        recheck_retry_max_s=_float(env, "RECHECK_RETRY_MAX_S", 600.0, problems),
        log_format=log_format,
        count_finish_grace_s=_float(env, "COUNT_FINISH_GRACE_S", 3.0, problems),
        vision_budget_disable_at=_float(env, "VISION_BUDGET_DISABLE_AT", 1.0, problems),
        moderation_max_frames=_int(env, "MODERATION_MAX_FRAMES", 9, problems, minimum=1),
        review_sla_hours=_int(env, "REVIEW_SLA_HOURS", 24, problems, minimum=1),
        enforce_app_check=_bool(env, "ENFORCE_APP_CHECK", False, problems),
        app_check_replay_protection=_bool(env, "APP_CHECK_REPLAY_PROTECTION", False, problems),
        vision_allowance_daily=_int(env, "VISION_ALLOWANCE_DAILY", 20, problems),
        vision_allowance_monthly=_int(env, "VISION_ALLOWANCE_MONTHLY", 200, problems),
        vision_allowance_new_account_daily=_int(env, "VISION_ALLOWANCE_NEW_ACCOUNT_DAILY", 5,
                                                problems),
        vision_allowance_unattributed_daily=(
            _int(env, "VISION_ALLOWANCE_UNATTRIBUTED_DAILY", 0, problems)
            if env.get("VISION_ALLOWANCE_UNATTRIBUTED_DAILY") else None),
        auth_emulator_host=auth_emulator,
        firestore_emulator_host=env.get("FIRESTORE_EMULATOR_HOST") or None,
    )
    if problems:
        raise ConfigError("Invalid configuration:\n- " + "\n- ".join(problems))
    return settings
