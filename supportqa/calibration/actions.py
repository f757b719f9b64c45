from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from supportqa.accounts.models import User
from supportqa.audit.actions import record_event
from supportqa.calibration.models import CalibrationSession
from supportqa.conversations.models import Conversation
from supportqa.notifications.actions import notify
from supportqa.notifications.models import Kind
from supportqa.scorecards.models import ScorecardVersion


def create_session(
    *,
    title: str,
    version: ScorecardVersion,
    organiser: User,
    conversations: Sequence[Conversation],
    participants: Sequence[User],
    baseline: User | None = None,
) -> CalibrationSession:
    """Open a blind calibration session and invite its participants."""
    with transaction.atomic():
        session = CalibrationSession.objects.create(
            title=title, scorecard_version=version, organiser=organiser, baseline=baseline
        )
        session.conversations.set(conversations)
        session.participants.set(participants)
        notify(
            users=participants,
            kind=Kind.CALIBRATION_INVITED,
            text=f"{organiser.name} invited you to calibrate: {title}",
            link=reverse("calibration-detail", args=[session.code]),
            actor=organiser,
        )
        record_event(
            actor=organiser,
            action="calibration.created",
            obj=session,
            data={"conversations": len(conversations), "participants": len(participants)},
        )
    return session


def reveal_session(*, session: CalibrationSession, by: User) -> CalibrationSession:
    """Show everyone's ratings and the agreement figures. Reviews submitted later still count."""
    with transaction.atomic():
        session.status = CalibrationSession.Status.REVEALED
        session.revealed_at = timezone.now()
        session.save(update_fields=["status", "revealed_at"])
        notify(
            users=session.participants.all(),
            kind=Kind.CALIBRATION_REVEALED,
            text=f"Calibration results are revealed: {session.title}",
            link=reverse("calibration-detail", args=[session.code]),
            actor=by,
        )
        record_event(actor=by, action="calibration.revealed", obj=session)
    return session
