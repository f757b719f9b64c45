from __future__ import annotations

from typing import Any

from django.db import connection

from supportqa.audit.models import AuditEvent

_CHAIN_LOCK = 7_150_001  # PostgreSQL advisory lock id: one writer extends the chain at a time


def record_event(
    *, actor: Any, action: str, obj: Any, data: dict[str, Any] | None = None
) -> AuditEvent:
    """Append an audit event chained to the previous one. Call inside the write's transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=type(obj).__name__.lower(),
        object_code=getattr(obj, "code", "") or str(getattr(obj, "pk", "")),
        data=data or {},
        prev_hash=last or "",
    )
    event.hash = event.compute_hash()
    event.save()
    return event


def verify_chain() -> int | None:
    """Return the id of the first event whose hash does not match, or None if intact."""
    prev = ""
    for event in AuditEvent.objects.order_by("id").iterator():
        if event.prev_hash != prev or event.compute_hash() != event.hash:
            return event.pk
        prev = event.hash
    return None
