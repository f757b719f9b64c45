"""Password reset by e-mail: Django's views with our pages, each request for a reset mail
limited per address (as the login is), and every reset audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from supportqa.accounts.permissions import allowed, anyone
from supportqa.accounts.throttle import over_limit
from supportqa.audit.actions import record_event
from supportqa.middleware import client_ip

REQUESTS_PER_HOUR = 5  # reset mails one address may ask for


class _Request(auth_views.PasswordResetView):
    template_name = "accounts/reset_request.html"
    email_template_name = "accounts/reset_email.txt"
    subject_template_name = "accounts/reset_subject.txt"
    success_url = reverse_lazy("password-reset-sent")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if over_limit(f"reset:{client_ip(request)}", REQUESTS_PER_HOUR, seconds=3600):
            return render(request, "accounts/reset_request.html",
                          {"form": self.get_form(), "limited": True}, status=429)  # fmt: skip
        return super().post(request, *args, **kwargs)


class _Confirm(auth_views.PasswordResetConfirmView):
    template_name = "accounts/reset_confirm.html"
    success_url = reverse_lazy("password-reset-done")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            record_event(actor=form.user, action="account.password_reset", obj=form.user)
        return response


request_reset = allowed(anyone)(_Request.as_view(extra_email_context={
    "base_url": settings.SUPPORTQA_BASE_URL.rstrip("/")}))  # fmt: skip
reset_sent = allowed(anyone)(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/reset_sent.html")
)
confirm_reset = allowed(anyone)(_Confirm.as_view())
reset_done = allowed(anyone)(
    auth_views.PasswordResetCompleteView.as_view(template_name="accounts/reset_done.html")
)
