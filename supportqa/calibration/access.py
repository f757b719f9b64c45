from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from supportqa.accounts.models import Role, User
from supportqa.calibration.models import CalibrationSession


def sessions_for(user: User) -> QuerySet[CalibrationSession]:
    """Managers and admins see every session; others the ones they organise or join."""
    sessions = CalibrationSession.objects.all()
    if user.role in (Role.MANAGER, Role.ADMIN):
        return sessions
    return sessions.filter(Q(organiser=user) | Q(participants=user)).distinct()


def get_session_for_user(user: User, code: str) -> CalibrationSession:
    session = (
        sessions_for(user)
        .select_related("organiser", "baseline", "scorecard_version__scorecard")
        .filter(code=code)
        .first()
    )
    if session is None:
        raise Http404("No such calibration session")
    return session
