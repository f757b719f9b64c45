from __future__ import annotations

from supportqa.accounts.access import get_in_scope
from supportqa.accounts.models import User
from supportqa.notifications.models import Notification


def get_notification_for_user(user: User, code: str) -> Notification:
    """A person's own notification; anyone else's is a 404."""
    return get_in_scope(Notification.objects.filter(user=user), code, "notification")
