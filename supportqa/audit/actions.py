from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connection

from supportqa.audit.models import AuditEvent
from supportqa.audit.signals import event_recorded

# What the change came through besides the person, e.g. "api-token:1a2b3c4d": set around an
# API request made with a token, so that every event it causes names the token.
_via: ContextVar[str] = ContextVar("audit_via", default="")

_CHAIN_LOCK = 7_150_001  # PostgreSQL advisory lock id: one writer extends the chain at a time


def record_event(
    *, actor: Any, action: str, obj: Any, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Append an audit event chained to the previous one. Call inside the write's transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    data = dict(data or {})
    if _via.get():
        data.setdefault("via", _via.get())
    event = AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=type(obj).__name__.lower(),
        object_code=getattr(obj, "code", "") or str(getattr(obj, "pk", "")),
        data=data,
        prev_hash=last or "",
    )
    event.hash = event.compute_hash()
    event.save()
    event_recorded.send(sender=AuditEvent, event=event, obj=obj)
    return event


@contextmanager
def acting_via(label: str) -> Iterator[None]:
    """Every event recorded inside names `label` as what the change came through."""
    reset = _via.set(label)
    try:
        yield
    finally:
        _via.reset(reset)


def verify_chain() -> int | None:
    """Return the id of the first event whose hash does not match, or None if intact."""
    prev = ""
    for event in AuditEvent.objects.order_by("id").iterator():
        if event.prev_hash != prev or event.compute_hash() != event.hash:
            return event.pk
        prev = event.hash
    return None
