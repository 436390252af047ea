"""Vision settings as stored in `system_config/vision_api`, with their defaults and checks.

Read fresh inside every reservation transaction, so an admin's change is seen by every
instance at once (the system we replace kept them in each instance's memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from errors import InvalidInput
from messages import Msg
from moderation.allowance import AllowanceSettings
from moderation.safesearch import CATEGORIES, Likelihood
from moderation.strategy import FallbackStrategy

REJECT_ACTIONS: tuple[str, ...] = ("quarantine", "delete", "flag")
MAX_MONTHLY_LIMIT = 10_000_000

# Reject at LIKELY or above for adult, racy and violence; medical and spoof are not
# judged unless an admin sets a threshold for them.
DEFAULT_THRESHOLDS: dict[str, Likelihood | None] = {
    "adult": Likelihood.LIKELY,
    "racy": Likelihood.LIKELY,
    "violence": Likelihood.LIKELY,
    "medical": None,
    "spoof": None,
}


@dataclass(frozen=True)
class VisionSettings:
    enabled: bool = True
    fallback_strategy: FallbackStrategy = FallbackStrategy.WARN
    monthly_limit: int = 1000
    reject_action: str = "quarantine"
    thresholds: dict[str, Likelihood | None] = field(
        default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    allowance: AllowanceSettings = field(default_factory=AllowanceSettings)
    updated_at: datetime | None = None
    updated_by: str | None = None

    def to_document(self) -> dict[str, Any]:
        """The Firestore shape (camelCase, as the original system stored it)."""
        return {
            "enabled": self.enabled,
            "fallbackStrategy": self.fallback_strategy.value,
            "monthlyLimit": self.monthly_limit,
            "rejectAction": self.reject_action,
            "thresholds": {k: (v.name if v is not None else None)
                           for k, v in self.thresholds.items()},
            "accountAllowance": self.allowance.to_document(),
            "updatedAt": self.updated_at,
            "updatedBy": self.updated_by,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any] | None,
                      defaults: VisionSettings) -> VisionSettings:
        """Settings from a stored document; a missing or unreadable field keeps its default
        (so a hand-edited document can never switch moderation into an unsafe state)."""
        if not doc:
            return defaults
        result = defaults
        if isinstance(doc.get("enabled"), bool):
            result = replace(result, enabled=doc["enabled"])
        strategy = FallbackStrategy.parse(doc.get("fallbackStrategy"))
        if strategy is not None:
            result = replace(result, fallback_strategy=strategy)
        limit = doc.get("monthlyLimit")
        if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
            result = replace(result, monthly_limit=limit)
        if doc.get("rejectAction") in REJECT_ACTIONS:
            result = replace(result, reject_action=doc["rejectAction"])
        stored = doc.get("thresholds")
        if isinstance(stored, dict):
            thresholds = dict(result.thresholds)
            for category in CATEGORIES:
                if category in stored:
                    value = stored[category]
                    if value is None:
                        thresholds[category] = None
                    elif isinstance(value, str) and value in Likelihood.__members__:
                        thresholds[category] = Likelihood[value]
            result = replace(result, thresholds=thresholds)
        result = replace(result, allowance=AllowanceSettings.from_document(
            doc.get("accountAllowance"), result.allowance))
        return replace(result, updated_at=doc.get("updatedAt"), updated_by=doc.get("updatedBy"))


def parse_enabled(data: Any) -> bool:
    value = _field(data, "enabled")
    if not isinstance(value, bool):
        raise InvalidInput(Msg("common.field_not_boolean", name="enabled"))
    return value


def parse_strategy(data: Any) -> FallbackStrategy:
    strategy = FallbackStrategy.parse(_field(data, "strategy"))
    if strategy is None:
        raise InvalidInput(Msg("moderation.settings.strategy",
                               strategies=FallbackStrategy.names()))
    return strategy


def parse_limit(data: Any) -> int:
    value = _field(data, "limit")
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise InvalidInput(Msg("common.field_not_whole_number", name="limit"))
    value = int(value)
    if not 0 <= value <= MAX_MONTHLY_LIMIT:
        raise InvalidInput(Msg("moderation.settings.limit_range", max_limit=MAX_MONTHLY_LIMIT))
    return value


def _field(data: Any, name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise InvalidInput(Msg("common.field_required", name=name))
    return data[name]
