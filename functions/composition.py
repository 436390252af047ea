"""The composition root: the one place that builds adapters and use cases.

Each factory runs on first use and is cached for the life of the instance, so a
function only pays for the clients it touches (the moderation trigger never imports
qrcode or b2sdk; the QR functions never import google.cloud.vision). Tests reset the
caches with `reset()` after changing the environment.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from identity import Caller
from infra.config import Settings, load_settings

if TYPE_CHECKING:
    from google.cloud import firestore

    from infra.firestore_rechecks import FirestoreRecheckStore
    from moderation.accounts import Spenders
    from moderation.activity import AdminActivity
    from moderation.admin import VisionAdmin
    from moderation.appeals import Appeals
    from moderation.budget_alerts import VisionBudgetAlerts
    from moderation.fallback import Fallback
    from moderation.image_reader import ImageReader
    from moderation.paid_vision import PaidVision
    from moderation.placement import Placement
    from moderation.ports import (
        AccountDirectory,
        AppCheckTokens,
        FrameSampler,
        LocalImageClassifier,
        RecheckQueue,
    )
    from moderation.pre_upload_check import PreUploadCheck
    from moderation.rechecks import ModerationRechecks
    from moderation.review_desk import ReviewDesk
    from moderation.review_intake import ReviewIntake
    from moderation.uploaded_images import UploadModeration
    from qr.inventory_export import InventoryExport
    from qr.listing import LowStockDigest, PartsListing
    from qr.ports import BlobStore, StoreQueue
    from qr.service import QrLabels
    from roles.management import RoleManagement
    from stocktake.listing import SessionsListing
    from stocktake.sessions import CountSessions

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

# Factories build under one lock: concurrent first requests (a threaded local run, Cloud
# Functions with concurrency above 1) must share one client and one queue, not race to
# build one each.
_BUILD_LOCK = threading.RLock()


class _Factory(Protocol[T_co]):
    def __call__(self) -> T_co: ...

    def cache_info(self) -> Any: ...

    def cache_clear(self) -> None: ...


class _Once(Generic[T]):
    """functools.cache that builds at most once even when first called from many threads."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._cached = functools.cache(factory)
        functools.update_wrapper(self, factory)

    def __call__(self) -> T:
        if self._cached.cache_info().currsize:
            return self._cached()
        with _BUILD_LOCK:
            return self._cached()

    def cache_info(self) -> Any:
        return self._cached.cache_info()

    def cache_clear(self) -> None:
        self._cached.cache_clear()


def _once(factory: Callable[[], T]) -> _Once[T]:
    return _Once(factory)


STORE_TASK_FUNCTION = "storeQrBatch"
RECHECK_TASK_FUNCTION = "recheckUploadedImage"


def utc_now() -> datetime:
    return datetime.now(UTC)


@_once
def settings() -> Settings:
    return load_settings()


@_once
def _firebase_app() -> object:
    from infra.firebase_app import ensure_app

    return ensure_app(settings().project_id)


def initialize() -> None:
    """At instance start: validate the configuration (a bad deploy fails loudly, at once),
    set up logging (structured for Cloud Logging in production) and initialise
    firebase_admin, which the callable protocol's token check needs before any function
    body runs."""
    from infra.logs import configure_logging

    configure_logging(structured=settings().log_format == "json")
    _firebase_app()
    from infra.http_boundary import set_token_check

    set_token_check(lambda claims: token_revocations().check(claims))


def authenticate(authorization: str | None) -> Caller | None:
    """Bearer header -> Caller (None when absent); used by every HTTP function."""
    if not authorization:
        return None
    _firebase_app()
    from infra.auth import caller_from_authorization

    config = settings()
    return caller_from_authorization(
        authorization, local_project=config.project_id if config.auth_emulator_host else None,
        check=token_revocations().check)


@_once
def token_revocations():  # -> infra.token_revocation.TokenRevocations
    """Revoked tokens refused within a minute everywhere, at once on this instance."""
    from infra.token_revocation import TokenRevocations

    return TokenRevocations(_firebase_app)


@_once
def firestore_client() -> firestore.Client:
    from google.cloud import firestore

    return firestore.Client(project=settings().project_id)


