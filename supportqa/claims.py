"""Background work claimed from the database, safe with several worker processes on SQLite and
PostgreSQL: AutoQA's jobs and queued imports both use it.

A row is ready when queued, or when its claim is abandoned: older than
SUPPORTQA_AUTOQA_STALE_SECONDS (a live worker renews its claims every few seconds), or held by
a process of this host that no longer exists. `claim` takes ready rows for one worker in one
transaction: on PostgreSQL claimed rows are locked and skipped, on SQLite the write
transaction is exclusive. Workers are named `host:pid`.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

RUNNING = "running"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def gone(worker: str) -> bool:
    """Whether a worker ran on this host and its process is gone (or a zombie): its claims can
    be taken over at once. Workers on other hosts are judged by the age of their claims."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a zombie has died but its parent has not reaped it yet
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def abandoned(model: type[Model]) -> Q:
    """Rows of `model` claimed by nobody at work any more."""
    stale = timezone.now() - timedelta(seconds=settings.SUPPORTQA_AUTOQA_STALE_SECONDS)
    holders = (
        model._default_manager.filter(status=RUNNING)
        .values_list("claimed_by", flat=True)
        .distinct()
    )
    dead = [worker for worker in holders if gone(worker)]
    return Q(status=RUNNING) & (Q(claimed_at__lt=stale) | Q(claimed_by__in=dead))


def claim(ready: QuerySet[Any], worker: str, limit: int, **also: Any) -> list[int]:
    """Claim up to `limit` rows of `ready` (in primary-key order) for `worker`, setting
    `also` too; returns their primary keys."""
    now = timezone.now()
    with transaction.atomic():
        claimable = ready.order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            claimable = claimable.select_for_update(skip_locked=True)
        picked = list(claimable.values_list("pk", flat=True)[:limit])
        ready.model._default_manager.filter(pk__in=picked).update(
            status=RUNNING, claimed_by=worker, claimed_at=now, **also
        )
    return picked


def renew(model: type[Model], worker: str) -> None:
    """A live worker's claims stay fresh (called every few seconds while it works)."""
    model._default_manager.filter(status=RUNNING, claimed_by=worker).update(
        claimed_at=timezone.now()
    )
