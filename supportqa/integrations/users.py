"""Users and teams CSV (`supportqa import users`): parsing and writing."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction

from supportqa.accounts.models import AgentSkill, Membership, Team, User
from supportqa.conversations.models import Category
from supportqa.integrations.csvrows import BadRow, csv_rows
from supportqa.integrations.records import (
    RecordInvalid,
    RowError,
    int_field,
    text_field,
)

ROLES = ("agent", "peer", "qa", "lead", "manager", "admin", "shopper")
USER_REQUIRED = ("username", "role")


@dataclass
class UserRecord:
    line: int
    username: str
    role: str
    email: str = ""
    display_name: str = ""
    external_id: str = ""
    teams: list[str] = field(default_factory=list)
    lead_of: list[str] = field(default_factory=list)
    skills: dict[str, int] = field(default_factory=dict)


def parse_users(data: bytes) -> Iterator[UserRecord | RowError]:
    seen: dict[str, int] = {}
    for item in csv_rows(data, USER_REQUIRED):
        if isinstance(item, BadRow):
            yield item.error
            continue
        line, row = item
        try:
            record = _user_record(row, line)
        except RecordInvalid as exc:
            yield RowError(line, exc.field, exc.reason)
            continue
        first = seen.setdefault(record.username.lower(), line)
        if first != line:
            yield RowError(line, "username", f"duplicate username (first on line {first})")
            continue
        yield record


def _split(raw: str | None, name: str, limit: int = 120) -> list[str]:
    """A ;-separated list of names, each within the column's limit."""
    return [text_field(part, name, limit=limit) for part in (raw or "").split(";") if part.strip()]


def _user_record(row: dict[str, str], line: int) -> UserRecord:
    username = text_field(row.get("username"), "username", required=True, limit=150)
    if not re.fullmatch(r"[\w.@+-]+", username):
        raise RecordInvalid("username", "may hold letters, digits and @ . + - _ only")
    role = text_field(row.get("role"), "role", required=True).lower()
    if role not in ROLES:
        raise RecordInvalid("role", f"{role!r} is not one of: {', '.join(ROLES)}")
    email = text_field(row.get("email"), "email", limit=254)
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise RecordInvalid("email", f"{email!r} is not an e-mail address")
    skills: dict[str, int] = {}
    for part in _split(row.get("skills"), "skills", limit=130):
        name, _, level = part.rpartition(":")
        if not name:
            raise RecordInvalid("skills", f"{part!r} must look like 'Category:level'")
        value = int_field(level, "skills", low=1, high=5, required=True)
        assert value is not None
        skills[name.strip()] = value
    return UserRecord(
        line=line,
        username=username,
        role=role,
        email=email,
        display_name=text_field(row.get("display_name"), "display_name", limit=150),
        external_id=text_field(row.get("external_id"), "external_id"),
        teams=_split(row.get("teams"), "teams"),
        lead_of=_split(row.get("lead_of"), "lead_of"),
        skills=skills,
    )


# --- writing -------------------------------------------------------------------------------


def upsert_users(
    records: Sequence[UserRecord],
) -> tuple[int, int, int, list[RowError], list[RowError]]:
    """Create or update people by username, with their teams, team-lead roles and skills.
    Returns created, updated, unchanged, errors and warnings (none so far); each person is
    written in its own savepoint, so one the database refuses is an error, not a crash.

    New users get an unusable password: an admin sets one (or the user resets it).
    """
    categories = {c.name.lower(): c for c in Category.objects.all()}
    errors: list[RowError] = []
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for record in records:
        unknown = [s for s in record.skills if s.lower() not in categories]
        if unknown:
            errors.append(RowError(record.line, "skills", f"unknown category {unknown[0]!r}"))
            continue
        try:
            with transaction.atomic():
                counts[_upsert_user(record, categories)] += 1
        except DatabaseError as exc:
            errors.append(RowError(record.line, "-", f"the database refused it: {exc}"[:300]))
    return counts["created"], counts["updated"], counts["unchanged"], errors, []


def _upsert_user(record: UserRecord, categories: dict[str, Category]) -> str:
    user = User.objects.filter(username__iexact=record.username).first()
    values = {
        "role": record.role,
        "email": record.email,
        "display_name": record.display_name,
        "external_id": record.external_id,
    }
    outcome = "unchanged"
    if user is None:
        user = User(username=record.username, **values)
        user.set_unusable_password()
        user.save()
        outcome = "created"
    elif any(getattr(user, k) != v for k, v in values.items()):
        for name, value in values.items():
            setattr(user, name, value)
        user.save()
        outcome = "updated"
    _memberships(user, record)
    for name, level in record.skills.items():
        AgentSkill.objects.update_or_create(
            agent=user, category=categories[name.lower()], defaults={"level": level}
        )
    return outcome


def _memberships(user: User, record: UserRecord) -> None:
    for name in dict.fromkeys([*record.teams, *record.lead_of]):
        team, _ = Team.objects.get_or_create(name=name)
        Membership.objects.update_or_create(
            user=user, team=team, defaults={"is_lead": name in record.lead_of}
        )
