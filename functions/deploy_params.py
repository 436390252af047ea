"""Firebase params, declared once for `firebase deploy`.

Kept out of main.py because firebase-functions refuses a second declaration of a param
and functions-framework executes main.py again for every function it serves locally.
At run time the values arrive as environment variables and infra/config.py reads them.
"""

from __future__ import annotations

from firebase_functions import params

# Secret Manager params: exposed to the functions that declare them.
B2_SECRETS = [params.SecretParam("B2_APPLICATION_KEY_ID"),
              params.SecretParam("B2_APPLICATION_KEY"),
              params.SecretParam("B2_BUCKET_NAME")]

# Plain params (deploy prompts for them or reads functions/.env.<project>).
VISION_MONTHLY_LIMIT = params.IntParam("VISION_MONTHLY_LIMIT", default=1000)
VISION_FALLBACK_STRATEGY = params.StringParam("VISION_FALLBACK_STRATEGY", default="warn")
QUOTA_TIMEZONE = params.StringParam("QUOTA_TIMEZONE", default="America/Los_Angeles")
