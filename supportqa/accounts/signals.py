"""Security events into the audit log: a login locked out after repeated wrong passwords."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.dispatch import receiver

from supportqa.accounts.models import SignedInSession, User
from supportqa.audit.actions import record_event
from supportqa.middleware import client_ip


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


@receiver(user_logged_in)
def remember_session(sender: Any, request: Any, user: User, **_: Any) -> None:
    """The browser this login came from, for the account page's list of sessions."""
    if request is None or not getattr(request, "session", None):
        return
    if not request.session.session_key:
        request.session.save()
    SignedInSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "address": client_ip(request)[:45],
        },
    )


@receiver(user_logged_out)
def forget_session(sender: Any, request: Any, user: User | None, **_: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        SignedInSession.objects.filter(session_key=key).delete()
