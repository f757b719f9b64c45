"""A second factor at sign-in: a code from an authenticator app (TOTP, RFC 6238) or one of
ten single-use recovery codes, through django-otp (its devices, token checks and throttling).

Anyone may turn it on (Account → Two-step sign-in); the roles in SUPPORTQA_REQUIRE_2FA_ROLES
must. After the password, a person with an authenticator is asked for a code, and a person
whose role requires one and has none is sent to set one up, before any other page. What is
still owed is kept in the session at sign-in (`PENDING`), so pages cost no extra query."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from supportqa.accounts.models import User
from supportqa.accounts.permissions import allowed, signed_in
from supportqa.audit.actions import record_event

PENDING = "second_factor_owed"  # session: "verify" or "set up", until done (base.html)
RECOVERY_CODES = 10
# Pages a person may open while a second factor is owed (and static files).
OPEN = ("/login/", "/logout/", "/account/two-factor/", "/static/", "/s/", "/password-reset/")


def authenticator(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def required_for(user: User) -> bool:
    return user.role in settings.SUPPORTQA_REQUIRE_2FA_ROLES


@receiver(user_logged_in)
def owe_second_factor(sender: Any, request: Any, user: User, **_: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    if authenticator(user) is not None:
        request.session[PENDING] = "verify"
    elif required_for(user):
        request.session[PENDING] = "set up"


def second_factor_gate(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Middleware: while a second factor is owed, every other page leads to it."""

    def middleware(request: HttpRequest) -> HttpResponse:
        owed = request.session.get(PENDING) if hasattr(request, "session") else None
        if owed and not request.path.startswith(OPEN):
            target = reverse("two-factor-verify" if owed == "verify" else "two-factor")
            return redirect(f"{target}?next={request.get_full_path()}")
        return get_response(request)

    return middleware


def _next(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(wanted, {request.get_host()}, request.is_secure())
    return wanted if safe and wanted.startswith("/") else reverse("home")


def _qr(url: str) -> str:
    out = BytesIO()
    qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg") :].replace("<svg", '<svg role="img" aria-label="QR code"', 1)


def _check(user: User, code: str) -> str:
    """ "" when `code` is the user's current authenticator code or an unused recovery code
    (which it uses up); else why not. django-otp slows repeated wrong codes down."""
    code = "".join(code.split()).lower()  # recovery codes are lower case: typed any way
    totp = authenticator(user)
    devices: list[Any] = [totp] if totp else []
    devices += list(StaticDevice.objects.filter(user=user, confirmed=True))
    for device in devices:
        allowed_now, details = device.verify_is_allowed()
        if not allowed_now:
            wait = (details or {}).get("locked_until")
            return "too many wrong codes: wait a little and try again" + (
                f" (after {timezone.localtime(wait):%H:%M:%S})" if wait else ""
            )
    if code and any(device.verify_token(code) for device in devices):
        return ""
    return "that code is not right (or was used already)"


def _new_recovery_codes(user: User) -> list[str]:
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


@allowed(signed_in)
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code after the password."""
    if request.session.get(PENDING) != "verify":
        return redirect(_next(request))
    context: dict[str, Any] = {"next": _next(request)}
    status = 200
    if request.method == "POST":
        problem = _check(request.user, request.POST.get("code", ""))
        if not problem:
            request.session.pop(PENDING)
            request.session.cycle_key()  # a new session id once fully signed in
            return redirect(context["next"])
        with transaction.atomic():
            record_event(actor=request.user, action="account.second_factor_failed",
                         obj=request.user)  # fmt: skip
        context["error"], status = problem, 400
    return render(request, "accounts/two_factor_verify.html", context, status=status)


SHOW_CODES = "recovery_codes"  # session: new recovery codes, shown once
NEW_KEY = "authenticator_key"  # session: the key offered, until a code confirms it


@allowed(signed_in)
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Turn the second factor on (scan, confirm with a code), make new recovery codes, or
    turn it off (not when the role requires it)."""
    user = request.user
    action = request.POST.get("action")
    context: dict[str, Any] = {"nav": "account", "required": required_for(user),
                               "next": _next(request)}  # fmt: skip
    status = 200
    if request.session.get(PENDING) == "verify":
        return redirect(f"{reverse('two-factor-verify')}?next={request.get_full_path()}")
    device = authenticator(user)
    if action == "confirm" and device is None and request.session.get(NEW_KEY):
        offered = TOTPDevice(user=user, name="Authenticator", key=request.session[NEW_KEY])
        code = request.POST.get("code", "").strip()
        check = TOTP(offered.bin_key, offered.step, offered.t0, offered.digits)
        if code.isdigit() and check.verify(int(code), tolerance=offered.tolerance):
            offered.last_t, offered.confirmed = check.t(), True
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user).delete()
                offered.save()
                codes = _new_recovery_codes(user)
                record_event(actor=user, action="account.second_factor_on", obj=user)
            request.session.pop(NEW_KEY)
            request.session.pop(PENDING, None)
            request.session[SHOW_CODES] = codes
            messages.success(request, "Two-step sign-in is on.")
            return redirect(reverse("two-factor") + f"?next={context['next']}")
        context["error"], status = (
            "that code is not right: type the code the app shows now (check that the phone's "
            "clock is right)",
            400,
        )
    elif action in ("codes", "off") and device is not None:
        problem = _check(user, request.POST.get("code", ""))
        if not problem and action == "off" and context["required"]:
            problem = "your role requires two-step sign-in: it stays on"
        if problem:
            context["error"], status = problem, 400
        elif action == "codes":
            request.session[SHOW_CODES] = _new_recovery_codes(user)
            with transaction.atomic():
                record_event(actor=user, action="account.recovery_codes_renewed", obj=user)
            return redirect("two-factor")
        else:
            with transaction.atomic():
                TOTPDevice.objects.filter(user=user).delete()
                StaticDevice.objects.filter(user=user).delete()
                record_event(actor=user, action="account.second_factor_off", obj=user)
            messages.success(request, "Two-step sign-in is off.")
            return redirect("two-factor")
    device = authenticator(user)
    if device is None:  # the key offered is kept in the session until confirmed
        if not request.session.get(NEW_KEY) or action == "restart":
            request.session[NEW_KEY] = random_hex(20)
        offered = TOTPDevice(user=user, name="Authenticator", key=request.session[NEW_KEY])
        context.update(qr=mark_safe(_qr(offered.config_url)), secret=_spaced(offered))
    else:
        context["device"] = device
        context["codes_left"] = StaticToken.objects.filter(device__user=user).count()
    context["new_codes"] = request.session.pop(SHOW_CODES, None)
    return render(request, "accounts/two_factor.html", context, status=status)


def _spaced(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it (base32, in groups of four)."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
