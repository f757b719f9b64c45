from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from supportqa.notifications.actions import read

SHOWN_AT_MOST = 99


class Bell:
    """The unread count on every page, read once and only when a page shows it. Seeing the
    page a notification points to counts as reading it (however the person got there)."""

    def __init__(self, user: Any, path: str = "") -> None:
        self._user, self._path = user, path

    @cached_property
    def unread(self) -> int:
        if not self._user.is_authenticated:
            return 0
        unread = self._user.notifications.filter(read_at__isnull=True)
        # Looked for before written: an UPDATE takes SQLite's one write lock even when it
        # changes nothing, and every page view would queue behind the writers for it.
        here = unread.filter(link=self._path)
        if self._path and here.exists():
            read(here)
        return int(unread[: SHOWN_AT_MOST + 1].count())

    @property
    def label(self) -> str:
        return f"{SHOWN_AT_MOST}+" if self.unread > SHOWN_AT_MOST else str(self.unread)


def bell(request: HttpRequest) -> dict[str, Bell]:
    return {"bell": Bell(request.user, request.path if request.method == "GET" else "")}
