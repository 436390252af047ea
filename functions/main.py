"""Every deployed function, declared here. Each body: parse the platform request, call one
use case (built in composition.py), shape the reply (infra/http_boundary.py).

Nothing heavy is imported at module load: clients and SDKs are built on first use, so the
moderation trigger never pays for qrcode/b2sdk and the QR functions never import Vision.
The camelCase names of the system we replace are exported too, so existing clients work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firebase_functions import https_fn, options, pubsub_fn, scheduler_fn, storage_fn, tasks_fn

import composition as app
from deploy_params import B2_SECRETS, VISION_BUDGET_TOPIC
from infra import http_boundary as http
from stocktake.sessions import report_format

options.set_global_options(max_instances=20)
app.initialize()

# Browsers call the QR functions with a bearer token, never cookies, so any origin may.
_CORS = options.CorsOptions(cors_origins="*", cors_methods=["get", "head", "post"])
_QR: dict[str, Any] = {"secrets": B2_SECRETS, "memory": options.MemoryOption.MB_512,
                       "timeout_sec": 300}
_QR_HTTP: dict[str, Any] = {**_QR, "cors": _CORS}
_CALLABLE: dict[str, Any] = {"memory": options.MemoryOption.MB_256, "timeout_sec": 60}
# Functions that may judge an image with the on-device model (fallback strategy 'local'):
# onnxruntime and the model take about 250 MB beside our imports (bench/local_model.py).
# An admin can switch to 'local' at any time, so the memory is there from the deploy on.
_JUDGES_LOCALLY = options.MemoryOption.MB_512


def _callable(handler: Callable[[https_fn.CallableRequest], Any], **overrides: Any) -> Any:
    """A callable function: the body limits of infra/request_limits.py first (the callable
    protocol parses the body before our code runs), then firebase-functions' protocol."""
    return http.limit_callable_input(https_fn.on_call(**{**_CALLABLE, **overrides})(handler))


def _callable_for_app_users(handler: Callable[[https_fn.CallableRequest], Any]) -> Any:
    """What app users call (the pre-upload check): it may judge with the on-device model,
    and App Check is enforced when ENFORCE_APP_CHECK is on (a call without a valid token is
    refused by the protocol before any of our code runs)."""
    return _callable(handler, memory=_JUDGES_LOCALLY,
                     enforce_app_check=app.settings().enforce_app_check)


# -- Inventory QR labels (HTTP, Firebase ID token in "Authorization: Bearer ...") -----------

@https_fn.on_request(**_QR_HTTP)
def upload_parts(req: https_fn.Request) -> https_fn.Response:
    def act(caller):
        upload = req.files.get("file")
        result = (app.qr_labels().upload_parts(caller, filename=upload.filename,
                                               content=upload.read(),
                                               dry_run=req.form.get("dry_run"))
                  if upload is not None
                  else app.qr_labels().upload_parts(caller, body=http.json_body(req)))
        return http.json_response(result, 200 if result.get("dry_run") else 201)
    return http.serve_http(req, {"POST"}, app.authenticate, act)


@https_fn.on_request(**_QR_HTTP)
def generate_qr_image(req: https_fn.Request) -> https_fn.Response:
    def act(caller):
        image = app.qr_labels().image(caller, http.path_argument(req))
        return http.png_response(req, image.png, image.etag)
    return http.serve_http(req, {"GET", "HEAD"}, app.authenticate, act)


@https_fn.on_request(**_QR_HTTP)
def download_single_qr(req: https_fn.Request) -> https_fn.Response:
    def act(caller):
        image = app.qr_labels().download(caller, http.path_argument(req))
        return http.png_response(req, image.png, image.etag,
                                 download_name=f"{image.qr_id}.png")
    return http.serve_http(req, {"GET"}, app.authenticate, act)


@https_fn.on_request(**_QR_HTTP)
def download_qr_zip(req: https_fn.Request) -> https_fn.Response:
    def act(caller):
        part_code, qr_ids = http.zip_selection_input(req)
        labels = app.qr_labels()
        records = labels.zip_selection(caller, part_code=part_code, qr_ids=qr_ids)
        return http.zip_response(labels.zip_entries(caller, records),
                                 labels.zip_name(part_code))
    return http.serve_http(req, {"GET", "POST"}, app.authenticate, act)


