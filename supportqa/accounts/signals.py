"""Security events into the audit log: a login locked out after repeated wrong passwords."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from supportqa.accounts.models import User
from supportqa.audit.actions import record_event


@receiver(user_locked_out)
def record_lockout(sender: Any, request: Any, username: str, ip_address: str, **_: Any) -> None:
    """Once, when the lock begins (axes signals every refused attempt after it too: an
    attacker's guesses must not each cost a write to the hash chain)."""
    if getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return  # axes sets this to its count (LoginThrottle's) on the attempt that locks
    account = User.objects.filter(username=username).first()
    with transaction.atomic():
        record_event(
            actor=None,
            action="login.locked_out",
            obj=account,
            data={"username": (username or "")[:150], "address": ip_address},
        )
