from __future__ import annotations

from collections.abc import Sequence

from django.db import DatabaseError, transaction

from supportqa.accounts.models import AgentSkill, Membership, Team, User
from supportqa.conversations.models import Category
from supportqa.integrations.formats import UserRecord
from supportqa.integrations.records import RowError


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