@https_fn.on_request(**_QR_HTTP)
def download_label_sheet(req: https_fn.Request) -> https_fn.Response:
    """A PDF of labels on a sheet or label-printer preset (qr/sheet_layouts.py)."""
    def act(caller):
        sheet = app.qr_labels().label_sheet(caller, http.request_fields(req))
        return http.pdf_response(sheet.pdf, sheet.filename)
    return http.serve_http(req, {"GET", "POST"}, app.authenticate, act)


@https_fn.on_request(**_QR_HTTP)
def clear_all_qrs(req: https_fn.Request) -> https_fn.Response:
    def act(caller):
        return http.json_response(app.qr_labels().clear_all(caller, http.json_body(req)))
    return http.serve_http(req, {"POST"}, app.authenticate, act)


@_callable
def mark_units_used(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.qr_labels().mark_used)

@_callable
def markUnitsUsed(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.qr_labels().mark_used)


@_callable
def list_parts(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.parts_listing().list_parts)

@_callable
def listParts(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.parts_listing().list_parts)


@https_fn.on_request(cors=_CORS, memory=options.MemoryOption.MB_512, timeout_sec=300)
def export_inventory(req: https_fn.Request) -> https_fn.Response:
    """GET ?format=xlsx|csv&scope=parts|units: the inventory, streamed, headers in the
    caller's language."""
    def act(caller):
        return http.inventory_response(app.inventory_export().export(
            caller, http.request_fields(req), http.reply_language()))
    return http.serve_http(req, {"GET"}, app.authenticate, act)


@_callable
def set_part_minimum(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.qr_labels().set_minimum)

@_callable
def setPartMinimum(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.qr_labels().set_minimum)


@_callable
def get_unit(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.qr_labels().unit)

@_callable
def getUnit(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.qr_labels().unit)


@scheduler_fn.on_schedule(schedule="every day 07:00",
                          timezone=scheduler_fn.Timezone("Europe/Istanbul"), timeout_sec=60)
def send_low_stock_digest(event: scheduler_fn.ScheduledEvent) -> None:
    """One admin notice a day listing the parts below their minimum (none: no notice)."""
    app.low_stock_digest().send()


@http.limit_callable_input  # the same body limits as the callables
@tasks_fn.on_task_dispatched(
    retry_config=options.RetryConfig(max_attempts=20, min_backoff_seconds=10,
                                     max_backoff_seconds=600),
    rate_limits=options.RateLimits(max_concurrent_dispatches=10),
    **_QR)
def storeQrBatch(req: tasks_fn.CallableRequest) -> dict[str, Any]:
    """Store a batch of PNGs in B2. UNAVAILABLE (503) makes Cloud Tasks retry the batch;
    INVALID_ARGUMENT (400) is a task that no retry can fix."""
    return http.serve_callable(req.data, None, lambda _caller, data: http.store_report(
        app.qr_labels().store_files(http.qr_id_list(data))))


@scheduler_fn.on_schedule(schedule="every 10 minutes", **_QR)
def sweep_unstored_qrs(event: scheduler_fn.ScheduledEvent) -> None:
    """Safety net: re-enqueue any record whose file is still not stored."""
    app.qr_labels().requeue_unstored()


# -- Stock-taking: count sessions (staff; finish and cancel: who started it, or an admin) ----

@_callable
def start_count_session(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().start)

@_callable
def startCountSession(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().start)


@_callable
def record_scans(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().record_scans)

@_callable
def recordScans(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().record_scans)


@_callable
def undo_scan(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().undo_scan)

@_callable
def undoScan(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().undo_scan)


@_callable
def finish_count_session(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().finish)

@_callable
def finishCountSession(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().finish)


@_callable
def cancel_count_session(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().cancel)

@_callable
def cancelCountSession(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().cancel)


@_callable
def count_session_live(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().live)

@_callable
def countSessionLive(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.count_sessions().live)


@_callable
def list_count_sessions(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.sessions_listing().list_sessions)

