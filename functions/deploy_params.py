"""Firebase params, declared once for `firebase deploy`.

Kept out of main.py because firebase-functions refuses a second declaration of a param
and functions-framework executes main.py again for every function it serves locally.
At run time the values arrive as environment variables and infra/config.py reads them.
"""

from __future__ import annotations

from firebase_functions import params

from moderation.strategy import FallbackStrategy

# Secret Manager params: exposed to the functions that declare them.
B2_SECRETS = [params.SecretParam("B2_APPLICATION_KEY_ID"),
              params.SecretParam("B2_APPLICATION_KEY"),
              params.SecretParam("B2_BUCKET_NAME")]

# Plain params (deploy prompts for them or reads functions/.env.<project>).
VISION_MONTHLY_LIMIT = params.IntParam("VISION_MONTHLY_LIMIT", default=1000)
VISION_FALLBACK_STRATEGY = params.StringParam(
    "VISION_FALLBACK_STRATEGY", default=FallbackStrategy.WARN.value,
    description="What an image gets when Vision gives no verdict (admins can change it)",
    input=params.SelectInput([params.SelectOption(s.value) for s in FallbackStrategy]))
# The 'local' strategy's on-device model thresholds (README "The local strategy"); text
# params, as firebase-tools has no float params; infra/config.py checks them.
LOCAL_NSFW_REVIEW_AT = params.StringParam("LOCAL_NSFW_REVIEW_AT", default="0.2")
LOCAL_NSFW_REJECT_AT = params.StringParam("LOCAL_NSFW_REJECT_AT", default="0.8")
QUOTA_TIMEZONE = params.StringParam("QUOTA_TIMEZONE", default="America/Los_Angeles")

# Cloud Billing budget notifications (README "Budget alerts"): the topic the budget
# publishes to, which on_vision_budget_alert listens on, and the share of the budget at
# which Vision is switched off (1.0 = 100 %). A text param, because firebase-tools has no
# float params; infra/config.py checks it is a positive number.
VISION_BUDGET_TOPIC = params.StringParam(
    "VISION_BUDGET_TOPIC", default="vision-budget-alerts",
    description="Pub/Sub topic of the Cloud Billing budget that may switch Vision off")
VISION_BUDGET_DISABLE_AT = params.StringParam(
    "VISION_BUDGET_DISABLE_AT", default="1.0",
    description="Share of the budget (cost / budget) at which Vision is switched off")

# App Check on the pre-upload check (README "App Check"): enforce a token, and consume each
# one (replay protection). Off by default so the local run works without App Check.
ENFORCE_APP_CHECK = params.BoolParam("ENFORCE_APP_CHECK", default=False)
APP_CHECK_REPLAY_PROTECTION = params.BoolParam("APP_CHECK_REPLAY_PROTECTION", default=False)
# The per-account Vision allowances until an admin changes them (README "Allowances").
VISION_ALLOWANCE_DAILY = params.IntParam("VISION_ALLOWANCE_DAILY", default=20)
VISION_ALLOWANCE_MONTHLY = params.IntParam("VISION_ALLOWANCE_MONTHLY", default=200)
VISION_ALLOWANCE_NEW_ACCOUNT_DAILY = params.IntParam("VISION_ALLOWANCE_NEW_ACCOUNT_DAILY",
                                                     default=5)
# The review queue (README "Review queue and appeals"): hours the oldest waiting image may
# wait before the moderators are told (once a day).
REVIEW_SLA_HOURS = params.IntParam("REVIEW_SLA_HOURS", default=24)
