"""The main menu is drawn once per process for each set of capabilities, section and person
with their own performance page (`{% main_nav %}`): every person still sees their own."""

from __future__ import annotations

import re

from django.template.loader import render_to_string
from django.urls import reverse

from supportqa.accounts.models import User
from supportqa.accounts.permissions import Capabilities


def _menu(html: str) -> str:
    found = re.search(r'<nav aria-label="Main">.*?</nav>', html, re.S)
    assert found, "no main menu"
    return found.group(0)


def test_each_person_sees_the_menu_of_their_capabilities_section_and_own_page(cast):
    pages = {"": reverse("home"), "conversations": reverse("conversation-list")}
    people = [cast.admin, cast.manager, cast.qa, cast.lead, cast.agent, cast.teammate, cast.peer]
    for _ in range(2):  # drawn, then kept
        for person in people:
            client = cast.client(person)
            for nav, url in pages.items():
                response = client.get(url)
                assert response.status_code == 200, (person.username, url)
                fresh = render_to_string(
                    "includes/_main_nav.html",
                    {"can": Capabilities(person), "nav": nav, "user": person},
                ).strip()
                assert _menu(response.content.decode()) == fresh, (person.username, url)
    agent_menu = _menu(cast.client(cast.agent).get(reverse("home")).content.decode())
    teammate_menu = _menu(cast.client(cast.teammate).get(reverse("home")).content.decode())
    assert reverse("agent-detail", args=[cast.agent.code]) in agent_menu
    assert reverse("agent-detail", args=[cast.teammate.code]) in teammate_menu
    assert reverse("agent-detail", args=[cast.agent.code]) not in teammate_menu
    manager_menu = _menu(cast.client(cast.manager).get(reverse("home")).content.decode())
    assert "My performance" not in manager_menu and "Reports" in manager_menu
    listed = _menu(cast.client(cast.manager).get(reverse("conversation-list")).content.decode())
    assert f'href="{reverse("conversation-list")}" aria-current="page"' in listed
    assert 'aria-current="page"' not in manager_menu  # home is marked on the brand, outside


def test_a_changed_role_changes_the_menu_at_the_next_page(cast):
    client = cast.client(cast.agent)
    assert "My performance" in _menu(client.get(reverse("home")).content.decode())
    User.objects.filter(pk=cast.agent.pk).update(role="manager")
    menu = _menu(client.get(reverse("home")).content.decode())
    assert "My performance" not in menu and "Reports" in menu