@_callable
def listCountSessions(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.sessions_listing().list_sessions)


@https_fn.on_request(cors=_CORS, memory=options.MemoryOption.MB_512, timeout_sec=120)
def count_session_report(req: https_fn.Request) -> https_fn.Response:
    """GET ?session_id=...&format=csv|json: the count as it stands (final once finished)."""
    def act(caller):
        fields = http.request_fields(req)
        sessions, session_id = app.count_sessions(), fields.get("session_id")
        if report_format(fields.get("format")) == "csv":
            return http.csv_response(sessions.report_csv(caller, session_id),
                                     f"count-{session_id}.csv")
        return http.json_response(sessions.report(caller, session_id))
    return http.serve_http(req, {"GET"}, app.authenticate, act)


# -- Image moderation (Cloud Storage trigger and callables) ---------------------------------

# One trigger per bucket: a second one (the old camelCase twin) would judge every upload
# twice. Callables keep both names because clients call them by name; a trigger has none.
@storage_fn.on_object_finalized(timeout_sec=120, memory=_JUDGES_LOCALLY)
def moderate_uploaded_image(event: storage_fn.CloudEvent[storage_fn.StorageObjectData]) -> None:
    app.upload_moderation().moderate_event(event.id, http.storage_object(event.data))


@http.limit_callable_input  # the same body limits as the callables
@tasks_fn.on_task_dispatched(
    retry_config=options.RetryConfig(max_attempts=20, min_backoff_seconds=30,
                                     max_backoff_seconds=3600, max_doublings=6),
    # Vision answers in about a second; ten at a time drains a backlog of thousands in
    # minutes without tripping Vision's per-minute rate limit.
    rate_limits=options.RateLimits(max_concurrent_dispatches=10),
    timeout_sec=120, memory=options.MemoryOption.MB_256)
def recheckUploadedImage(req: tasks_fn.CallableRequest) -> dict[str, Any]:
    """Judge again an image that got a fallback outcome (moderation/rechecks.py).
    UNAVAILABLE makes Cloud Tasks retry with back-off; the queue id allows no "_"."""
    return http.serve_callable(req.data, None, lambda _caller, data: {
        "result": app.moderation_rechecks().run(data)})


@scheduler_fn.on_schedule(schedule="every 10 minutes", timeout_sec=120)
def sweep_moderation_rechecks(event: scheduler_fn.ScheduledEvent) -> None:
    """Safety net and month roll-over: re-enqueue re-checks whose task was lost, and queue
    waiting ones while the budget has room (a new month, say)."""
    app.moderation_rechecks().sweep()


def _analyze(req: https_fn.CallableRequest) -> Any:
    token = req.raw_request.headers.get("X-Firebase-AppCheck")
    return http.serve_callable(req.data, req.auth, lambda caller, data: (
        app.pre_upload_check().analyze(caller, data, app_check_token=token)))


@_callable_for_app_users
def analyze_image_before_upload(req: https_fn.CallableRequest) -> Any:
    return _analyze(req)


@_callable_for_app_users
def analyzeImageBeforeUpload(req: https_fn.CallableRequest) -> Any:
    return _analyze(req)


@_callable
def appeal_moderation(req: https_fn.CallableRequest) -> Any:
    """The uploader asks a person to look at their rejected or held image, once."""
    return http.serve_callable(req.data, req.auth, app.appeals().appeal)

@_callable
def appealModeration(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.appeals().appeal)


# -- The review queue (custom claim moderator: true, or admin) ------------------------------

@_callable
def list_review_queue(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.review_desk().list_queue)

@_callable
def listReviewQueue(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.review_desk().list_queue)


@_callable
def claim_reviews(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.review_desk().claim)

@_callable
def claimReviews(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.review_desk().claim)


@_callable
def decide_reviews(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.review_desk().decide)

@_callable
def decideReviews(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.review_desk().decide)


@_callable
def get_review_status(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.review_desk().status)

@_callable
def getReviewStatus(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.review_desk().status)


