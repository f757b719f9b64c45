"""Two-step sign-in: an authenticator app's codes (TOTP, RFC 6238) and recovery codes."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from supportqa.audit.models import AuditEvent
from tests.conftest import PASSWORD


def signed_in(user) -> Client:
    client = Client()
    answer = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def code_for(key_hex: str, offset: int = 0) -> str:
    from binascii import unhexlify

    totp = TOTP(unhexlify(key_hex))
    totp.time = totp.time + offset * 30
    return f"{totp.token():06d}"


def turn_on(client: Client) -> list[str]:
    page = client.get("/account/two-factor/")
    key = client.session["authenticator_key"]
    assert re.sub(r"\s", "", page.context["secret"]).upper().isalnum()
    wrong = client.post("/account/two-factor/", {"action": "confirm", "code": "000000"})
    if code_for(key) != "000000":
        assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    done = client.post("/account/two-factor/", {"action": "confirm", "code": code_for(key)},
                       follow=True)  # fmt: skip
    codes = re.findall(r"<li>([a-z2-7]{8,16})</li>", done.content.decode())
    assert len(codes) == 10
    return codes


def test_turning_it_on_then_every_sign_in_asks_for_a_code(cast, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0  # (see below)
    codes = turn_on(signed_in(cast.qa))
    device = TOTPDevice.objects.get(user=cast.qa)
    assert device.confirmed
    assert AuditEvent.objects.filter(action="account.second_factor_on", actor=cast.qa).exists()
    client = signed_in(cast.qa)
    # every page (the API too) leads to the code until it is given
    for path in ("/conversations/", "/api/v1/reviews/", "/account/"):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer["Location"].startswith("/account/two-factor/verify/?next=")
    wrong = client.post("/account/two-factor/verify/", {"code": "12345x", "next": "/queue/"})
    assert wrong.status_code == 400
    assert AuditEvent.objects.filter(action="account.second_factor_failed").count() == 1
    # (the code that turned it on cannot be used again: the next one, 30 s on, is taken)
    right = client.post("/account/two-factor/verify/",
                        {"code": code_for(device.key, 1), "next": "/queue/"})  # fmt: skip
    assert right.status_code == 302 and right["Location"] == "/queue/"
    assert client.get("/conversations/").status_code == 200
    # a recovery code works once
    other = signed_in(cast.qa)  # (typed in capitals, with a space: the same code)
    typed = f"{codes[0][:4].upper()} {codes[0][4:]}"
    assert other.post("/account/two-factor/verify/", {"code": typed}).status_code == 302
    again = signed_in(cast.qa)
    assert again.post("/account/two-factor/verify/", {"code": codes[0]}).status_code == 400


def test_repeated_wrong_codes_are_slowed_down(cast, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    settings.OTP_STATIC_THROTTLE_FACTOR = 60
    turn_on(signed_in(cast.qa))
    device = TOTPDevice.objects.get(user=cast.qa)
    client = signed_in(cast.qa)
    client.post("/account/two-factor/verify/", {"code": "999999x"})
    refused = client.post("/account/two-factor/verify/", {"code": code_for(device.key, 1)})
    assert refused.status_code == 400 and "Too many wrong codes" in refused.content.decode()


def test_a_role_that_requires_it_must_set_it_up_and_cannot_turn_it_off(cast, settings):
    settings.SUPPORTQA_REQUIRE_2FA_ROLES = ["admin"]
    client = signed_in(cast.admin)
    answer = client.get("/people/")
    assert answer.status_code == 302 and answer["Location"].startswith("/account/two-factor/?")
    turn_on(client)
    assert client.get("/people/").status_code == 200
    device = TOTPDevice.objects.get(user=cast.admin)
    refused = client.post("/account/two-factor/",
                          {"action": "off", "code": code_for(device.key, offset=1)})  # fmt: skip
    assert refused.status_code == 400 and "requires" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=cast.admin).exists()
    # others are not asked
    assert signed_in(cast.qa).get("/conversations/").status_code == 200


def test_turning_it_off_needs_a_code(cast, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0
    client = signed_in(cast.qa)
    turn_on(client)
    device = TOTPDevice.objects.get(user=cast.qa)
    assert client.post("/account/two-factor/", {"action": "off", "code": "1"}).status_code == 400
    client.post("/account/two-factor/", {"action": "off", "code": code_for(device.key, 1)})
    assert not TOTPDevice.objects.filter(user=cast.qa).exists()
    assert AuditEvent.objects.filter(action="account.second_factor_off").exists()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/"])
def test_the_next_page_stays_on_this_site(cast, target):
    turn_on(signed_in(cast.qa))
    device = TOTPDevice.objects.get(user=cast.qa)
    client = signed_in(cast.qa)
    answer = client.post("/account/two-factor/verify/",
                         {"code": code_for(device.key, 1), "next": target})  # fmt: skip
    assert answer.status_code == 302 and answer["Location"] == "/"


def test_an_admin_resets_a_lost_phone_from_the_command_line(cast):
    from io import StringIO

    from django.core.management import call_command

    turn_on(signed_in(cast.qa))
    out = StringIO()
    call_command("twofactor", "reset", "qa", stdout=out)
    assert "two-step sign-in reset (1 authenticator)" in out.getvalue()
    assert signed_in(cast.qa).get("/conversations/").status_code == 200  # password alone
    assert AuditEvent.objects.filter(action="account.second_factor_reset").exists()
