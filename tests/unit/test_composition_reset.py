"""composition.reset() forgets every object the composition root built: a factory left
out of it keeps a client of a database a test has since replaced (as the inventory export
once did, answering 503 after the outage test)."""

from __future__ import annotations

import inspect
import re

import composition

# Kept on purpose (composition.reset says why): it reads no configuration.
KEPT = {"local_image_classifier"}


def test_every_built_object_is_forgotten_by_reset() -> None:
    built = {name for name, value in vars(composition).items()
             if isinstance(value, composition._Once)}
    source = inspect.getsource(composition.reset)
    forgotten = set(re.findall(r"\b([a-z_]+)\b", source.split("factories: tuple", 1)[1]))
    assert built - KEPT - forgotten == set()
    assert built >= KEPT