@https_fn.on_request(cors=_CORS, memory=options.MemoryOption.MB_512, timeout_sec=60)
def review_image(req: https_fn.Request) -> https_fn.Response:
    """GET ?key=...[&reveal=1]: a queued image for a moderator, at most 512 px, blurred
    unless revealed (audited); never cached."""
    def act(caller):
        fields = http.request_fields(req)
        return http.private_jpeg_response(app.review_desk().preview(
            caller, fields.get("key"), reveal=fields.get("reveal") in ("1", "true")))
    return http.serve_http(req, {"GET"}, app.authenticate, act)


@scheduler_fn.on_schedule(schedule="every 60 minutes", timeout_sec=60)
def check_review_sla(event: scheduler_fn.ScheduledEvent) -> None:
    """Tell the moderators, once a day, when an image has waited past REVIEW_SLA_HOURS."""
    app.review_desk().check_sla()


# -- Vision admin callables (custom claim admin: true) --------------------------------------

def _quota_status(caller: Any, _data: Any) -> Any:
    return app.vision_admin().status(caller)


@_callable
def get_vision_api_quota_status(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, _quota_status)

@_callable
def getVisionApiQuotaStatus(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, _quota_status)


@_callable
def set_vision_api_enabled(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().set_enabled)

@_callable
def setVisionApiEnabled(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().set_enabled)


@_callable
def set_vision_api_fallback_strategy(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().set_fallback_strategy)

@_callable
def setVisionApiFallbackStrategy(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().set_fallback_strategy)


@_callable
def set_vision_api_monthly_quota(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().set_monthly_quota)

@_callable
def setVisionApiMonthlyQuota(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().set_monthly_quota)


@_callable
def reset_vision_api_quota(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().reset_quota)

@_callable
def resetVisionApiQuota(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().reset_quota)


@_callable
def drain_moderation_rechecks(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().drain_rechecks)

@_callable
def drainModerationRechecks(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().drain_rechecks)


@_callable
def set_vision_api_account_allowance(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().set_account_allowance)

@_callable
def setVisionApiAccountAllowance(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().set_account_allowance)


@_callable
def manage_vision_account(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().manage_account)

@_callable
def manageVisionAccount(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.vision_admin().manage_account)


@_callable
def list_admin_activity(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.admin_activity().list_activity)

@_callable
def listAdminActivity(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.admin_activity().list_activity)


# -- Roles (custom claims staff / admin; admins only) ---------------------------------------

@_callable
def grant_role(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.role_management().grant)

@_callable
def grantRole(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.role_management().grant)


@_callable
def revoke_role(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.role_management().revoke)

@_callable
def revokeRole(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.role_management().revoke)


@_callable
def list_role_holders(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.role_management().holders)

@_callable
def listRoleHolders(req: https_fn.CallableRequest) -> Any:
    return http.serve_callable(req.data, req.auth, app.role_management().holders)


@scheduler_fn.on_schedule(schedule="every 15 minutes", timeout_sec=60)
def check_vision_quota_alerts(event: scheduler_fn.ScheduledEvent) -> None:
    """Tell admins once when usage crosses 80 %, 95 % and 100 % of the month's limit, and
    create next month's quota documents ahead of its first upload."""
    app.vision_admin().check_alerts()


# retry=True: a failure (Firestore unreachable) is delivered again; a malformed message is
# acknowledged instead, since no retry can fix it (moderation/budget_alerts.py).
# The topic is the param's CEL text "{{ params.VISION_BUDGET_TOPIC }}", which the CLI
# resolves at deploy: firebase-functions 0.6.0 types `topic` as str and flattens a Param
# object passed there into a dict the CLI cannot parse.
@http.accept_messages_without_data
@pubsub_fn.on_message_published(topic=str(VISION_BUDGET_TOPIC), retry=True, timeout_sec=60,
                                memory=options.MemoryOption.MB_256)
def on_vision_budget_alert(event: pubsub_fn.CloudEvent[pubsub_fn.MessagePublishedData]) -> None:
    """A Cloud Billing budget notification: past VISION_BUDGET_DISABLE_AT of the budget,
    switch Vision off (never on); README "Budget alerts"."""
    message = event.data.message
    app.vision_budget_alerts().handle(message.message_id, message.data, message.attributes)
