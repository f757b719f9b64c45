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
            "shifts-TOTAL_FORMS": "0",
            "shifts-INITIAL_FORMS": "0",
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


# --- login throttling -------------------------------------------------------------------------


def attempt(username: str, password: str, address: str = "10.0.0.1"):
    from django.test import Client

    client = Client(REMOTE_ADDR=address)
    response = client.post("/login/", {"username": username, "password": password})
    return response, client


def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in(cast):
    for _ in range(50):
        attempt("agent", "wrong-password")
    response, client = attempt("agent", PASSWORD)
    assert response.status_code == 429
    assert "Signing in as <strong>agent</strong> is paused" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="login.locked_out")
    assert event.object_code == cast.agent.code and event.data["address"] == "10.0.0.1"


def test_the_lock_is_per_account_from_any_address(cast):
    for i in range(5):
        attempt("agent", "wrong-password", address=f"10.0.1.{i}")
    response, client = attempt("agent", PASSWORD, address="10.9.9.9")
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    other, other_client = attempt("teammate", PASSWORD, address="10.9.9.9")
    assert other.status_code == 302 and "_auth_user_id" in other_client.session


def test_the_lock_is_per_address_across_accounts(cast, settings):
    assert settings.SUPPORTQA_ADDRESS_FAILURE_LIMIT == 50
    for i in range(49):  # guessing many accounts from one address
        attempt(f"guess{i}", "wrong-password", address="10.0.2.1")
    assert attempt("agent", PASSWORD, address="10.0.2.1")[0].status_code == 302
    attempt("guess-last", "wrong-password", address="10.0.2.1")
    response, client = attempt("teammate", PASSWORD, address="10.0.2.1")
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    assert "from this network address is paused" in response.content.decode()
    elsewhere, _ = attempt("teammate", PASSWORD, address="10.0.2.2")
    assert elsewhere.status_code == 302


def test_one_persons_typos_do_not_lock_out_their_office(cast):
    """Everyone behind one address: the agent's five wrong passwords lock the agent only, so
    the admin can still sign in and unlock."""
    for _ in range(5):
        attempt("agent", "wrong-password", address="10.0.5.1")
    assert attempt("agent", PASSWORD, address="10.0.5.1")[0].status_code == 429
    admin, client = attempt("admin", PASSWORD, address="10.0.5.1")
    assert admin.status_code == 302 and "_auth_user_id" in client.session


def test_an_admin_unlocks_and_the_unlock_is_audited(cast):
    from axes.models import AccessAttempt

    for _ in range(5):
        attempt("agent", "wrong-password", address="10.0.3.1")
    assert attempt("agent", PASSWORD, address="10.0.3.2")[0].status_code == 429
    admin_client = cast.client(cast.admin)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert admin_client.get(changelist).status_code == 200
    locked = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": locked, "post": "yes"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="admin.deleted").count() == len(locked)
    assert attempt("agent", PASSWORD, address="10.0.3.2")[0].status_code == 302


def test_a_correct_login_resets_the_count(cast):
    for _ in range(4):
        attempt("agent", "wrong-password")
    assert attempt("agent", PASSWORD)[0].status_code == 302
    for _ in range(4):
        attempt("agent", "wrong-password")
    assert attempt("agent", PASSWORD)[0].status_code == 302


# --- headers, exports, files ---------------------------------------------------------------


def test_pages_send_a_strict_content_security_policy_and_no_store(cast):
    response = cast.client(cast.qa).get(reverse("conversation-list"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "no-store" in response["Cache-Control"]
    export = cast.client(cast.qa).get(reverse("export", args=["conversations", "csv"]))
    assert "no-store" in export["Cache-Control"]


def test_csv_exports_neutralise_formula_cells(cast):
    cast.conversation.subject = '=HYPERLINK("http://evil")'
    cast.conversation.save()
    body = b"".join(
        cast.client(cast.qa).get(reverse("export", args=["conversations", "csv"])).streaming_content
    ).decode()
    assert "'=HYPERLINK" in body
    assert ",=HYPERLINK" not in body and ',"=HYPERLINK' not in body
    from supportqa.core.csvcells import neutralised

    assert [neutralised(v) for v in ["+1", "-x", "@a", "\tb", "\rc", "ok", -5]] == [
        "'+1",
        "'-x",
        "'@a",
        "'\tb",
        "'\rc",
        "ok",
        -5,
    ]


def run_settings(tmp_path, **env: str) -> dict:
    """Load the settings module in a fresh process with these environment variables."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, os, stat; from supportqa import settings as s; "
        "print(json.dumps({'https': s.HTTPS, 'secure': s.SESSION_COOKIE_SECURE, "
        "'csrf_secure': s.CSRF_COOKIE_SECURE, 'hsts': getattr(s, 'SECURE_HSTS_SECONDS', 0), "
        "'proxy': getattr(s, 'SECURE_PROXY_SSL_HEADER', None), "
        "'redirect': getattr(s, 'SECURE_SSL_REDIRECT', False), "
        "'dir_mode': stat.S_IMODE(os.stat(s.DATA_DIR).st_mode), "
        "'key_mode': stat.S_IMODE(os.stat(s.DATA_DIR / 'secret_key').st_mode)}))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTQA_")}
    environment.update(SUPPORTQA_DATA_DIR=str(tmp_path / "data"), **env)
    out = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_one_setting_switches_on_https(tmp_path):
    plain = run_settings(tmp_path)
    assert (plain["https"], plain["secure"], plain["hsts"], plain["redirect"]) == (
        False,
        False,
        0,
        False,
    )
    https = run_settings(tmp_path, SUPPORTQA_HTTPS="true")
    assert https["secure"] and https["csrf_secure"] and https["redirect"]
    assert https["hsts"] == 365 * 86400
    assert https["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_the_data_folder_and_the_generated_key_are_private(tmp_path):
    modes = run_settings(tmp_path)
    assert (modes["dir_mode"], modes["key_mode"]) == (0o700, 0o600)


def test_behind_the_proxy_the_client_address_is_the_proxys_entry(settings, rf):
    from supportqa.middleware import client_ip

    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.HTTPS = False
    assert client_ip(request) == "127.0.0.1"
    settings.HTTPS = True
    assert client_ip(request) == "203.0.113.9"  # the forged first entry is ignored