# -- QR labels ------------------------------------------------------------------------------

@_once
def blob_store() -> BlobStore:
    config = settings()
    if config.b2 is not None:
        from infra.b2_blob_store import B2BlobStore
        from infra.lazy_blob_store import LazyBlobStore

        b2 = config.b2
        return LazyBlobStore(lambda: B2BlobStore.connect(b2))
    from infra.local_blob_store import LocalBlobStore

    return LocalBlobStore(config.local_blob_dir)


@_once
def store_queue() -> StoreQueue:
    from infra.store_queues import TaskStoreQueue

    config = settings()
    if config.qr_store_mode == "task_queue":
        from infra.task_queues import CloudTasksQueue

        _firebase_app()
        return TaskStoreQueue(CloudTasksQueue(STORE_TASK_FUNCTION, config.functions_region,
                                              config.project_id))
    from infra.task_queues import InProcessTaskQueue

    return TaskStoreQueue(InProcessTaskQueue(
        lambda payload: qr_labels().store_files(payload["qr_ids"]), name="qr-store"))


@_once
def qr_labels() -> QrLabels:
    from infra.firestore_qr_repository import FirestoreQrRepository
    from qr.service import QrLabels

    return QrLabels(FirestoreQrRepository(firestore_client(), utc_now), blob_store(),
                    store_queue(), batch_size=settings().qr_store_batch_size)


# -- Vision moderation ----------------------------------------------------------------------

@_once
def vision_ledger():  # -> infra.firestore_vision_ledger.FirestoreVisionLedger
    from infra.firestore_vision_ledger import FirestoreVisionLedger

    config = settings()
    return FirestoreVisionLedger(firestore_client(), default_vision_settings(),
                                 config.quota_timezone, utc_now,
                                 reserve_budget_s=config.vision_reserve_budget_s)


def default_vision_settings():  # -> moderation.settings.VisionSettings
    from moderation.allowance import AllowanceSettings
    from moderation.settings import VisionSettings

    config = settings()
    return VisionSettings(fallback_strategy=config.vision_default_fallback,
                          monthly_limit=config.vision_default_monthly_limit,
                          allowance=AllowanceSettings(
                              daily=config.vision_allowance_daily,
                              monthly=config.vision_allowance_monthly,
                              new_account_daily=config.vision_allowance_new_account_daily,
                              unattributed_daily=config.vision_allowance_unattributed_daily))


@_once
def account_directory() -> AccountDirectory:
    from infra.account_directory import CachedAccountDirectory

    return CachedAccountDirectory(_firebase_app)


def spenders() -> Spenders:
    from moderation.accounts import Spenders

    return Spenders(account_directory())


@_once
def paid_vision() -> PaidVision:
    """The one path of every paid Vision call (trigger, pre-upload check, re-check)."""
    from moderation.paid_vision import PaidVision

    return PaidVision(vision_ledger(), vision_classifier(), default_vision_settings())


@_once
def vision_classifier():  # -> infra.vision_safesearch.VisionSafeSearch (client built lazily)
    from infra.vision_safesearch import VisionSafeSearch

    config = settings()
    return VisionSafeSearch.create(config.vision_endpoint, config.vision_timeout_s)


@_once
def local_image_classifier() -> LocalImageClassifier:
    """The 'local' strategy's on-device model; onnxruntime loads on its first image."""
    from infra.local_nsfw import OpenNsfwClassifier

    return OpenNsfwClassifier()


@_once
def fallback() -> Fallback:
    from moderation.fallback import LocalThresholds, StrategyFallback

    config = settings()
    return StrategyFallback(local_image_classifier, LocalThresholds(
        review_at=config.local_nsfw_review_at, reject_at=config.local_nsfw_reject_at))


@_once
def object_store():  # -> infra.gcs_objects.GcsObjectStore (client built lazily)
    from infra.gcs_objects import GcsObjectStore

    return GcsObjectStore.create(settings().project_id)


@_once
def frame_sampler() -> FrameSampler:
    """Frames of animations and HEIC photos, for Vision; Pillow loads on first use."""
    from infra.frame_sampler import PillowFrameSampler

    return PillowFrameSampler(max_frames=settings().moderation_max_frames)


