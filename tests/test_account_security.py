"""Accounts (issue #17 §4, first part): the browsers a person is signed in with, listed and
signed out by them; password reset by e-mail, limited per address and audited."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from supportqa.accounts.models import SignedInSession
from supportqa.audit.models import AuditEvent
from tests.conftest import PASSWORD


def signed_in(username: str, agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post("/login/", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_a_person_sees_their_sessions_and_signs_one_out(cast):
    laptop = signed_in("agent", "Firefox on the laptop")
    phone = signed_in("agent", "Safari on the phone")
    signed_in("teammate", "Someone else's browser")
    page = laptop.get("/account/").content.decode()
    assert "Firefox on the laptop" in page and "Safari on the phone" in page
    assert "Someone else" not in page and "This browser" in page
    other = SignedInSession.objects.get(user=cast.agent, user_agent="Safari on the phone")
    laptop.post("/account/", {"action": "sign-out", "session": other.code})
    assert phone.get("/account/").status_code == 302  # back to the login page
    assert laptop.get("/account/").status_code == 200
    assert AuditEvent.objects.filter(action="account.sessions_signed_out").count() == 1
    # Someone else's session cannot be signed out by its code.
    theirs = SignedInSession.objects.get(user=cast.teammate)
    laptop.post("/account/", {"action": "sign-out", "session": theirs.code})
    assert SignedInSession.objects.filter(pk=theirs.pk).exists()


def test_signing_out_everywhere_else_keeps_this_browser(cast):
    first = signed_in("agent", "A")
    second = signed_in("agent", "B")
    third = signed_in("agent", "C")
    second.post("/account/", {"action": "sign-out-others"})
    assert first.get("/account/").status_code == 302 and third.get("/account/").status_code == 302
    assert second.get("/account/").status_code == 200
    logged_out = signed_in("agent", "D")
    logged_out.post("/logout/")
    assert not SignedInSession.objects.filter(user_agent="D").exists()


def test_a_password_is_reset_by_e_mail_once(cast, client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert client.post("/password-reset/", {"email": "agent@example.test"}).status_code == 302
    assert client.post("/password-reset/", {"email": "nobody@example.test"}).status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["agent@example.test"]
    link = re.search(r"https?://\S+/password-reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form = client.get("/" + path, follow=True)
    assert "Choose a new password" in form.content.decode()
    new = {"new_password1": "a-new-long-pass-42", "new_password2": "a-new-long-pass-42"}
    done = client.post(form.redirect_chain[-1][0], new)
    assert done.status_code == 302
    fresh = Client().post("/login/", {"username": "agent", "password": "a-new-long-pass-42"})
    assert fresh.status_code == 302 and fresh.url == "/"
    assert AuditEvent.objects.filter(action="account.password_reset").exists()
    again = client.get("/" + path, follow=True)
    assert "not valid any more" in again.content.decode()


def test_reset_requests_are_limited_per_address(cast, client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    statuses = [
        client.post("/password-reset/", {"email": "agent@example.test"}).status_code
        for _ in range(6)
    ]
    assert statuses == [302] * 5 + [429] and len(mail.outbox) == 5


def test_a_session_is_read_until_it_expires_and_not_after(cast):
    """Sessions are read through a statement compiled once (accounts/sessions.py): the same
    session on every request, none once expired, whatever was read before."""
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = Client()
    assert client.post("/login/", {"username": "agent", "password": PASSWORD}).status_code == 302
    other = cast.client(cast.teammate)
    for _ in range(2):
        assert client.get("/account/").status_code == 200
        assert other.get("/account/").status_code == 200
    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert other.get("/account/").status_code == 200  # another person's session still is


def test_a_person_read_by_id_is_that_person_and_a_related_get_keeps_its_relation(cast):
    """`User.objects.get(pk=…)` (every request's sign-in) runs a statement compiled once;
    a related manager's get still reads within its relation."""
    import pytest

    from supportqa.accounts.models import User
    from supportqa.calibration.models import CalibrationSession

    for _ in range(2):
        assert User.objects.get(pk=cast.agent.pk) == cast.agent
        assert User.objects.get(pk=str(cast.qa.pk)).username == "qa"
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=max(User.objects.values_list("pk", flat=True)) + 1)
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=None)
    from tests.conftest import chat_rubric

    session = CalibrationSession.objects.create(
        title="Weekly", scorecard_version=chat_rubric(), organiser=cast.qa
    )
    session.participants.add(cast.qa)
    assert session.participants.get(pk=cast.qa.pk) == cast.qa
    with pytest.raises(User.DoesNotExist):
        session.participants.get(pk=cast.agent.pk)


def test_a_session_store_without_a_key_reads_nothing_and_odd_ids_are_djangos_to_read(cast):
    import pytest

    from supportqa.accounts.models import User
    from supportqa.accounts.sessions import SessionStore

    assert SessionStore(None).load() == {}
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=2**64)  # out of range: Django's own get says it does not exist
    assert User.objects.get(pk=str(cast.agent.pk)) == cast.agent
