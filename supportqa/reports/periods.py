from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from supportqa.reports.metrics import Period

PERIOD_CHOICES = {
    "7": "Last 7 days",
    "30": "Last 30 days",
    "90": "Last 90 days",
    "365": "Last 12 months",
}
DEFAULT_DAYS = "90"


def period_from(request: HttpRequest) -> tuple[Period, str]:
    """The reporting window from ?days= (an unknown value falls back to the default)."""
    days = request.GET.get("days", DEFAULT_DAYS)
    if days not in PERIOD_CHOICES:
        days = DEFAULT_DAYS
    end = timezone.now()
    return Period(end - timedelta(days=int(days)), end), days
