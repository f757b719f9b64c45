"""Users and teams CSV (`supportqa import users`): parsing and writing."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from supportqa.accounts.models import AgentSkill, Membership, Team, User
from supportqa.conversations.models import Category
from supportqa.integrations.csvrows import csv_records
from supportqa.integrations.records import (
    RecordInvalid,
    RowError,
    int_field,
    text_field,
)
from supportqa.integrations.upserts import Refused, Tally, update_if_changed, write_each

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
    return csv_records(
        data,
        USER_REQUIRED,
        _user_record,
        unique=[("username", lambda r: r.username.lower(), "duplicate username")],
    )


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
    Returns created, updated, unchanged, errors and warnings (none so far).

    New users get an unusable password: an admin sets one (or the user resets it).
    """
    categories = {c.name.lower(): c for c in Category.objects.all()}

    def write(record: UserRecord, tally: Tally) -> str:
        unknown = [s for s in record.skills if s.lower() not in categories]
        if unknown:
            raise Refused("skills", f"unknown category {unknown[0]!r}")
        return _upsert_user(record, categories)

    return write_each(records, write).as_tuple()


def _upsert_user(record: UserRecord, categories: dict[str, Category]) -> str:
    user = User.objects.filter(username__iexact=record.username).first()
    values = {
        "role": record.role,
        "email": record.email,
        "display_name": record.display_name,
        "external_id": record.external_id,
    }
    if user is None:
        user = User(username=record.username, **values)
        user.set_unusable_password()
        user.save()
        outcome = "created"
    else:
        outcome = update_if_changed(user, values)
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
