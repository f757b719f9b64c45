"""Agents' shifts from a CSV file (username, starts_at, ends_at): all rows checked first, each
problem named by line, field and reason; nothing is written unless every row is right;
importing the same file again changes nothing (a shift is its agent and start)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from supportqa.accounts.models import AGENT_ROLES, Shift, User
from supportqa.integrations.csvrows import csv_records
from supportqa.integrations.records import RecordInvalid, RowError

LONGEST = timedelta(hours=16)


@dataclass(frozen=True)
class ShiftRow:
    agent: User
    starts_at: datetime
    ends_at: datetime


def _moment(row: dict[str, str], field: str) -> datetime:
    value = parse_datetime(row[field].strip())
    if value is None:
        raise RecordInvalid(field, "not a date and time like 2026-12-03T09:00 (ISO 8601)")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def read(data: bytes) -> tuple[list[ShiftRow], list[RowError]]:
    agents = {u.username: u for u in User.objects.filter(role__in=AGENT_ROLES, is_active=True)}

    def build(row: dict[str, str], line: int) -> ShiftRow:
        agent = agents.get(row["username"].strip())
        if agent is None:
            raise RecordInvalid("username", f"no active agent {row['username'].strip()!r}")
        starts, ends = _moment(row, "starts_at"), _moment(row, "ends_at")
        if ends <= starts:
            raise RecordInvalid("ends_at", "the shift ends before it starts")
        if ends - starts > LONGEST:
            raise RecordInvalid("ends_at", "a shift lasts at most 16 hours")
        return ShiftRow(agent, starts, ends)

    rows: list[ShiftRow] = []
    errors: list[RowError] = []
    for item in csv_records(data, ("username", "starts_at", "ends_at"), build,
                            unique=[("starts_at", lambda r: (r.agent.pk, r.starts_at),
                                     "the same agent and start")]):  # fmt: skip
        (errors if isinstance(item, RowError) else rows).append(item)  # type: ignore[arg-type]
    return rows, errors


def import_shifts(data: bytes) -> tuple[int, list[RowError]]:
    """(shifts written, problems): all or nothing."""
    rows, errors = read(data)
    if errors:
        return 0, errors
    with transaction.atomic():
        for row in rows:
            Shift.objects.update_or_create(
                agent=row.agent, starts_at=row.starts_at, defaults={"ends_at": row.ends_at}
            )
    return len(rows), []
