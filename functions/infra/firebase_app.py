"""The firebase_admin app, initialised once per instance.

functions-framework imports main.py again for each target it serves, so initialisation
must be harmless the second time.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()


def ensure_app(project_id: str) -> object:
    import firebase_admin

    with _lock:
        try:
            return firebase_admin.get_app()
        except ValueError:
            return firebase_admin.initialize_app(options={"projectId": project_id})
