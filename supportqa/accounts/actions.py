"""Managing people, teams, roles and skills (admins, in SupportQA's own pages; the Django
admin stays for emergencies). Every change is one transaction with an audit event."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from supportqa.accounts.models import (
    AgentSkill,
    Membership,
    Role,
    SignedInSession,
    Team,
    User,
)
from supportqa.audit.actions import record_event


def save_person(
    *, by: User, person: User | None, data: dict[str, Any], skills: dict[Any, str]
) -> User:
    """Create or change a person with their teams, lead roles and skills; audited with the
    fields that changed (never the password itself)."""
    refusal = _self_lockout(by, person, data)
    if refusal:
        raise forms.ValidationError(refusal)
    with transaction.atomic():
        created = person is None
        person = person or User(username=data["username"])
        before = _snapshot(person) if not created else {}
        for field in ("display_name", "email", "role", "is_active", "time_zone"):
            setattr(person, field, data[field])
        if data.get("password"):
            person.set_password(data["password"])
        person.save()
        _set_teams(person, set(data["teams"]), set(data["leads"]))
        _set_skills(person, skills)
        after = _snapshot(person)
        changed = sorted(k for k in after if after[k] != before.get(k))
        if data.get("password") and not created:
            changed.append("password")
        record_event(
            actor=by,
            action="person.created" if created else "person.changed",
            obj=person,
            data={"changed": changed, **{k: after[k] for k in changed if k in after}},
        )
    return person


def _self_lockout(by: User, person: User | None, data: dict[str, Any]) -> str:
    if person is not None and person.pk == by.pk:
        if data["role"] != Role.ADMIN:
            return "you cannot take the admin role from yourself (another admin can)"
        if not data["is_active"]:
            return "you cannot stop yourself from signing in"
    return ""


def _snapshot(person: User) -> dict[str, Any]:
    """What the audit event compares, of a saved person."""
    memberships = list(person.memberships.select_related("team"))
    return {
        "display_name": person.display_name,
        "email": person.email,
        "role": person.role,
        "is_active": person.is_active,
        "time_zone": person.time_zone,
        "teams": sorted(m.team.name for m in memberships),
        "leads": sorted(m.team.name for m in memberships if m.is_lead),
        "skills": sorted(
            f"{s.category.name}: {s.level}" for s in person.skills.select_related("category")
        ),
    }


def _set_teams(person: User, teams: set[Team], leads: set[Team]) -> None:
    person.memberships.exclude(team__in=teams).delete()
    for team in teams:
        Membership.objects.update_or_create(
            user=person, team=team, defaults={"is_lead": team in leads}
        )


def _set_skills(person: User, skills: dict[Any, str]) -> None:
    for category, level in skills.items():
        if level:
            AgentSkill.objects.update_or_create(
                agent=person, category=category, defaults={"level": int(level)}
            )
        else:
            AgentSkill.objects.filter(agent=person, category=category).delete()


def save_team(*, by: User, team: Team | None, name: str) -> Team:
    with transaction.atomic():
        created = team is None
        team = team or Team()
        before = team.name
        team.name = name
        team.save()
        record_event(
            actor=by,
            action="team.created" if created else "team.renamed",
            obj=team,
            data={"name": name, **({} if created else {"before": before})},
        )
    return team


def live_sessions(user: User) -> QuerySet[SignedInSession]:
    """The person's signed-in browsers whose session still exists and has not expired (rows
    of sessions that ended otherwise are dropped on the way)."""
    alive = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    SignedInSession.objects.filter(user=user).exclude(session_key__in=alive).delete()
    return SignedInSession.objects.filter(user=user)


def sign_out(*, user: User, codes: list[str]) -> int:
    """Sign out these browsers of the person's (their sessions deleted); audited."""
    with transaction.atomic():
        chosen = SignedInSession.objects.filter(user=user, code__in=codes)
        keys = list(chosen.values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        count, _ = chosen.delete()
        if count:
            record_event(actor=user, action="account.sessions_signed_out", obj=user,
                         data={"sessions": count})  # fmt: skip
    return count