def image_reader() -> ImageReader:
    from moderation.image_reader import ImageReader

    return ImageReader(object_store(), frame_sampler())


def placement() -> Placement:
    from moderation.placement import Placement

    return Placement(object_store(), settings().quarantine_prefix, utc_now)


@_once
def recheck_queue() -> RecheckQueue:
    config = settings()
    if config.recheck_mode == "task_queue":
        from infra.task_queues import CloudTasksQueue

        _firebase_app()
        return CloudTasksQueue(RECHECK_TASK_FUNCTION, config.functions_region,
                               config.project_id)
    from infra.task_queues import InProcessTaskQueue

    return InProcessTaskQueue(lambda payload: moderation_rechecks().run(payload),
                              name="recheck", workers=4, max_attempts=20,
                              min_backoff_s=config.recheck_retry_min_s,
                              max_backoff_s=config.recheck_retry_max_s)


@_once
def moderation_store() -> FirestoreRecheckStore:
    """The re-check backlog and the uploader-readable records (one Firestore adapter)."""
    from infra.firestore_rechecks import FirestoreRecheckStore

    return FirestoreRecheckStore(firestore_client(), utc_now)


@_once
def moderation_rechecks() -> ModerationRechecks:
    from moderation.rechecks import ModerationRechecks

    config = settings()
    return ModerationRechecks(
        store=moderation_store(), queue=recheck_queue(), ledger=vision_ledger(),
        paid=paid_vision(), spenders=spenders(), reader=image_reader(),
        objects=object_store(),
        placement=placement(), clock=utc_now, tz=config.quota_timezone,
        retry_delay_s=config.recheck_delay_s, review=review_intake())


@_once
def upload_moderation() -> UploadModeration:
    from moderation.uploaded_images import UploadModeration

    config = settings()
    return UploadModeration(
        paid=paid_vision(), spenders=spenders(), fallback=fallback(),
        reader=image_reader(), placement=placement(), rechecks=moderation_rechecks(),
        records=moderation_store(), quarantine_prefix=config.quarantine_prefix,
        skip_prefixes=config.moderation_skip_prefixes, clock=utc_now, review=review_intake())


# -- the review queue (people decide what the machine could not) -----------------------------

@_once
def review_queue():  # -> infra.firestore_review.FirestoreReviewQueue
    from infra.firestore_review import FirestoreReviewQueue

    return FirestoreReviewQueue(firestore_client(), utc_now)


def review_intake() -> ReviewIntake:
    from moderation.review_intake import ReviewIntake

    return ReviewIntake(review_queue(), settings().quarantine_prefix, utc_now)


def _notices():  # -> infra.firestore_review.FirestoreNotices
    from infra.firestore_review import FirestoreNotices

    return FirestoreNotices(firestore_client())


@_once
def review_desk() -> ReviewDesk:
    from datetime import timedelta

    from infra.firestore_audit import FirestoreAuditLog
    from infra.review_previews import PillowReviewPreviews
    from moderation.review_desk import ReviewDesk

    store = moderation_store()
    return ReviewDesk(
        queue=review_queue(), rechecks=moderation_rechecks(),
        paid=paid_vision(), objects=object_store(), placement=placement(),
        previews=PillowReviewPreviews(), notices=_notices(),
        audit=FirestoreAuditLog(firestore_client(), utc_now), job_path=store.upload_job_path,
        clock=utc_now, sla=timedelta(hours=settings().review_sla_hours),
        directory=account_directory())


@_once
def appeals() -> Appeals:
    from moderation.appeals import Appeals

    return Appeals(queue=review_queue(), records=moderation_store(), notices=_notices(),
                   quarantine_prefix=settings().quarantine_prefix, clock=utc_now)


@_once
def pre_upload_check() -> PreUploadCheck:
    from moderation.pre_upload_check import PreUploadCheck

    config = settings()
    return PreUploadCheck(
        paid=paid_vision(), spenders=spenders(), fallback=fallback(),
        frames=frame_sampler(), objects=object_store(), max_analyze_bytes=config.max_analyze_bytes,
        own_bucket=config.storage_bucket,
        replay_guard=app_check_tokens() if config.app_check_replay_protection else None)


