"""Results of the expensive statistical fits (the topic model, the volume forecast) kept for
inputs seen before. The key is a digest of the inputs themselves, not a time or a version:
changed data is a new key, so a remembered result is never stale, and unchanged data (the
usual case between two views of a page) is answered without refitting."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache

T = TypeVar("T")
KEEP_SECONDS = 24 * 3600


def remembered(kind: str, inputs: Any, compute: Callable[[], T]) -> T:
    """compute(), or what it returned before for equal inputs (Django's cache: per process by
    default, shared when a cache server is configured)."""
    digest = hashlib.sha256(pickle.dumps(inputs, protocol=5)).hexdigest()
    key = f"supportqa:{kind}:{digest}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, KEEP_SECONDS)
    return found
