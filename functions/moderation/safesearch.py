"""The SafeSearch vocabulary shared by the moderation core: likelihoods, categories and an
annotation. Plain values, no SDK; the Vision adapter (infra/vision_safesearch.py) maps the
API's answer onto them, and the settings and verdict rules read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Likelihood(IntEnum):
    """Cloud Vision's likelihood scale, in its own order (so thresholds compare)."""

    UNKNOWN = 0
    VERY_UNLIKELY = 1
    UNLIKELY = 2
    POSSIBLE = 3
    LIKELY = 4
    VERY_LIKELY = 5


CATEGORIES: tuple[str, ...] = ("adult", "racy", "violence", "medical", "spoof")


@dataclass(frozen=True)
class SafeSearchAnnotation:
    adult: Likelihood = Likelihood.UNKNOWN
    racy: Likelihood = Likelihood.UNKNOWN
    violence: Likelihood = Likelihood.UNKNOWN
    medical: Likelihood = Likelihood.UNKNOWN
    spoof: Likelihood = Likelihood.UNKNOWN

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name).name for name in CATEGORIES}
