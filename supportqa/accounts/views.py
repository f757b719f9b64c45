from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from supportqa.accounts.forms import ZoneForm
from supportqa.accounts.permissions import allowed, signed_in
from supportqa.audit.actions import record_event


@allowed(signed_in)
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in person's account: who they are, their time zone, and a password change
    under the policy."""
    zone_post = request.POST if request.POST.get("action") == "zone" else None
    zone = ZoneForm(zone_post, initial={"time_zone": request.user.time_zone})
    if zone_post is not None:
        if zone.is_valid():
            with transaction.atomic():
                request.user.time_zone = zone.cleaned_data["time_zone"]
                request.user.save(update_fields=["time_zone"])
                record_event(
                    actor=request.user,
                    action="account.time_zone_changed",
                    obj=request.user,
                    data={"time_zone": request.user.time_zone},
                )
            messages.success(request, f"Times are now shown in {request.user.time_zone}.")
            return redirect("account")
        return _account_page(request, PasswordChangeForm(request.user), zone)
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user = form.save()
            record_event(actor=user, action="account.password_changed", obj=user)
        update_session_auth_hash(request, user)  # stay signed in on this device only
        messages.success(request, "Password changed. Other sessions were signed out.")
        return redirect("account")
    return _account_page(request, form, zone)


def _account_page(request: HttpRequest, form: PasswordChangeForm, zone: ZoneForm) -> HttpResponse:
    form.fields["old_password"].widget.attrs.pop("autofocus", None)  # the page has two forms
    return render(
        request,
        "accounts/account.html",
        {
            "form": form,
            "zone": zone,
            "policy": password_validators_help_texts(),
            "nav": "account",
        },
        status=400 if form.errors or zone.errors else 200,
    )
