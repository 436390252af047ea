"""What to do with an image when Vision gives no verdict: the fallback strategy, one type
for the settings, the configuration, the admin callable and the outcomes."""

from __future__ import annotations

from enum import StrEnum


class FallbackStrategy(StrEnum):
    DENY = "deny"    # hold the image back (quarantine) until Vision can judge it
    ALLOW = "allow"  # keep it, marked unchecked
    WARN = "warn"    # keep it, marked needs_review
    LOCAL = "local"  # an on-device model judges adult content; Vision re-checks later

    @classmethod
    def parse(cls, value: object) -> FallbackStrategy | None:
        """The strategy a text names (any case, spaces around allowed); None otherwise."""
        if not isinstance(value, str):
            return None
        try:
            return cls(value.strip().lower())
        except ValueError:
            return None

    @classmethod
    def names(cls) -> str:
        return ", ".join(s.value for s in cls)