def app_check_tokens() -> AppCheckTokens:
    """App Check replay protection: each limited-use token consumed once."""
    from infra.app_check_tokens import FirebaseAppCheckTokens

    return FirebaseAppCheckTokens(_firebase_app)


@_once
def vision_admin() -> VisionAdmin:
    from moderation.admin import VisionAdmin

    config = settings()
    return VisionAdmin(vision_ledger(), utc_now, config.quota_timezone,
                       config.vision_free_units, config.vision_price_per_1000_units,
                       rechecks=moderation_rechecks(), directory=account_directory())


@_once
def vision_budget_alerts() -> VisionBudgetAlerts:
    """Cloud Billing budget notifications: switch Vision off through the admins' switch."""
    from infra.firestore_budget_alerts import FirestoreBudgetAlerts
    from moderation.budget_alerts import VisionBudgetAlerts

    return VisionBudgetAlerts(switch=vision_ledger(),
                              records=FirestoreBudgetAlerts(firestore_client()),
                              disable_at=settings().vision_budget_disable_at, clock=utc_now)


# -- stock-taking ---------------------------------------------------------------------------

@_once
def count_sessions() -> CountSessions:
    from infra.firestore_count_store import FirestoreCountStore
    from stocktake.sessions import CountSessions

    return CountSessions(FirestoreCountStore(firestore_client(), utc_now), utc_now,
                         finish_grace_s=settings().count_finish_grace_s)


# -- the console's read models ----------------------------------------------------------------

@_once
def listings():  # -> infra.firestore_listings.FirestoreListings
    from infra.firestore_listings import FirestoreListings

    return FirestoreListings(firestore_client())


@_once
def parts_listing() -> PartsListing:
    from qr.listing import PartsListing

    return PartsListing(listings())


@_once
def low_stock_digest() -> LowStockDigest:
    from qr.listing import LowStockDigest

    return LowStockDigest(listings(), _notices(), utc_now)


@_once
def inventory_export() -> InventoryExport:
    from qr.inventory_export import InventoryExport

    return InventoryExport(listings(), utc_now, settings().inventory_timezone)


@_once
def sessions_listing() -> SessionsListing:
    from stocktake.listing import SessionsListing

    return SessionsListing(listings())


@_once
def admin_activity() -> AdminActivity:
    from moderation.activity import AdminActivity

    return AdminActivity(listings())


# -- roles ----------------------------------------------------------------------------------

@_once
def role_management() -> RoleManagement:
    from infra.firebase_users import FirebaseUserDirectory
    from infra.firestore_audit import FirestoreAuditLog
    from infra.firestore_role_lock import FirestoreRoleLock
    from roles.management import RoleManagement

    return RoleManagement(FirebaseUserDirectory(_firebase_app),
                          FirestoreAuditLog(firestore_client(), utc_now),
                          FirestoreRoleLock(firestore_client(), utc_now),
                          on_revoked=token_revocations().forget)


def reset() -> None:
    """Forget every built object (tests change the environment between cases); in-process
    queues are closed first, so none of their leftover tasks runs against the next case."""
    queue_factories: tuple[_Factory[object], ...] = (store_queue, recheck_queue)
    for queue_factory in queue_factories:
        if queue_factory.cache_info().currsize:
            close = getattr(queue_factory(), "close", None)
            if close is not None:
                close()
    factories: tuple[_Factory[object], ...] = (
        settings, _firebase_app, firestore_client, blob_store, store_queue, qr_labels,
        vision_ledger, vision_classifier, object_store, recheck_queue, moderation_store,
        account_directory, paid_vision, token_revocations, frame_sampler,
        moderation_rechecks, fallback,
        upload_moderation, pre_upload_check, vision_admin, vision_budget_alerts,
        review_queue, review_desk, appeals,
        role_management, count_sessions, listings, parts_listing, low_stock_digest,
        inventory_export,
        sessions_listing,
        admin_activity)
    for factory in factories:
        factory.cache_clear()
    # local_image_classifier is kept: it reads no configuration, and loading the model
    # again for every test case would cost a second each.
