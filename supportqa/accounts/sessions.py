"""Sessions kept in the database as Django keeps them, read through a statement compiled
once per process (`statements.READS`): every request reads its session, and building and
compiling the read cost about as much as running it."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.exceptions import SuspiciousOperation
from django.db import models
from django.utils import timezone

from supportqa.statements import READS, TEXT, Slots


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        """The unexpired session of this key, or None (and no key), as Django's store reads
        it."""

        def build(slots: Slots) -> models.QuerySet[Any]:
            return self.model.objects.filter(
                session_key=slots("key", TEXT), expire_date__gt=slots("now", models.DateTimeField())
            )

        if self.session_key is None:
            return None
        key = ("session", self.model._meta.label)
        try:
            found = READS.first(key, build, key=self.session_key, now=timezone.now())
        except SuspiciousOperation as error:
            logging.getLogger(f"django.security.{type(error).__name__}").warning(str(error))
            found = None
        if found is None:
            self._session_key = None
        return found
