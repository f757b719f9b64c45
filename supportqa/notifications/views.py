from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportqa.accounts.permissions import allowed, signed_in
from supportqa.notifications import actions
from supportqa.notifications.access import get_notification_for_user
from supportqa.notifications.forms import DeliveryForm

PAGE_SIZE = 50


@allowed(signed_in)
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    notes = request.user.notifications.select_related("actor")
    if unread_only:
        notes = notes.filter(read_at__isnull=True)
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread_only": unread_only, "nav": "inbox"},
    )


@allowed(signed_in)
@require_GET
def notification_open(request: HttpRequest, code: str) -> HttpResponse:
    """Opening a notification marks that one read (only that one) and goes to its page."""
    note = get_notification_for_user(request.user, code)
    actions.mark_read(note)
    if note.link and url_has_allowed_host_and_scheme(note.link, allowed_hosts=None):
        return redirect(note.link)
    return redirect("inbox")


@allowed(signed_in)
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = actions.mark_all_read(request.user)
    messages.success(request, f"{count} notification{'' if count == 1 else 's'} marked read.")
    return redirect("inbox")


@allowed(signed_in)
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    form = DeliveryForm(request.POST or None, current=actions.choices_of(request.user))
    if request.method == "POST" and form.is_valid():
        actions.choose_deliveries(user=request.user, choices=form.cleaned_data)
        messages.success(request, "Your notification settings are saved.")
        return redirect("notification-settings")
    return render(
        request,
        "notifications/settings.html",
        {"form": form, "nav": "inbox"},
        status=400 if form.errors else 200,
    )
