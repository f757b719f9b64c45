from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db import connection
from django.http import HttpRequest

from supportqa.notifications.actions import read
from supportqa.notifications.models import Notification

SHOWN_AT_MOST = 99
_TABLE = Notification._meta.db_table
_UNREAD = (
    f"SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM {_TABLE} WHERE user_id = %s "
    "AND read_at IS NULL AND (link <> %s OR %s = '') LIMIT %s) AS shown), "
    f"(%s <> '' AND EXISTS (SELECT 1 FROM {_TABLE} "
    "WHERE user_id = %s AND read_at IS NULL AND link = %s))"
)


class Bell:
    """The unread count on every page, read once and only when a page shows it. Seeing the
    page a notification points to counts as reading it (however the person got there)."""

    def __init__(self, user: Any, path: str = "") -> None:
        self._user, self._path = user, path

    @cached_property
    def unread(self) -> int:
        if not self._user.is_authenticated:
            return 0
        # Every page asks both questions (how many unread, besides those about this page; any
        # about this page?), so in one fixed statement that Django need not build. Looked for
        # before written: an UPDATE takes SQLite's one write lock even when it changes
        # nothing, and every page view would queue behind the writers for it.
        user, path = self._user.pk, self._path
        with connection.cursor() as cursor:
            cursor.execute(_UNREAD, [user, path, path, SHOWN_AT_MOST + 1, path, user, path])
            count, here = cursor.fetchone()
        if here:
            read(self._user.notifications.filter(read_at__isnull=True, link=path))
        return int(count)

    @property
    def label(self) -> str:
        return f"{SHOWN_AT_MOST}+" if self.unread > SHOWN_AT_MOST else str(self.unread)


def bell(request: HttpRequest) -> dict[str, Bell]:
    return {"bell": Bell(request.user, request.path if request.method == "GET" else "")}
