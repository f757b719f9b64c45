"""Daily social figures on control charts (volume and complaints: individuals charts;
negativity: a p-chart; rules as the dashboards', settings.SUPPORTQA_CONTROL_RULES), and the
alert a day above its upper limit raises: told once to the org-wide quality roles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse

from supportqa.accounts.models import ORG_WIDE_ROLES, User
from supportqa.core import control
from supportqa.notifications.actions import notify
from supportqa.notifications.models import Kind
from supportqa.reports.control import Watched
from supportqa.reports.rollups import UtcDay
from supportqa.social.models import Alert, Post

WINDOW_DAYS = 56  # eight weeks of days: limits from enough points, recent enough to matter
RECENT_DAYS = 7  # alerts are raised for days this recent (older ones were seen already)


@dataclass(frozen=True)
class Day:
    day: date
    posts: int
    negative: int
    complaints: int


def daily(first: date, last: date) -> list[Day]:
    """Every UTC day from `first` to `last`, days without posts included (as zeros)."""
    start = datetime.combine(first, time(), UTC)
    end = datetime.combine(last + timedelta(days=1), time(), UTC)
    rows = {
        row["d"]: row
        for row in Post.objects.filter(posted_at__gte=start, posted_at__lt=end)
        .annotate(d=UtcDay("posted_at"))
        .values("d")
        .annotate(
            n=Count("pk"),
            neg=Count("pk", filter=Q(negative=True)),
            bad=Count("pk", filter=Q(complaint=True)),
        )
        .order_by()
    }
    out = []
    day = first
    while day <= last:
        row = rows.get(day) or rows.get(day.isoformat()) or {}  # SQLite gives the day as text
        out.append(Day(day, row.get("n", 0), row.get("neg", 0), row.get("bad", 0)))
        day += timedelta(days=1)
    return out


def watched(days: Sequence[Day]) -> list[Watched]:
    """Posts, the negative share and complaints per day, each on its control chart (None
    when there are too few days with posts), from the first day with a post."""
    rules = settings.SUPPORTQA_CONTROL_RULES
    days = control.since_data_began(days, lambda d: d.posts)
    labels = [d.day for d in days]
    enough = sum(1 for d in days if d.posts) >= control.MINIMUM_POINTS
    counted = [d for d in days if d.posts]
    volume = complaints = negative = None
    if enough:
        volume = control.individuals_chart([d.posts for d in days], rules, lowest=0.0)
        complaints = control.individuals_chart([d.complaints for d in days], rules, lowest=0.0)
        negative = control.p_chart([(d.negative, d.posts) for d in counted], rules)
    return [
        Watched("Posts", "", labels, volume, digits=0, every="day"),
        Watched(
            "Negative posts",
            "%",
            [d.day for d in counted],
            negative,
            scale=100,
            digits=0,
            every="day",
        ),  # fmt: skip
        Watched("Complaints", "", labels, complaints, digits=0, every="day"),
    ]


def check_alerts(today: date) -> list[Alert]:
    """Raise an alert for each recent day (of the last RECENT_DAYS complete ones) whose posts,
    negative share or complaints went above the upper control limit; each day and measure
    once. The org-wide quality roles are told at once."""
    last = today - timedelta(days=1)
    days = daily(last - timedelta(days=WINDOW_DAYS - 1), last)
    raised = []
    for series in watched(days):
        if series.chart is None:
            continue
        for index, point in enumerate(series.chart.points):
            day = series.weeks[index]
            if day <= last - timedelta(days=RECENT_DAYS) or point.value <= point.upper:
                continue
            alert = _raise(series, day, point)
            if alert is not None:
                raised.append(alert)
    return raised


def _raise(series: Watched, day: date, point: control.Point) -> Alert | None:
    value, upper = point.value * series.scale, point.upper * series.scale
    try:
        with transaction.atomic():
            alert = Alert.objects.create(day=day, measure=series.name, value=value, upper=upper)
            notify(
                users=User.objects.filter(role__in=ORG_WIDE_ROLES, is_active=True),
                kind=Kind.SOCIAL_ALERT,
                text=f"Social media: {series.name.lower()} on {day:%-d %b} reached "
                f"{value:.0f}{series.unit}, above its control limit of "
                f"{upper:.0f}{series.unit}",
                link=reverse("social-home") + f"?day={day.isoformat()}",
            )
    except IntegrityError:
        return None  # another worker raised it a moment ago
    return alert
