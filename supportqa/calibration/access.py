from __future__ import annotations

from django.db.models import Q, QuerySet

from supportqa.accounts.access import get_in_scope
from supportqa.accounts.models import Role, User
from supportqa.calibration.models import CalibrationSession


def sessions_for(user: User) -> QuerySet[CalibrationSession]:
    """Managers and admins see every session; others the ones they organise or join."""
    sessions = CalibrationSession.objects.all()
    if user.role in (Role.MANAGER, Role.ADMIN):
        return sessions
    return sessions.filter(Q(organiser=user) | Q(participants=user)).distinct()


def get_session_for_user(user: User, code: str) -> CalibrationSession:
    sessions = sessions_for(user).select_related(
        "organiser", "baseline", "scorecard_version__scorecard"
    )
    return get_in_scope(sessions, code, "calibration session")
