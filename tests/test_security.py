"""Accounts and the administration site: password change, every admin change audited."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse

from supportqa.accounts.models import Role, User
from supportqa.admin_site import AuditedAdmin
from supportqa.audit.actions import verify_chain
from supportqa.audit.models import AuditEvent
from tests.conftest import PASSWORD


def test_account_page_shows_the_password_policy_and_changes_the_password(cast):
    client = cast.client(cast.agent)
    page = client.get(reverse("account"))
    assert page.status_code == 200
    assert "at least 10 characters" in page.content.decode()
    weak = client.post(
        reverse("account"),
        {"old_password": PASSWORD, "new_password1": "12345", "new_password2": "12345"},
    )
    assert weak.status_code == 400
    assert "too short" in weak.content.decode()
    done = client.post(
        reverse("account"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )
    assert done.status_code == 302
    cast.agent.refresh_from_db()
    assert cast.agent.check_password("a-much-better-passphrase")
    assert AuditEvent.objects.filter(action="account.password_changed").count() == 1
    assert client.get(reverse("account")).status_code == 200  # still signed in here


def test_wrong_current_password_changes_nothing(cast):
    response = cast.client(cast.agent).post(
        reverse("account"),
        {
            "old_password": "not-it",
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )
    assert response.status_code == 400
    cast.agent.refresh_from_db()
    assert cast.agent.check_password(PASSWORD)


def test_every_model_admin_is_audited():
    assert admin.site._registry
    unaudited = [
        m.__name__ for m, a in admin.site._registry.items() if not isinstance(a, AuditedAdmin)
    ]
    assert unaudited == []


def change_role(client, user: User, role: str) -> None:
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        role=role,
        date_joined_0=user.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=user.date_joined.strftime("%H:%M:%S"),
        **{
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "skills-TOTAL_FORMS": "0",
            "skills-INITIAL_FORMS": "0",
        },
    )
    data.pop("last_login", None)
    data.pop("groups", None)
    data.pop("user_permissions", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_a_role_changed_in_the_admin_site_and_back_is_two_audit_events(cast):
    client = cast.client(cast.admin)
    change_role(client, cast.outsider, Role.MANAGER)
    change_role(client, cast.outsider, Role.SHOPPER)
    events = list(AuditEvent.objects.filter(action="admin.changed", object_code=cast.outsider.code))
    assert [e.data["changes"]["role"] for e in events] == [
        ["shopper", "manager"],
        ["manager", "shopper"],
    ]
    assert all(e.actor_id == cast.admin.pk for e in events)
    assert verify_chain() is None


def test_deleting_in_the_admin_site_is_audited(cast):
    from supportqa.conversations.models import Category

    category = Category.objects.create(name="Obsolete")
    client = cast.client(cast.admin)
    url = reverse("admin:conversations_category_delete", args=[category.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(action="admin.deleted")
    assert event.data["object"] == "Obsolete"
