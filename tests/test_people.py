"""Admins manage people, teams, roles and skills in SupportQA's own pages, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from supportqa.accounts.models import AgentSkill, Membership, Role, Team, User
from supportqa.audit.models import AuditEvent
from supportqa.conversations.models import Category

NEW = {
    "username": "nina",
    "display_name": "Nina New",
    "email": "nina@example.test",
    "role": Role.AGENT,
    "is_active": "on",
    "time_zone": "Europe/Paris",
    "password": "a-long-enough-secret-1",
}


def test_an_admin_adds_a_person_with_a_team_and_a_skill(cast):
    category = Category.objects.first()
    data = {**NEW, "teams": [cast.team.pk], f"skill-{category.code}": "4"}
    response = cast.client(cast.admin).post(reverse("person-new"), data)
    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    assert nina.check_password(NEW["password"]) and nina.time_zone == "Europe/Paris"
    assert Membership.objects.get(user=nina).team == cast.team
    assert AgentSkill.objects.get(agent=nina, category=category).level == 4
    event = AuditEvent.objects.get(action="person.created")
    assert event.actor == cast.admin and "password" not in str(event.data)
    assert event.data["teams"] == ["Team A"]


def test_a_change_of_role_and_lead_is_audited_with_what_changed(cast):
    url = reverse("person-edit", args=[cast.teammate.code])
    page = cast.client(cast.admin).get(url)
    assert page.status_code == 200 and page.context["form"]["role"].value() == Role.AGENT
    data = {
        **NEW,
        "username": "teammate",
        "display_name": "Teammate",
        "email": cast.teammate.email,
        "role": Role.LEAD,
        "time_zone": "UTC",
        "password": "",
        "teams": [cast.team.pk],
        "leads": [cast.team.pk],
    }
    assert cast.client(cast.admin).post(url, data).status_code == 302
    cast.teammate.refresh_from_db()
    assert cast.teammate.role == Role.LEAD
    assert Membership.objects.get(user=cast.teammate).is_lead
    event = AuditEvent.objects.get(action="person.changed")
    assert set(event.data["changed"]) == {"role", "leads"}


@pytest.mark.parametrize(
    "change, error",
    [
        ({"username": "agent"}, "this username is taken"),
        ({"password": ""}, "a new person needs a first password"),
        ({"password": "short"}, "too short"),
        ({"leads": ["TEAM"]}, "only teams they are a member of"),
        ({"email": "not-an-address"}, "valid email"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(cast, change, error):
    data = {**NEW, **change}
    if data.get("leads") == ["TEAM"]:
        data["leads"] = [cast.team.pk]
    response = cast.client(cast.admin).post(reverse("person-new"), data)
    assert response.status_code == 400 and error in response.content.decode()
    assert not User.objects.filter(username="nina").exists()


def test_an_admin_cannot_lock_themselves_out(cast):
    url = reverse("person-edit", args=[cast.admin.code])
    data = {
        "display_name": "Admin",
        "email": cast.admin.email,
        "role": Role.MANAGER,
        "is_active": "on",
        "time_zone": "UTC",
    }
    response = cast.client(cast.admin).post(url, data)
    assert response.status_code == 400
    assert "cannot take the admin role from yourself" in response.content.decode()
    cast.admin.refresh_from_db()
    assert cast.admin.role == Role.ADMIN


def test_teams_are_added_and_renamed_with_an_audit_event(cast):
    client = cast.client(cast.admin)
    assert client.post(reverse("team-manage"), {"name": "Delta"}).status_code == 302
    delta = Team.objects.get(name="Delta")
    rename = {"team": delta.code, "name": "Delta Squad"}
    assert client.post(reverse("team-manage"), rename).status_code == 302
    assert Team.objects.filter(name="Delta Squad").exists()
    clash = client.post(reverse("team-manage"), {"name": "team a"})
    assert clash.status_code == 400 and "a team has this name" in clash.content.decode()
    actions = list(
        AuditEvent.objects.filter(action__startswith="team.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["team.created", "team.renamed"]


def test_the_people_list_searches_and_filters(cast):
    page = cast.client(cast.admin).get(reverse("people"), {"q": "team", "role": Role.AGENT})
    names = [p.username for p in page.context["page"]]
    assert names == ["teammate"]
