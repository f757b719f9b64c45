"""Login throttling on django-axes, with a limit for accounts and a higher one for addresses.

An account is locked after AXES_FAILURE_LIMIT wrong passwords from anywhere. An address is
locked after SUPPORTQA_ADDRESS_FAILURE_LIMIT wrong passwords for any accounts: a whole office
often shares one address, and one agent's typos must not lock out everyone there (the admin
who would unlock it included). Axes compares one count with one limit, the highest over its
lockout parameters, so the address count is scaled to the account limit.
"""

from __future__ import annotations

import time
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from supportqa.accounts.models import RateWindow


def _failures(request: HttpRequest, credentials: dict[str, Any] | None) -> tuple[int, int]:
    """(wrong passwords for this account, from this address) within the cool-off period."""
    by_account, by_address = (
        attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        for attempts in AxesDatabaseHandler().get_user_attempts(request, credentials)
    )
    return by_account, by_address


class LoginThrottle(AxesDatabaseHandler):  # type: ignore[misc]
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        by_account, by_address = _failures(request, credentials)
        scaled = (
            by_address * settings.AXES_FAILURE_LIMIT // settings.SUPPORTQA_ADDRESS_FAILURE_LIMIT
        )
        return max(by_account, scaled)

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        """A correct password clears that account's wrong ones, not the address's: otherwise
        whoever guesses from an address could reset its count by signing in to their own."""
        account_attempts = self.filter_user_attempts(request, credentials)[0]
        count, _ = account_attempts.delete()
        return int(count)


def locked_out(
    request: HttpRequest, response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The page a refused login gets, saying whether the account or the address is locked."""
    by_account, by_address = _failures(request, credentials)
    return render(
        request,
        "locked_out.html",
        {
            "account_locked": by_account >= settings.AXES_FAILURE_LIMIT,
            "address_locked": by_address >= settings.SUPPORTQA_ADDRESS_FAILURE_LIMIT,
            "username": (credentials or {}).get("username", ""),
            "account_limit": settings.AXES_FAILURE_LIMIT,
            "address_limit": settings.SUPPORTQA_ADDRESS_FAILURE_LIMIT,
            "cooloff": settings.AXES_COOLOFF_TIME,
        },
        status=429,
    )


def over_limit(key: str, limit: int, seconds: int = 60) -> bool:
    """Count one request for `key` in the current fixed window of `seconds`; True when this
    one is beyond `limit`. Counting is one atomic UPDATE (or an INSERT for a window's first
    request), so concurrent requests in several processes are all counted; old windows are
    deleted now and then."""
    window = int(time.time()) // seconds * seconds
    counted = RateWindow.objects.filter(key=key, window=window)
    with transaction.atomic():
        if not counted.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateWindow.objects.create(key=key, window=window, count=1)
            except IntegrityError:  # another process created it a moment ago
                counted.update(count=F("count") + 1)
            else:
                RateWindow.objects.filter(window__lt=window - seconds).delete()
        count = counted.values_list("count", flat=True).first() or 0
    return count > limit
